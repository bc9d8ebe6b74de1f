import { dayNumber, groupId, NotificationEntry } from '@app/domain';
import { NotificationStore, ReaderStateStore } from '@app/feeds';
import { DAY_MS, openStorage, StorageFixture } from './support';

describe('CassandraReaderStateStore', () => {
  let fx: StorageFixture;
  let sut: ReaderStateStore;
  const now = Date.now();

  beforeAll(async () => {
    fx = await openStorage('rs');
    sut = fx.stores.readers;
  });
  afterAll(async () => fx.client.shutdown());

  it('reads defaults for an unknown user', async () => {
    expect(await sut.get(`${fx.tag}-nobody`)).toEqual({ lastReadMs: null, homeFloorMs: null, seenAllMs: 0, readAllMs: 0, rebuildStartedMs: null, rebuiltMs: null, homeLayout: 0 });
  });

  it('sets last read (never backwards), home floor and mark-all watermarks', async () => {
    const user = `${fx.tag}-u`;
    await sut.setLastRead(user, now);
    await sut.setLastRead(user, now - 5000);
    await sut.setHomeFloor(user, now - 7 * DAY_MS);
    await sut.markAll(user, 'seen', now - 100);
    expect(await sut.get(user)).toEqual({ lastReadMs: now, homeFloorMs: now - 7 * DAY_MS, seenAllMs: now - 100, readAllMs: 0, rebuildStartedMs: null, rebuiltMs: null, homeLayout: 0 });
    await sut.markAll(user, 'read', now);
    await sut.markAll(user, 'seen', now - 200);
    expect(await sut.get(user)).toMatchObject({ seenAllMs: now, readAllMs: now });
  });

  it('reads last-read times of many users, omitting absent ones', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `${fx.tag}-m${i}`);
    await Promise.all(users.slice(0, 10).map((u, i) => sut.setLastRead(u, now - i)));
    const got = await sut.lastReadMany([...users, users[0]!], 4);
    expect(got.size).toBe(10);
    expect(got.get(users[3]!)).toBe(now - 3);
    expect(got.has(users[15]!)).toBe(false);
  });
});

describe('CassandraNotificationStore', () => {
  let fx: StorageFixture;
  let sut: NotificationStore;
  const now = Date.now();

  beforeAll(async () => {
    fx = await openStorage('nt');
    sut = fx.stores.notifications;
  });
  afterAll(async () => fx.client.shutdown());

  const entry = (id: string, ms: number): NotificationEntry => ({ ms, id, actor: `${fx.tag}-actor`, type: 'Like', object: 'post:9', receivedMs: now });

  it('appends to each recipient by UTC day with a TTL, lists days newest first, and removes by timestamp', async () => {
    const [r1, r2] = [`${fx.tag}-r1`, `${fx.tag}-r2`];
    const today = entry('N1', now - 1000);
    const earlier = entry('N0', now - 3 * DAY_MS);
    await sut.append([r1, r2], today, 3600, now * 1000);
    await sut.append([r1], earlier, 3600, now * 1000);

    expect(await sut.days(r1, dayNumber(now - 10 * DAY_MS), dayNumber(now + DAY_MS), 100)).toEqual([dayNumber(today.ms), dayNumber(earlier.ms)]);
    expect(await sut.days(r1, dayNumber(now - DAY_MS), dayNumber(now + DAY_MS), 100)).toEqual([dayNumber(today.ms)]);
    expect(await sut.readDay(r2, dayNumber(today.ms), 1000)).toEqual([today]);
    expect(await sut.readDay(r1, dayNumber(earlier.ms), 1000)).toEqual([earlier]);

    const ttl = (
      await fx.client.execute('SELECT TTL(actor) AS t FROM notification_log WHERE user_id = ? AND day = ?', [r1, dayNumber(today.ms)], { prepare: true })
    ).first()?.get('t');
    expect(ttl).toBeGreaterThan(3500);

    await sut.remove([r1, r2], today, now * 1000 - 1); // older than the insert: no effect
    expect(await sut.readDay(r1, dayNumber(today.ms), 1000)).toEqual([today]);
    await sut.remove([r1, r2], today, now * 1000 + 1);
    expect(await sut.readDay(r1, dayNumber(today.ms), 1000)).toEqual([]);
    expect(await sut.readDay(r2, dayNumber(today.ms), 1000)).toEqual([]);
  });

  it('marks groups seen or read (read implies seen), never moving a mark backwards', async () => {
    const user = `${fx.tag}-marker`;
    const [g1, g2] = [groupId('Like', 'p1', now), groupId('Like', 'p2', now)];
    expect(await sut.marks(user, [g1, g2])).toEqual({ seen: new Map(), read: new Map() });
    await sut.mark(user, [g1], 'seen', now, 3600);
    await sut.mark(user, [g2], 'read', now + 5, 3600);
    await sut.mark(user, [g1, g2], 'seen', now - 100, 3600);
    const marks = await sut.marks(user, [g1, g2]);
    expect(marks.seen).toEqual(new Map([[g1, now], [g2, now + 5]]));
    expect(marks.read).toEqual(new Map([[g2, now + 5]]));
  });
});
