import { FeedPosition, HOME_BUCKET_MS, USER_FEED_BUCKET_MS, UserId } from '@app/domain';
import type { FeedRef, SlicePage, TimelineStore } from '@app/feeds';
import { byNewest, contractTag, DAY, describeStore, MakeStore, TTL } from './support';

/** One feed of the TimelineStore, seen through a common shape (the user feed's owner is the ref's actor). */
interface Feed {
  readonly name: string;
  readonly bucketMs: number;
  append(s: TimelineStore, owner: UserId, ref: FeedRef, ts: number, ttl: number): Promise<void>;
  remove(s: TimelineStore, owner: UserId, ref: FeedRef, ts: number): Promise<void>;
  read(s: TimelineStore, owner: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage>;
  /** The actor a row of `owner`'s feed reads back with. */
  actorOf(owner: UserId, ref: FeedRef): UserId;
}

const FEEDS: readonly Feed[] = [
  {
    name: 'user feed',
    bucketMs: USER_FEED_BUCKET_MS,
    append: (s, owner, ref, ts, ttl) => s.appendUserFeed({ ...ref, actor: owner }, ts, ttl),
    remove: (s, owner, ref, ts) => s.removeUserFeed({ ...ref, actor: owner }, ts),
    read: (s, owner, before, floor, limit) => s.readUserFeed(owner, before, floor, limit),
    actorOf: (owner) => owner,
  },
  {
    name: 'home timeline',
    bucketMs: HOME_BUCKET_MS,
    append: (s, owner, ref, ts, ttl) => s.appendHome([owner], ref, ts, ttl, 2),
    remove: (s, owner, ref, ts) => s.removeHome([owner], ref, ts, 2),
    read: (s, owner, before, floor, limit) => s.readHome(owner, before, floor, limit),
    actorOf: (_owner, ref) => ref.actor,
  },
];

/** Follows pages until `exhausted` (or an empty page), at most 100 of them. */
async function readAll(read: (before: FeedPosition | null) => Promise<SlicePage>): Promise<SlicePage[]> {
  const pages: SlicePage[] = [];
  let before: FeedPosition | null = null;
  for (let i = 0; i < 100; i++) {
    const page = await read(before);
    pages.push(page);
    const last = page.rows[page.rows.length - 1];
    if (page.exhausted || !last) return pages;
    before = { ms: last.ms, id: last.id };
  }
  throw new Error('paging did not terminate');
}

/**
 * The TimelineStore contract (ports.ts): for the user feed and the home timeline, newest-first slices
 * strictly older than `before` and not older than `floorMs`, `exhausted` semantics, and rows keyed by
 * (ms, id) resolving appends and removes by write timestamp, a remove winning a tie.
 */
export function timelineStoreContract(make: MakeStore<TimelineStore>): void {
  describeStore('TimelineStore contract', make, (store) => {
    const now = Date.now();
    let tag = '';
    beforeEach(() => {
      tag = contractTag();
    });
    const owner = (name: string): UserId => `${tag}-${name}`;
    const ref = (id: string, ms: number, actor = owner('author')): FeedRef => ({ ms, id, actor });

    for (const feed of FEEDS) {
      describe(feed.name, () => {
        const ids = async (o: UserId, floor = now - DAY): Promise<string[]> =>
          (await feed.read(store(), o, null, floor, 100)).rows.map((r) => r.id);
        /** The start of the bucket three buckets back: rows placed there share one bucket. */
        const bucketStart = (): number => (Math.floor(now / feed.bucketMs) - 3) * feed.bucketMs;

        it('pages newest first by (ms, id), strictly older than `before`, down to the floor, for any limit', async () => {
          const o = owner('pager');
          const offsets = [-60_000, 10_000, DAY + 5, 4 * DAY + 1, 4 * DAY + 1, 45 * DAY, 100 * DAY + 7];
          const refs = offsets.map((off, i) => ref(`R${i}`, now - off));
          for (const r of refs) await feed.append(store(), o, r, r.ms * 1000, TTL);
          const expected = byNewest(refs).map((r) => ({ ...r, actor: feed.actorOf(o, r) }));
          for (const limit of [1, 2, 3, 7, 50]) {
            const pages = await readAll((before) => feed.read(store(), o, before, now - 120 * DAY, limit));
            expect(pages.flatMap((p) => p.rows)).toEqual(expected);
            expect(pages.every((p) => p.rows.length <= limit)).toBe(true);
            pages.slice(0, -1).forEach((p) => expect(p.exhausted).toBe(false));
            expect(pages[pages.length - 1]?.exhausted).toBe(true);
          }
          // `before` is exclusive, also between rows sharing a millisecond.
          const [, , , a3, a4] = refs as [FeedRef, FeedRef, FeedRef, FeedRef, FeedRef];
          const older = await feed.read(store(), o, { ms: a4.ms, id: a4.id }, now - 120 * DAY, 50);
          expect(older.rows.map((r) => r.id)).toEqual(['R3', 'R5', 'R6']);
          const fromA3 = await feed.read(store(), o, { ms: a3.ms, id: a3.id }, now - 120 * DAY, 50);
          expect(fromA3.rows.map((r) => r.id)).toEqual(['R5', 'R6']);
          // The floor is inclusive; nothing older is returned.
          const floored = await feed.read(store(), o, null, now - 45 * DAY, 50);
          expect(floored).toEqual({ rows: expected.filter((r) => r.ms >= now - 45 * DAY), exhausted: true });
          expect(await feed.read(store(), o, null, now - 45 * DAY + 1, 50)).toEqual({ rows: expected.slice(0, 5), exhausted: true });
        });

        it('reads an empty, exhausted page before the floor and for an empty feed; limit 0 reads nothing', async () => {
          const o = owner('edge');
          const r = ref('E1', now - 10 * DAY);
          await feed.append(store(), o, r, r.ms * 1000, TTL);
          expect(await feed.read(store(), o, { ms: now - 20 * DAY, id: 'x' }, now - 15 * DAY, 10)).toEqual({ rows: [], exhausted: true });
          expect(await feed.read(store(), owner('nobody'), null, now - 30 * DAY, 10)).toEqual({ rows: [], exhausted: true });
          // limit 0 reads nothing and claims nothing about what lies beyond.
          expect(await feed.read(store(), o, null, now - 30 * DAY, 0)).toEqual({ rows: [], exhausted: false });
        });

        it('is not exhausted while rows remain; a page filled exactly with older buckets unread is not exhausted either', async () => {
          const o = owner('dense');
          const base = bucketStart();
          const refs = [1, 2, 3].map((i) => ref(`D${i}`, base + 10_000 - i * 1000));
          for (const r of refs) await feed.append(store(), o, r, now * 1000, TTL);
          const top = { ms: base + 20_000, id: '~' };
          const more = await feed.read(store(), o, top, base, 2);
          expect(more).toEqual({ rows: byNewest(refs).slice(0, 2).map((r) => ({ ...r, actor: feed.actorOf(o, r) })), exhausted: false });
          // Exactly filled in the floor's own bucket: every bucket was read, so it is exhausted.
          expect((await feed.read(store(), o, top, base, 3)).exhausted).toBe(true);
          // Exactly filled with older buckets above the floor still unread: not known to be exhausted (slice-reader)…
          const exact = await feed.read(store(), o, top, base - 5 * feed.bucketMs, 3);
          expect(exact.rows.map((r) => r.id)).toEqual(['D1', 'D2', 'D3']);
          expect(exact.exhausted).toBe(false);
          // …and the next page is then empty and exhausted.
          expect(await feed.read(store(), o, { ms: refs[2]!.ms, id: 'D3' }, base - 5 * feed.bucketMs, 3)).toEqual({ rows: [], exhausted: true });
        });

        it('resolves appends and removes by write timestamp: last write wins, a remove wins a tie', async () => {
          const o = owner('lww');
          const r = ref('L1', now - 5000);
          const t = now * 1000;
          await feed.append(store(), o, r, t, TTL);
          await feed.append(store(), o, r, t, TTL); // idempotent
          expect(await ids(o)).toEqual(['L1']);
          await feed.remove(store(), o, r, t - 1000); // an older remove loses
          expect(await ids(o)).toEqual(['L1']);
          await feed.remove(store(), o, r, t + 1000);
          expect(await ids(o)).toEqual([]);
          await feed.append(store(), o, r, t, TTL); // a replayed older append does not resurrect it
          await feed.append(store(), o, r, t + 1000, TTL); // nor one at the remove's own timestamp
          expect(await ids(o)).toEqual([]);
          await feed.append(store(), o, r, t + 2000, TTL); // a newer one does
          expect(await ids(o)).toEqual(['L1']);
          await feed.remove(store(), o, r, t + 2000); // a remove at the append's timestamp wins
          expect(await ids(o)).toEqual([]);
        });

        it('reads a row back with the activity it was written with, and a row written without one without', async () => {
          const o = owner('bodies');
          const actor = feed.actorOf(o, ref('x', now));
          const ms = now - 5_000;
          const activity = { id: 'with', actor, type: 'post', object: 'note:1', published: new Date(ms).toISOString(), to: ['z'], extra: { n: 1, s: 'é' } };
          await feed.append(store(), o, { ms, id: 'with', actor, activity }, 1, TTL);
          await feed.append(store(), o, { ms: ms - 1, id: 'without', actor }, 1, TTL);
          const rows = (await feed.read(store(), o, null, now - DAY, 10)).rows;
          expect(rows.map((r) => [r.id, r.activity ?? null])).toEqual([['with', activity], ['without', null]]);
        });

        it('keys rows by (ms, id): the same id at another ms is another row', async () => {
          const o = owner('key');
          await feed.append(store(), o, ref('K1', now - 1000), now * 1000, TTL);
          await feed.append(store(), o, ref('K1', now - 2000), now * 1000, TTL);
          expect(await ids(o)).toEqual(['K1', 'K1']);
          await feed.remove(store(), o, ref('K1', now - 3000), now * 1000 + 1); // no such row
          await feed.remove(store(), o, ref('K1', now - 2000), now * 1000 + 1);
          expect((await feed.read(store(), o, null, now - DAY, 10)).rows.map((r) => r.ms)).toEqual([now - 1000]);
        });

        it('skips an append whose TTL is below one second', async () => {
          const o = owner('expired');
          await feed.append(store(), o, ref('X1', now - 1000), now * 1000, 0);
          await feed.append(store(), o, ref('X2', now - 2000), now * 1000, 0.5);
          expect(await ids(o)).toEqual([]);
        });
      });
    }

    it('home: fans one ref out to many users, and removes it from the given users only', async () => {
      const users = Array.from({ length: 12 }, (_, i) => owner(`f${i}`));
      const r = ref('F1', now - 2000, owner('star'));
      await store().appendHome(users, r, now * 1000, TTL, 3);
      for (const u of users) expect((await store().readHome(u, null, now - DAY, 5)).rows).toEqual([r]);
      await store().removeHome(users.slice(0, 6), r, now * 1000 + 1, 3);
      const counts = await Promise.all(users.map(async (u) => (await store().readHome(u, null, now - DAY, 5)).rows.length));
      expect(counts).toEqual([...Array(6).fill(0), ...Array(6).fill(1)]);
      expect((await store().readUserFeed(owner('star'), null, now - DAY, 5)).rows).toEqual([]);
    });

    it('home: appendHomeMany writes each ref with its own TTL (skipping those below one second); removeHomeMany by timestamp', async () => {
      const u = owner('many');
      const refs = [1, 2, 3, 4].map((i) => ref(`M${i}`, now - i * 100, owner(`a${i % 2}`)));
      await store().appendHomeMany(u, refs, now * 1000, (r) => (r.id === 'M2' ? 0 : TTL), 2);
      expect((await store().readHome(u, null, now - DAY, 10)).rows).toEqual([refs[0], refs[2], refs[3]]);
      await store().removeHomeMany(u, refs.slice(0, 3), now * 1000 - 1, 2); // older than the appends: loses
      expect((await store().readHome(u, null, now - DAY, 10)).rows.map((r) => r.id)).toEqual(['M1', 'M3', 'M4']);
      await store().removeHomeMany(u, refs.slice(0, 3), now * 1000 + 1, 2);
      expect((await store().readHome(u, null, now - DAY, 10)).rows.map((r) => r.id)).toEqual(['M4']);
      await store().appendHomeMany(u, refs, now * 1000, () => TTL, 2); // replayed backfill: the removals hold
      expect((await store().readHome(u, null, now - DAY, 10)).rows.map((r) => r.id)).toEqual(['M4']);
    });
  });
}
