import { GraphStore } from '@app/feeds';
import { executeMany, FOLLOWERS_CQL, micros } from '../src';
import { openStorage, StorageFixture } from './support';

describe('CassandraGraphStore', () => {
  let fx: StorageFixture;
  let sut: GraphStore;
  const t0 = Date.now();
  const u = (name: string): string => `${fx.tag}-${name}`;

  beforeAll(async () => {
    fx = await openStorage('gr');
    sut = fx.stores.graph;
  });
  afterAll(async () => fx.client.shutdown());

  it('applies follow/unfollow last-write-wins and counts only real changes', async () => {
    const [alice, bob] = [u('alice'), u('bob')];
    expect(await sut.apply({ op: 'follow', user: alice, target: bob, atMs: t0 })).toEqual({ exists: true, changed: true });
    expect(await sut.apply({ op: 'follow', user: alice, target: bob, atMs: t0 + 1 })).toEqual({ exists: true, changed: false });
    // An unfollow older than the follow loses.
    expect(await sut.apply({ op: 'unfollow', user: alice, target: bob, atMs: t0 - 10 })).toEqual({ exists: true, changed: false });
    expect(await sut.isFollowing(alice, bob)).toBe(true);
    expect(await sut.followerCount(bob)).toBe(1);

    expect(await sut.apply({ op: 'unfollow', user: alice, target: bob, atMs: t0 + 10 })).toEqual({ exists: false, changed: true });
    expect(await sut.apply({ op: 'unfollow', user: alice, target: bob, atMs: t0 + 11 })).toEqual({ exists: false, changed: false });
    // A replayed old follow does not resurrect the newer unfollow.
    expect(await sut.apply({ op: 'follow', user: alice, target: bob, atMs: t0 })).toEqual({ exists: false, changed: false });
    expect(await sut.isFollowing(alice, bob)).toBe(false);
    expect(await sut.followerCount(bob)).toBe(0);
    expect((await sut.followersPage(bob, null, 10)).items).toEqual([]);
  });

  it('pages following and followers by user id with `since`', async () => {
    const fan = u('fan');
    const targets = ['c', 'a', 'e', 'b', 'd'].map((n) => u(`t-${n}`));
    for (const [i, target] of targets.entries()) await sut.apply({ op: 'follow', user: fan, target, atMs: t0 + i });
    const sorted = [...targets].sort();

    const p1 = await sut.followingPage(fan, null, 2);
    expect(p1.items.map((i) => i.userId)).toEqual(sorted.slice(0, 2));
    expect(p1.next).toBe(sorted[1]);
    const p2 = await sut.followingPage(fan, p1.next, 2);
    expect(p2.items.map((i) => i.userId)).toEqual(sorted.slice(2, 4));
    const p3 = await sut.followingPage(fan, p2.next, 2);
    expect(p3).toEqual({ items: [{ userId: sorted[4], sinceMs: t0 + targets.indexOf(sorted[4]!) }], next: null });
    expect((await sut.followingPage(fan, null, 5)).next).toBeNull();

    const followers = await sut.followersPage(targets[0]!, null, 10);
    expect(followers).toEqual({ items: [{ userId: fan, sinceMs: t0 }], next: null });

    const pages: string[][] = [];
    for await (const page of sut.followingPages(fan, 2)) pages.push(page);
    expect(pages.flat()).toEqual(sorted);
  });

  it('answers followingAmong in chunks beyond the IN limit', async () => {
    const fan = u('among');
    const candidates = Array.from({ length: 250 }, (_, i) => u(`c${String(i).padStart(3, '0')}`));
    const followed = candidates.filter((_, i) => i % 7 === 0);
    await Promise.all(followed.map((target) => sut.apply({ op: 'follow', user: fan, target, atMs: t0 })));
    expect(await sut.followingAmong(fan, [...candidates, u('nobody')])).toEqual(new Set(followed));
    expect(await sut.followingAmong(fan, [])).toEqual(new Set());
  });

  it('streams 2,500 followers in pages of 1,000 without loss', async () => {
    const star = u('star');
    const followers = Array.from({ length: 2500 }, (_, i) => u(`f${i}`));
    await executeMany(fx.client, FOLLOWERS_CQL.insert, followers.map((f) => [star, f, new Date(t0), micros(t0 * 1000)]), 64);
    const sizes: number[] = [];
    const seen = new Set<string>();
    for await (const page of sut.followerPages(star, 1000)) {
      sizes.push(page.length);
      page.forEach((f) => seen.add(f));
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(seen).toEqual(new Set(followers));
  }, 30_000);

  it('keeps mutes, timestamped', async () => {
    const me = u('muter');
    expect(await sut.apply({ op: 'mute', user: me, target: u('loud'), atMs: t0 })).toEqual({ exists: true, changed: true });
    await sut.apply({ op: 'mute', user: me, target: u('spam'), atMs: t0 });
    expect(await sut.apply({ op: 'unmute', user: me, target: u('spam'), atMs: t0 - 1 })).toEqual({ exists: true, changed: false });
    expect(await sut.apply({ op: 'unmute', user: me, target: u('loud'), atMs: t0 + 1 })).toEqual({ exists: false, changed: true });
    expect(await sut.mutedBy(me)).toEqual(new Set([u('spam')]));
    expect(await sut.followerCount(u('loud'))).toBe(0);
  });

  it('tracks high-follower authors and pulled follows', async () => {
    const [star, reader] = [u('celebrity'), u('reader')];
    expect(await sut.isHighFollower(star)).toBe(false);
    await sut.markHighFollower(star, t0);
    expect(await sut.isHighFollower(star)).toBe(true);

    await sut.addPulledFollow(reader, star, t0 * 1000);
    await sut.addPulledFollow(reader, u('other'), t0 * 1000);
    await sut.removePulledFollow(reader, u('other'), t0 * 1000 - 1); // older: loses
    expect((await sut.pulledFollows(reader)).sort()).toEqual([star, u('other')].sort());
    await sut.removePulledFollow(reader, star, t0 * 1000 + 1);
    expect(await sut.pulledFollows(reader)).toEqual([u('other')]);
  });
});
