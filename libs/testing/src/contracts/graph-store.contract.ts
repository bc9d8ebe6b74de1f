import { GraphChange, UserId } from '@app/domain';
import type { GraphStore } from '@app/feeds';
import { contractTag, describeStore, MakeStore } from './support';

/**
 * The GraphStore contract (ports.ts): `apply` resolving follows/unfollows and mutes/unmutes by `atMs`
 * whatever order they arrive in (an unfollow winning a tie), reporting the state after the write and
 * whether it changed; pages by user id with `next`; bounded counts; high-follower marks and pulled
 * follows with timestamped, last-write-wins writes.
 */
export function graphStoreContract(make: MakeStore<GraphStore>): void {
  describeStore('GraphStore contract', make, (store) => {
    const t0 = Date.now();
    let tag = '';
    beforeEach(() => {
      tag = contractTag();
    });
    const u = (name: string): UserId => `${tag}-${name}`;
    const apply = (op: GraphChange['op'], user: UserId, target: UserId, atMs: number) => store().apply({ op, user, target, atMs });

    it('applies follows and unfollows last-write-wins, reporting exists/changed after each write', async () => {
      const [a, b] = [u('alice'), u('bob')];
      expect(await apply('follow', a, b, t0)).toEqual({ exists: true, changed: true });
      expect(await apply('follow', a, b, t0)).toEqual({ exists: true, changed: false }); // idempotent
      expect(await apply('follow', a, b, t0 + 1)).toEqual({ exists: true, changed: false });
      expect(await apply('unfollow', a, b, t0 - 10)).toEqual({ exists: true, changed: false }); // older: loses
      expect(await store().isFollowing(a, b)).toBe(true);
      expect(await apply('unfollow', a, b, t0 + 10)).toEqual({ exists: false, changed: true });
      expect(await apply('unfollow', a, b, t0 + 11)).toEqual({ exists: false, changed: false });
      expect(await apply('follow', a, b, t0 + 5)).toEqual({ exists: false, changed: false }); // replayed: loses
      expect(await store().isFollowing(a, b)).toBe(false);
      expect(await store().isFollowing(b, a)).toBe(false);
      expect(await apply('follow', a, b, t0 + 20)).toEqual({ exists: true, changed: true });
      expect(await store().followersPage(b, null, 10)).toEqual({ items: [{ userId: a, sinceMs: t0 + 20 }], next: null });
    });

    it('resolves reordered changes by time: the newest wins, and an unfollow wins a tie in either order', async () => {
      const [a, b, c] = [u('a'), u('b'), u('c')];
      // Unfollow first (nothing to remove yet), then the older follow: the edge never appears.
      expect(await apply('unfollow', a, b, t0 + 10)).toEqual({ exists: false, changed: false });
      expect(await apply('follow', a, b, t0)).toEqual({ exists: false, changed: false });
      // Same time, both orders: the unfollow wins.
      expect(await apply('follow', a, c, t0)).toEqual({ exists: true, changed: true });
      expect(await apply('unfollow', a, c, t0)).toEqual({ exists: false, changed: true });
      expect(await apply('unfollow', c, a, t0)).toEqual({ exists: false, changed: false });
      expect(await apply('follow', c, a, t0)).toEqual({ exists: false, changed: false });
      expect(await store().followingAmong(a, [b, c])).toEqual(new Set());
      expect(await store().followerCount(b)).toBe(0);
      expect(await store().followerCount(c)).toBe(0);
    });

    it('`sinceMs` is the time of the newest follow that won', async () => {
      const [fan, star] = [u('fan'), u('star')];
      await apply('follow', fan, star, t0 + 50);
      await apply('follow', fan, star, t0); // older replay: loses
      expect((await store().followingPage(fan, null, 10)).items).toEqual([{ userId: star, sinceMs: t0 + 50 }]);
      await apply('follow', fan, star, t0 + 80); // a newer follow of an existing edge rewrites it
      expect((await store().followingPage(fan, null, 10)).items).toEqual([{ userId: star, sinceMs: t0 + 80 }]);
      expect((await store().followersPage(star, null, 10)).items).toEqual([{ userId: fan, sinceMs: t0 + 80 }]);
    });

    it('counts followers by real changes only, and following exactly up to a bound', async () => {
      const fan = u('counter');
      const targets = ['a', 'b', 'c', 'd', 'e'].map((n) => u(`t-${n}`));
      for (const t of targets) {
        await apply('follow', fan, t, t0);
        await apply('follow', fan, t, t0 + 1);
      }
      await apply('unfollow', fan, targets[0]!, t0 - 1);
      expect(await store().followerCount(targets[0]!)).toBe(1);
      expect(await store().followingCount(fan, 3)).toBe(3);
      expect(await store().followingCount(fan, 5)).toBe(5);
      expect(await store().followingCount(fan, 100)).toBe(5);
      expect(await store().followingCount(u('loner'), 10)).toBe(0);
      await apply('unfollow', fan, targets[0]!, t0 + 2);
      expect(await store().followerCount(targets[0]!)).toBe(0);
      expect(await store().followingCount(fan, 100)).toBe(4);
      expect(await store().followerCount(u('nobody'))).toBe(0);
    });

    it('answers isFollowing and followingAmong (duplicates, strangers and empty lists allowed)', async () => {
      const fan = u('among');
      const candidates = Array.from({ length: 30 }, (_, i) => u(`c${String(i).padStart(2, '0')}`));
      const followed = candidates.filter((_, i) => i % 4 === 0);
      for (const t of followed) await apply('follow', fan, t, t0);
      expect(await store().followingAmong(fan, [...candidates, ...followed, u('stranger')])).toEqual(new Set(followed));
      expect(await store().followingAmong(fan, [])).toEqual(new Set());
      expect(await store().isFollowing(fan, followed[1]!)).toBe(true);
      expect(await store().isFollowing(fan, candidates[1]!)).toBe(false);
    });

    it('pages following and followers by user id; `next` is the last id while more may follow, else null', async () => {
      const fan = u('pager');
      const targets = ['c', 'a', 'e', 'b', 'd'].map((n) => u(`t-${n}`));
      for (const [i, t] of targets.entries()) await apply('follow', fan, t, t0 + i);
      const sorted = [...targets].sort();
      const since = (id: string): number => t0 + targets.indexOf(id);

      const p1 = await store().followingPage(fan, null, 2);
      expect(p1).toEqual({ items: sorted.slice(0, 2).map((id) => ({ userId: id, sinceMs: since(id) })), next: sorted[1] });
      const p2 = await store().followingPage(fan, p1.next, 2);
      expect(p2.items.map((i) => i.userId)).toEqual(sorted.slice(2, 4));
      expect(p2.next).toBe(sorted[3]);
      const p3 = await store().followingPage(fan, p2.next, 2);
      expect(p3).toEqual({ items: [{ userId: sorted[4], sinceMs: since(sorted[4]!) }], next: null });
      expect((await store().followingPage(fan, null, 5)).next).toBeNull(); // exactly full: no more
      expect(await store().followingPage(fan, sorted[4]!, 5)).toEqual({ items: [], next: null });
      expect(await store().followingPage(u('nobody'), null, 5)).toEqual({ items: [], next: null });

      const followers = targets.map((_, i) => u(`f${i}`));
      for (const f of followers) await apply('follow', f, targets[0]!, t0);
      await apply('unfollow', followers[2]!, targets[0]!, t0 + 1);
      const expected = [fan, ...followers.filter((_, i) => i !== 2)].sort();
      const f1 = await store().followersPage(targets[0]!, null, 3);
      expect(f1.items.map((i) => i.userId)).toEqual(expected.slice(0, 3));
      expect(f1.next).toBe(expected[2]);
      expect(await store().followersPage(targets[0]!, f1.next, 3)).toEqual({
        items: expected.slice(3).map((id) => ({ userId: id, sinceMs: t0 })),
        next: null,
      });
    });

    it('streams followers and following in pages of at most `pageSize`, in user id order', async () => {
      const star = u('star');
      const fans = Array.from({ length: 5 }, (_, i) => u(`fan${i}`));
      for (const f of fans) await apply('follow', f, star, t0);
      for (const t of fans) await apply('follow', star, t, t0);
      const collect = async (pages: AsyncIterable<UserId[]>): Promise<UserId[][]> => {
        const out: UserId[][] = [];
        for await (const p of pages) out.push(p);
        return out;
      };
      const followerPages = await collect(store().followerPages(star, 2));
      expect(followerPages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(followerPages.flat()).toEqual([...fans].sort());
      expect((await collect(store().followingPages(star, 3))).flat()).toEqual([...fans].sort());
      expect((await collect(store().followingPages(star, 3))).map((p) => p.length)).toEqual([3, 2]);
      expect(await collect(store().followerPages(u('nobody'), 2))).toEqual([]);
    });

    it('keeps mutes apart from follows, resolved by time', async () => {
      const me = u('muter');
      const [loud, spam] = [u('loud'), u('spam')];
      expect(await apply('mute', me, loud, t0)).toEqual({ exists: true, changed: true });
      expect(await apply('mute', me, spam, t0)).toEqual({ exists: true, changed: true });
      expect(await apply('unmute', me, spam, t0 - 1)).toEqual({ exists: true, changed: false });
      expect(await apply('unmute', me, loud, t0 + 1)).toEqual({ exists: false, changed: true });
      expect(await apply('mute', me, loud, t0 + 1)).toEqual({ exists: false, changed: false }); // tie: unmute wins
      expect(await store().mutedBy(me)).toEqual(new Set([spam]));
      expect(await store().mutedBy(u('nobody'))).toEqual(new Set());
      expect(await store().isFollowing(me, spam)).toBe(false);
      expect(await store().followerCount(spam)).toBe(0);
      expect(await store().followingCount(me, 10)).toBe(0);
    });

    it('marks high-follower authors until a demotion unmarks them, and can mark them again', async () => {
      const star = u('celebrity');
      expect(await store().isHighFollower(star)).toBe(false);
      await store().markHighFollower(star, t0);
      await store().markHighFollower(star, t0 + 1);
      expect(await store().isHighFollower(star)).toBe(true);
      expect(await store().isHighFollower(u('other'))).toBe(false);
      await store().unmarkHighFollower(star);
      expect(await store().isHighFollower(star)).toBe(false);
      await store().markHighFollower(star, t0 + 2);
      expect(await store().isHighFollower(star)).toBe(true);
    });

    it('pins an author to push and unpins them, per author', async () => {
      const star = u('pinned');
      expect(await store().isPushPinned(star)).toBe(false);
      await store().setPushPin(star, t0);
      await store().setPushPin(star, t0 + 1); // idempotent
      expect(await store().isPushPinned(star)).toBe(true);
      expect(await store().isPushPinned(u('other'))).toBe(false);
      await store().setPushPin(star, null);
      expect(await store().isPushPinned(star)).toBe(false);
      await store().setPushPin(star, null); // nothing left to remove
      expect(await store().isPushPinned(star)).toBe(false);
    });

    it('keeps pulled follows last-write-wins by timestamp (a removal wins a tie), listed by author id', async () => {
      const reader = u('reader');
      const [s1, s2, s3] = [u('s1'), u('s2'), u('s3')];
      const t = t0 * 1000;
      await store().addPulledFollow(reader, s2, t);
      await store().addPulledFollow(reader, s1, t);
      await store().addPulledFollow(reader, s1, t); // idempotent
      expect(await store().pulledFollows(reader)).toEqual([s1, s2]);
      await store().removePulledFollow(reader, s2, t - 1); // older: loses
      expect(await store().pulledFollows(reader)).toEqual([s1, s2]);
      await store().removePulledFollow(reader, s1, t + 1);
      await store().addPulledFollow(reader, s1, t); // replayed older add: stays removed
      expect(await store().pulledFollows(reader)).toEqual([s2]);
      await store().removePulledFollow(reader, s3, t); // nothing to remove, then an add at the same time
      await store().addPulledFollow(reader, s3, t);
      expect(await store().pulledFollows(reader)).toEqual([s2]);
      await store().addPulledFollow(reader, s1, t + 2);
      expect(await store().pulledFollows(reader)).toEqual([s1, s2]);
      expect(await store().pulledFollows(u('nobody'))).toEqual([]);
    });
  });
}
