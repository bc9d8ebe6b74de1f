import { bucketOf, FeedPosition, HOME_BUCKET_MS } from '@app/domain';
import { FeedRef, SlicePage, TimelineStore } from '@app/feeds';
import { HOME_TIMELINE_CQL, INLINE_BODY_MAX_BYTES, micros } from '../src';
import { DAY_MS, openStorage, StorageFixture } from './support';

const TTL = 3600;

/** Follows pages until `exhausted`, failing on a stuck or runaway walk. */
async function readAll(read: (before: FeedPosition | null) => Promise<SlicePage>): Promise<{ rows: FeedRef[]; pages: SlicePage[] }> {
  const rows: FeedRef[] = [];
  const pages: SlicePage[] = [];
  let before: FeedPosition | null = null;
  for (let i = 0; i < 100; i++) {
    const page = await read(before);
    pages.push(page);
    rows.push(...page.rows);
    const last = page.rows[page.rows.length - 1];
    if (page.exhausted) return { rows, pages };
    if (!last) return { rows, pages }; // empty yet not exhausted: callers' exhausted assertion fails
    before = { ms: last.ms, id: last.id };
  }
  throw new Error('paging did not terminate');
}

const newestFirst = (refs: FeedRef[]): FeedRef[] => [...refs].sort((a, b) => b.ms - a.ms || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

describe('CassandraTimelineStore', () => {
  let fx: StorageFixture;
  let sut: TimelineStore;
  const now = Date.now();

  beforeAll(async () => {
    fx = await openStorage('tl');
    sut = fx.stores.timelines;
  });
  afterAll(async () => fx.client.shutdown());

  it('pages a home timeline across day buckets newest first, skipping empty buckets, down to the floor', async () => {
    const user = `${fx.tag}-reader`;
    // Rows on days 0, 1, 4 and 9 ago (days 2, 3, 5-8 empty), two rows sharing one millisecond.
    const offsets = [10_000, 20_000, DAY_MS + 5, 4 * DAY_MS + 1, 4 * DAY_MS + 1, 9 * DAY_MS + 7];
    const refs: FeedRef[] = offsets.map((o, i) => ({ ms: now - o, id: `A${i}`, actor: `${fx.tag}-author${i % 2}` }));
    for (const ref of refs) await sut.appendHome([user], ref, ref.ms * 1000, TTL, 4);
    const expected = newestFirst(refs);

    for (const limit of [1, 2, 3, 5, 6, 25]) {
      const { rows, pages } = await readAll((before) => sut.readHome(user, before, now - 12 * DAY_MS, limit));
      expect(rows).toEqual(expected);
      expect(pages.every((p) => p.rows.length <= limit)).toBe(true);
      // Not exhausted while older rows remain.
      pages.slice(0, -1).forEach((p) => expect(p.exhausted).toBe(false));
      expect(pages[pages.length - 1]?.exhausted).toBe(true);
    }

    const floored = await sut.readHome(user, null, now - 5 * DAY_MS, 25);
    expect(floored).toEqual({ rows: expected.filter((r) => r.ms >= now - 5 * DAY_MS), exhausted: true });

    const older = await sut.readHome(user, { ms: refs[4]!.ms, id: 'A4' }, now - 12 * DAY_MS, 25);
    expect(older.rows.map((r) => r.id)).toEqual(['A3', 'A5']);
    expect(older.exhausted).toBe(true);
  });

  it('reports exhausted=false when the bucket read holds more rows than the page', async () => {
    const user = `${fx.tag}-dense`;
    const refs = [1, 2, 3].map((i) => ({ ms: now - i * 1000, id: `D${i}`, actor: 'a' }));
    await sut.appendHomeMany(user, refs, now * 1000, () => TTL, 2);
    const page = await sut.readHome(user, null, now - DAY_MS, 2);
    expect(page.rows.map((r) => r.id)).toEqual(['D1', 'D2']);
    expect(page.exhausted).toBe(false);
  });

  it('pages a user feed across 30-day buckets', async () => {
    const actor = `${fx.tag}-author`;
    const refs: FeedRef[] = [0, 10, 45, 100, 200].map((d, i) => ({ ms: now - d * DAY_MS - 1, id: `U${i}`, actor }));
    for (const ref of refs) await sut.appendUserFeed(ref, ref.ms * 1000, TTL);
    const { rows } = await readAll((before) => sut.readUserFeed(actor, before, now - 365 * DAY_MS, 2));
    expect(rows).toEqual(newestFirst(refs));
    expect((await sut.readUserFeed(actor, null, now - 50 * DAY_MS, 10)).rows.map((r) => r.id)).toEqual(['U0', 'U1', 'U2']);

    await sut.removeUserFeed(refs[1]!, now * 1000 + 1);
    expect((await sut.readUserFeed(actor, null, now - 50 * DAY_MS, 10)).rows.map((r) => r.id)).toEqual(['U0', 'U2']);
  });

  it('writes home rows with the TTL and the given write timestamp', async () => {
    const user = `${fx.tag}-ttl`;
    const ref = { ms: now - 1000, id: 'T1', actor: 'x' };
    const ts = now * 1000 + 123;
    await sut.appendHome([user], ref, ts, TTL, 1);
    const row = (
      await fx.client.execute('SELECT TTL(actor) AS ttl, WRITETIME(actor) AS wt FROM home_timeline WHERE user_id = ? AND bucket = ?', [
        user,
        bucketOf(ref.ms, HOME_BUCKET_MS),
      ], { prepare: true })
    ).first();
    expect(row?.get('ttl')).toBeGreaterThan(TTL - 60);
    expect(row?.get('ttl')).toBeLessThanOrEqual(TTL);
    expect(String(row?.get('wt'))).toBe(String(ts));
  });

  it('resolves deletes and re-inserts by write timestamp (last write wins)', async () => {
    const user = `${fx.tag}-lww`;
    const ref = { ms: now - 5000, id: 'L1', actor: 'x' };
    const t = now * 1000;
    const ids = async (): Promise<string[]> => (await sut.readHome(user, null, now - DAY_MS, 10)).rows.map((r) => r.id);

    await sut.appendHome([user], ref, t, TTL, 1);
    await sut.removeHome([user], ref, t - 1000, 1); // an older delete does not remove a newer insert
    expect(await ids()).toEqual(['L1']);
    await sut.removeHome([user], ref, t + 1000, 1);
    expect(await ids()).toEqual([]);
    await sut.appendHome([user], ref, t, TTL, 1); // a replayed insert does not resurrect it
    expect(await ids()).toEqual([]);

    const refs = [1, 2, 3].map((i) => ({ ms: now - i * 100, id: `M${i}`, actor: 'y' }));
    await sut.appendHomeMany(user, refs, t, () => TTL, 2);
    await sut.removeHomeMany(user, refs.slice(0, 2), t + 1, 2);
    expect(await ids()).toEqual(['M3']);
  });

  it('fans one ref out to many users with bounded concurrency, and removes it again', async () => {
    const users = Array.from({ length: 300 }, (_, i) => `${fx.tag}-f${i}`);
    const ref = { ms: now - 2000, id: 'F1', actor: `${fx.tag}-star` };
    await sut.appendHome(users, ref, now * 1000, TTL, 16);
    const counts = await Promise.all(users.map(async (u) => (await sut.readHome(u, null, now - DAY_MS, 5)).rows.length));
    expect(counts.every((c) => c === 1)).toBe(true);
    await sut.removeHome(users, ref, now * 1000 + 1, 16);
    const after = await Promise.all(users.map(async (u) => (await sut.readHome(u, null, now - DAY_MS, 5)).rows.length));
    expect(after.every((c) => c === 0)).toBe(true);
  }, 30_000);

  it('skips rows whose remaining TTL is not positive', async () => {
    const user = `${fx.tag}-expired`;
    await sut.appendHome([user], { ms: now - 1000, id: 'E1', actor: 'x' }, now * 1000, 0, 1);
    expect((await sut.readHome(user, null, now - DAY_MS, 5)).rows).toEqual([]);
  });
});

describe('CassandraTimelineStore: activities inside timeline rows (schema 003)', () => {
  let fx: StorageFixture;
  beforeAll(async () => {
    fx = await openStorage('tlb');
  });
  afterAll(async () => fx.client.shutdown());

  it('keeps an activity above INLINE_BODY_MAX_BYTES out of the rows (a reference only), and a small one in', async () => {
    const user = `${fx.tag}-reader`;
    const ms = Date.now() - 1_000;
    const small = { id: `${fx.tag}-s`, actor: `${fx.tag}-a`, type: 'post', object: 'o', published: new Date(ms).toISOString() };
    const big = { ...small, id: `${fx.tag}-b`, extra: { text: 'ü'.repeat(INLINE_BODY_MAX_BYTES / 2) } };
    for (const a of [small, big]) await fx.stores.timelines.appendHome([user], { ms, id: a.id, actor: a.actor, activity: a }, 1, TTL, 2);
    const rows = (await fx.stores.timelines.readHome(user, null, ms - DAY_MS, 10)).rows;
    expect(rows.map((r) => [r.id, r.activity?.id ?? null]).sort()).toEqual([[big.id, null], [small.id, small.id]].sort());
  });

  it('hydrates (reads back without an activity) a row whose body does not describe it', async () => {
    const user = `${fx.tag}-forged`;
    const ms = Date.now() - 1_000;
    const other = { id: 'someone-else', actor: 'mallory', type: 'post', object: 'o', published: new Date(ms).toISOString() };
    await fx.client.execute(
      HOME_TIMELINE_CQL.insert,
      [user, bucketOf(ms, HOME_BUCKET_MS), new Date(ms), `${fx.tag}-real`, `${fx.tag}-a`, JSON.stringify(other), TTL, micros(Date.now() * 1000)],
      { prepare: true },
    );
    const [row] = (await fx.stores.timelines.readHome(user, null, ms - DAY_MS, 10)).rows;
    expect(row).toEqual({ ms, id: `${fx.tag}-real`, actor: `${fx.tag}-a` });
  });
});

describe('CassandraTimelineStore: fanout writes in replica batches', () => {
  let fx: StorageFixture;
  beforeAll(async () => {
    fx = await openStorage('tlr');
  });
  afterAll(async () => fx.client.shutdown());

  it('writes and removes every row of a large delivery, whatever the batch cuts (rows, body bytes)', async () => {
    const ms = Date.now() - 1_000;
    const users = Array.from({ length: 237 }, (_, i) => `${fx.tag}-f${i}`);
    const big = { id: `${fx.tag}-big`, actor: `${fx.tag}-a`, type: 'post', object: 'o', published: new Date(ms).toISOString(), extra: { t: 'x'.repeat(1_800) } };
    await fx.stores.timelines.appendHome(users, { ms, id: big.id, actor: big.actor, activity: big }, 1_000, TTL, 64);
    const read = async (): Promise<number> => {
      let n = 0;
      for (const u of users) n += (await fx.stores.timelines.readHome(u, null, ms - DAY_MS, 5)).rows.filter((r) => r.activity?.id === big.id).length;
      return n;
    };
    expect(await read()).toBe(users.length);
    await fx.stores.timelines.removeHome(users.slice(0, 100), { ms, id: big.id, actor: big.actor }, 2_000, 64);
    expect(await read()).toBe(users.length - 100);
  });
});
