import { dayNumber, groupId, NotificationEntry, UserId } from '@app/domain';
import type { NotificationStore } from '@app/feeds';
import { byNewest, contractTag, DAY, describeStore, MakeStore, TTL } from './support';

/**
 * The NotificationStore contract (ports.ts): entries per recipient and UTC day, read newest first;
 * the days index newest first within [floor, ceiling]; removal by timestamp (last write wins, a
 * removal wins a tie); marks of the requested groups only, never moving backwards, read implying seen.
 */
export function notificationStoreContract(make: MakeStore<NotificationStore>): void {
  describeStore('NotificationStore contract', make, (store) => {
    const now = Date.now();
    /** Noon UTC yesterday: entries within a few hours of it share its UTC day. */
    const noon = Math.floor(now / DAY) * DAY - DAY / 2;
    let tag = '';
    beforeEach(() => {
      tag = contractTag();
    });
    const u = (name: string): UserId => `${tag}-${name}`;
    const entry = (id: string, ms: number, over: Partial<NotificationEntry> = {}): NotificationEntry => ({
      ms,
      id,
      actor: u('actor'),
      type: 'Like',
      object: 'post:9',
      receivedMs: now,
      ...over,
    });

    it('appends to each recipient; a day reads newest first by (ms, id), at most `limit`', async () => {
      const [r1, r2] = [u('r1'), u('r2')];
      const entries = [
        entry('N1', noon - 3_600_000),
        entry('N2', noon, { actor: u('other'), type: 'Follow', object: 'user:x', receivedMs: now - 5 }),
        entry('N3', noon + 60_000),
        entry('N4', noon),
      ];
      for (const e of entries) await store().append([r1, r2], e, TTL, now * 1000);
      await store().append([r1], entries[0]!, TTL, now * 1000); // idempotent
      const day = dayNumber(noon);
      expect(await store().readDay(r1, day, 100)).toEqual(byNewest(entries));
      expect((await store().readDay(r2, day, 100)).map((e) => e.id)).toEqual(['N3', 'N4', 'N2', 'N1']);
      expect((await store().readDay(r1, day, 2)).map((e) => e.id)).toEqual(['N3', 'N4']);
      expect(await store().readDay(r1, dayNumber(noon - DAY), 100)).toEqual([]);
      expect(await store().readDay(u('nobody'), day, 100)).toEqual([]);
    });

    it('lists the days holding entries within [floor, ceiling], newest first, at most `limit`', async () => {
      const user = u('days');
      for (const k of [0, 1, 3, 6]) await store().append([user], entry(`D${k}`, noon - k * DAY), TTL, now * 1000);
      await store().append([user], entry('D0b', noon - 60_000), TTL, now * 1000); // a second entry that day
      const d = (k: number): number => dayNumber(noon - k * DAY);
      expect(await store().days(user, d(10), d(-1), 100)).toEqual([d(0), d(1), d(3), d(6)]);
      expect(await store().days(user, d(3), d(0), 100)).toEqual([d(0), d(1), d(3)]); // both bounds inclusive
      expect(await store().days(user, d(5), d(1), 100)).toEqual([d(1), d(3)]);
      expect(await store().days(user, d(10), d(-1), 2)).toEqual([d(0), d(1)]);
      expect(await store().days(user, d(2), d(2), 100)).toEqual([]);
      expect(await store().days(u('nobody'), d(10), d(-1), 100)).toEqual([]);
    });

    it('removes by timestamp from the given recipients only: older removals lose, a removal wins a tie', async () => {
      const [r1, r2, r3] = [u('r1'), u('r2'), u('r3')];
      const [a, b] = [entry('A', noon), entry('B', noon - 1000)];
      const day = dayNumber(noon);
      const ids = async (r: UserId): Promise<string[]> => (await store().readDay(r, day, 100)).map((e) => e.id);
      const t = now * 1000;
      await store().append([r1, r2, r3], a, TTL, t);
      await store().append([r1], b, TTL, t);
      await store().remove([r1, r2], a, t - 1); // older than the append: no effect
      expect(await ids(r1)).toEqual(['A', 'B']);
      await store().remove([r1, r2], a, t + 1);
      expect(await ids(r1)).toEqual(['B']);
      expect(await ids(r2)).toEqual([]);
      expect(await ids(r3)).toEqual(['A']);
      await store().append([r1], a, TTL, t); // a replayed older append does not resurrect it
      await store().append([r1], a, TTL, t + 1); // nor one at the removal's own timestamp
      expect(await ids(r1)).toEqual(['B']);
      await store().remove([r1], { ms: noon - 5000, id: 'B' }, t + 1); // keyed by (ms, id): not B's row
      expect(await ids(r1)).toEqual(['B']);
      await store().remove([r1], b, t); // same timestamp as the append: the removal wins
      expect(await ids(r1)).toEqual([]);
      await store().append([r1], a, TTL, t + 2); // a newer append does
      expect(await ids(r1)).toEqual(['A']);
    });

    it('keeps listing a day whose entries were all removed; it reads empty (the index never shrinks)', async () => {
      const user = u('emptied');
      const e = entry('E', noon - 2 * DAY);
      await store().append([user], e, TTL, now * 1000);
      await store().remove([user], e, now * 1000 + 1);
      expect(await store().days(user, dayNumber(noon - 5 * DAY), dayNumber(noon), 10)).toEqual([dayNumber(e.ms)]);
      expect(await store().readDay(user, dayNumber(e.ms), 10)).toEqual([]);
    });

    it('returns marks of the requested groups only (absent = never marked); marks never move backwards; read implies seen', async () => {
      const user = u('marker');
      const [g1, g2, g3, g4] = ['p1', 'p2', 'p3', 'p4'].map((o) => groupId('Like', `${tag}:${o}`, noon)) as [string, string, string, string];
      expect(await store().marks(user, [g1, g2])).toEqual({ seen: new Map(), read: new Map() });
      await store().mark(user, [g1], 'seen', now, TTL);
      await store().mark(user, [g2, g3], 'read', now + 5, TTL);
      await store().mark(user, [g1, g2], 'seen', now - 100, TTL); // older: changes nothing
      await store().mark(user, [g3], 'read', now - 100, TTL);
      await store().mark(user, [g4], 'seen', now, TTL);
      const marks = await store().marks(user, [g1, g2, g3, g1, u('unknown-group')]);
      expect(marks.seen).toEqual(new Map([[g1, now], [g2, now + 5], [g3, now + 5]]));
      expect(marks.read).toEqual(new Map([[g2, now + 5], [g3, now + 5]]));
      await store().mark(user, [g1], 'read', now + 10, TTL);
      expect(await store().marks(user, [g1])).toEqual({ seen: new Map([[g1, now + 10]]), read: new Map([[g1, now + 10]]) });
      expect(await store().marks(user, [])).toEqual({ seen: new Map(), read: new Map() });
      expect(await store().marks(u('other'), [g1])).toEqual({ seen: new Map(), read: new Map() });
    });

    it('skips writes whose TTL is below one second', async () => {
      const user = u('expired');
      const g = groupId('Like', `${tag}:x`, noon);
      await store().append([user], entry('X', noon), 0, now * 1000);
      await store().mark(user, [g], 'read', now, 0.5);
      expect(await store().days(user, dayNumber(noon - DAY), dayNumber(noon + DAY), 10)).toEqual([]);
      expect(await store().readDay(user, dayNumber(noon), 10)).toEqual([]);
      expect(await store().marks(user, [g])).toEqual({ seen: new Map(), read: new Map() });
    });
  });
}
