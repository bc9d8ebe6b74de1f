import { Activity, toIso } from '@app/domain';
import type { ActivityStore } from '@app/feeds';
import { contractTag, describeStore, MakeStore, TTL } from './support';

/**
 * The ActivityStore contract (ports.ts): upserts, a newer put winning over an older one (write
 * timestamp acceptedMs*1000), delete markers that `put` never touches, and `deleted` only when the
 * activity's own actor deleted it.
 */
export function activityStoreContract(make: MakeStore<ActivityStore>): void {
  describeStore('ActivityStore contract', make, (store) => {
    const now = Date.now();
    let tag = '';
    beforeEach(() => {
      tag = contractTag();
    });
    const id = (name: string): string => `${tag}-${name}`;
    const activity = (name: string, over: Partial<Activity> = {}): Activity => ({
      id: id(name),
      actor: id('alice'),
      type: 'Like',
      object: 'post:1',
      published: toIso(now - 60_000),
      ...over,
    });

    it('reads back every field, the accept time and no deletion; absent ids read as null', async () => {
      const full = activity('full', { target: 'board:2', to: ['u1', 'u2'], foreignId: 'f-1', extra: { n: 1, nested: { s: 'x' } } });
      const minimal = activity('min');
      await store().put(full, now, TTL);
      await store().put(minimal, now + 1, TTL);
      expect(await store().get(full.id)).toEqual({ activity: full, acceptedMs: now, deleted: false, deletedBy: [] });
      expect(await store().get(minimal.id)).toEqual({ activity: minimal, acceptedMs: now + 1, deleted: false, deletedBy: [] });
      expect(await store().get(id('never'))).toBeNull();
    });

    it('reads back what Cassandra stores: `published` at ms precision, an empty `to` as absent', async () => {
      const a = activity('norm', { published: '2026-01-02T03:04:05Z', to: [] });
      await store().put(a, now, TTL);
      const { to: _to, ...rest } = a;
      expect((await store().get(a.id))?.activity).toEqual({ ...rest, published: '2026-01-02T03:04:05.000Z' });
    });

    it('getMany returns the present ids only (duplicates and missing ids allowed)', async () => {
      const [a, b] = [activity('m1'), activity('m2')];
      await store().put(a, now, TTL);
      await store().put(b, now, TTL);
      await store().markDeleted(id('ghost'), id('bob'), now * 1000, TTL);
      const got = await store().getMany([a.id, id('missing'), b.id, a.id, id('ghost')]);
      expect([...got.keys()].sort()).toEqual([a.id, b.id, id('ghost')].sort());
      expect(got.get(b.id)).toEqual({ activity: b, acceptedMs: now, deleted: false, deletedBy: [] });
      expect(got.get(id('ghost'))?.activity).toBeNull();
      expect(await store().getMany([])).toEqual(new Map());
    });

    it('put is an idempotent upsert; a newer put wins and an older (replayed) one loses', async () => {
      const a = activity('lww');
      await store().put(a, now, TTL);
      await store().put(a, now, TTL);
      expect(await store().get(a.id)).toEqual({ activity: a, acceptedMs: now, deleted: false, deletedBy: [] });

      await store().put({ ...a, object: 'post:older' }, now - 1000, TTL);
      expect(await store().get(a.id)).toEqual({ activity: a, acceptedMs: now, deleted: false, deletedBy: [] });

      const newer = { ...a, object: 'post:newer' };
      await store().put(newer, now + 1000, TTL);
      expect(await store().get(a.id)).toEqual({ activity: newer, acceptedMs: now + 1000, deleted: false, deletedBy: [] });
    });

    it("is deleted once its own actor deleted it, and a redelivered put (whatever its time) never undeletes it", async () => {
      const a = activity('del');
      await store().put(a, now, TTL);
      await store().markDeleted(a.id, a.actor, (now + 1000) * 1000, TTL);
      expect(await store().get(a.id)).toEqual({ activity: a, acceptedMs: now, deleted: true, deletedBy: [a.actor] });
      await store().put(a, now, TTL);
      await store().put(a, now + 5000, TTL); // newer than the delete: still never touches the marker
      expect(await store().get(a.id)).toEqual({ activity: a, acceptedMs: now + 5000, deleted: true, deletedBy: [a.actor] });
      await store().markDeleted(a.id, a.actor, (now + 2000) * 1000, TTL); // idempotent
      expect((await store().get(a.id))?.deletedBy).toEqual([a.actor]);
    });

    it('writes a marker (no activity, only who deleted it) for a delete that arrived before the create', async () => {
      const ghost = id('ghost');
      await store().markDeleted(ghost, id('bob'), now * 1000, TTL);
      expect(await store().get(ghost)).toEqual({ activity: null, acceptedMs: 0, deleted: false, deletedBy: [id('bob')] });
    });

    it('a create by an actor who already deleted the id arrives deleted', async () => {
      const a = activity('early');
      await store().markDeleted(a.id, a.actor, (now + 1000) * 1000, TTL);
      await store().put(a, now, TTL);
      expect(await store().get(a.id)).toEqual({ activity: a, acceptedMs: now, deleted: true, deletedBy: [a.actor] });
    });

    it("a marker by another actor never hides the activity; its own actor's delete still counts", async () => {
      const a = activity('hijack');
      const mallory = id('mallory');
      await store().markDeleted(a.id, mallory, (now + 1000) * 1000, TTL); // before the create, newer timestamp
      await store().put(a, now, TTL);
      expect(await store().get(a.id)).toEqual({ activity: a, acceptedMs: now, deleted: false, deletedBy: [mallory] });
      await store().markDeleted(a.id, mallory, (now + 3000) * 1000, TTL);
      expect((await store().get(a.id))?.deleted).toBe(false);

      await store().markDeleted(a.id, a.actor, (now + 2000) * 1000, TTL);
      const got = await store().get(a.id);
      expect(got?.deleted).toBe(true);
      expect([...(got?.deletedBy ?? [])].sort()).toEqual([a.actor, mallory].sort());
      expect((await store().getMany([a.id])).get(a.id)?.deleted).toBe(true);
    });

    it('skips a write whose TTL is below one second (the row would already have expired)', async () => {
      const a = activity('expired');
      await store().put(a, now, 0);
      await store().put(a, now, 0.5);
      await store().markDeleted(id('expired-marker'), id('bob'), now * 1000, 0);
      expect(await store().get(a.id)).toBeNull();
      expect(await store().get(id('expired-marker'))).toBeNull();
    });
  });
}
