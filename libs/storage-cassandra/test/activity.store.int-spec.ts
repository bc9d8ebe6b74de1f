import { Activity, toIso } from '@app/domain';
import { ActivityStore } from '@app/feeds';
import { openStorage, StorageFixture } from './support';

describe('CassandraActivityStore', () => {
  let fx: StorageFixture;
  let sut: ActivityStore;
  const now = Date.now();

  beforeAll(async () => {
    fx = await openStorage('act');
    sut = fx.stores.activities;
  });
  afterAll(async () => fx.client.shutdown());

  const activity = (id: string, extra: Partial<Activity> = {}): Activity => ({
    id: `${fx.tag}-${id}`,
    actor: `${fx.tag}-alice`,
    type: 'Like',
    object: 'post:1',
    published: toIso(now - 60_000),
    ...extra,
  });

  it('stores and reads back every field, with a TTL', async () => {
    const a = activity('full', { target: 'board:2', to: ['u1', 'u2'], foreignId: 'f-1', extra: { n: 1, nested: { s: 'x' } } });
    await sut.put(a, now, 3600);
    expect(await sut.get(a.id)).toEqual({ activity: a, acceptedMs: now, deleted: false, deletedBy: [] });
    const ttl = (await fx.client.execute('SELECT TTL(type) AS t FROM activities WHERE id = ?', [a.id], { prepare: true })).first()?.get('t');
    expect(ttl).toBeGreaterThan(3500);

    const minimal = activity('min');
    await sut.put(minimal, now, 3600);
    expect((await sut.get(minimal.id))?.activity).toEqual(minimal);
  });

  it('getMany returns present ids only', async () => {
    const a = activity('m1');
    const b = activity('m2');
    await Promise.all([sut.put(a, now, 3600), sut.put(b, now, 3600)]);
    const got = await sut.getMany([a.id, `${fx.tag}-missing`, b.id, a.id]);
    expect([...got.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(got.get(b.id)?.activity).toEqual(b);
    expect(await sut.getMany([])).toEqual(new Map());
  });

  it('marks deleted; a redelivered create does not undelete it', async () => {
    const a = activity('del');
    await sut.put(a, now, 3600);
    await sut.markDeleted(a.id, a.actor, (now + 1000) * 1000, 3600);
    await sut.put(a, now, 3600);
    const got = await sut.get(a.id);
    expect(got?.deleted).toBe(true);
    expect(got?.activity).toEqual(a);
  });

  it('writes a marker row for an activity that never existed, naming who deleted it', async () => {
    const id = `${fx.tag}-ghost`;
    await sut.markDeleted(id, `${fx.tag}-bob`, now * 1000, 3600);
    const got = await sut.get(id);
    expect(got).toEqual({ activity: null, acceptedMs: 0, deleted: false, deletedBy: [`${fx.tag}-bob`] });
    expect(await sut.get(`${fx.tag}-never`)).toBeNull();
  });

  it("a delete marker by one actor never hides another actor's activity stored later", async () => {
    const a = activity('hijack');
    await sut.markDeleted(a.id, `${fx.tag}-mallory`, (now + 1000) * 1000, 3600); // before the create, newer timestamp
    await sut.put(a, now, 3600);
    const got = await sut.get(a.id);
    expect(got?.activity).toEqual(a);
    expect(got?.deleted).toBe(false);
    await sut.markDeleted(a.id, a.actor, (now + 2000) * 1000, 3600);
    expect((await sut.get(a.id))?.deleted).toBe(true);
  });
});
