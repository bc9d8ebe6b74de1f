import type { Activity, ActivityPage, HomeEvent, NotificationGroup, NotificationPage } from './types';
import { homeTracker, notificationTracker } from './unseen';

/** Activity `n` was published at second n: higher n = newer. */
const act = (n: number): Activity => ({ id: `a${String(n).padStart(3, '0')}`, actor: 'x', type: 'post', object: `o${n}`, published: new Date(Date.UTC(2026, 11, 2, 10, 0, n)).toISOString() });
/** A first page: the given activities newest first; `more` = it has a next cursor. */
const page = (ns: number[], more = false): ActivityPage => ({ items: [...ns].sort((a, b) => b - a).map(act), next: more ? 'c' : null });
const ids = (es: HomeEvent[]): string[] => es.map((e) => (e.type === 'activity' ? e.activity.id : `-${e.id}`));
const live = (n: number): HomeEvent => ({ type: 'activity', activity: act(n) });

describe('home tracker', () => {
  it('emits nothing of the baseline, and on catch-up only what is new, oldest first', () => {
    const t = homeTracker();
    t.baseline(page([1, 2, 3]));
    expect(ids(t.catchUp(page([1, 2, 3, 4, 5])))).toEqual(['a004', 'a005']);
    expect(t.catchUp(page([1, 2, 3, 4, 5]))).toEqual([]);
  });

  it('does not repeat on catch-up what it emitted live, nor live what catch-up emitted', () => {
    const t = homeTracker();
    t.baseline(page([1]));
    expect(t.live(live(2))).toEqual(live(2));
    expect(ids(t.catchUp(page([1, 2, 3])))).toEqual(['a003']);
    expect(t.live(live(3))).toBeUndefined();
    expect(t.live(live(2))).toBeUndefined();
  });

  it('emits live what only the baseline had (the caller may have loaded its page before that)', () => {
    const t = homeTracker();
    t.baseline(page([1, 2]));
    expect(t.live(live(2))).toEqual(live(2));
    expect(t.live(live(2))).toBeUndefined();
  });

  it('treats older entries that move up into the first page (after deletes) as old', () => {
    const t = homeTracker();
    t.baseline(page([5, 6, 7], true));
    // 6 deleted meanwhile: 4 moves up from the second page; 8 is new.
    expect(ids(t.catchUp(page([4, 5, 7, 8], true)))).toEqual(['a008']);
  });

  it('emits unknown older entries when the earlier first page was the whole feed', () => {
    const t = homeTracker();
    t.baseline(page([5, 6]));
    expect(ids(t.catchUp(page([3, 5, 6, 7])))).toEqual(['a003', 'a007']);
  });

  it('passes deletes on once, and never brings a deleted activity back', () => {
    const t = homeTracker();
    t.baseline(page([]));
    expect(t.live({ type: 'delete', id: 'a001' })).toEqual({ type: 'delete', id: 'a001' });
    expect(t.live({ type: 'delete', id: 'a001' })).toBeUndefined();
    expect(t.live(live(1))).toBeUndefined();
  });

  it('forgets the oldest ids beyond its bound', () => {
    const t = homeTracker(3);
    t.baseline(page([]));
    for (const n of [1, 2, 3, 4]) t.live(live(n));
    expect(t.live(live(4))).toBeUndefined();
    expect(t.live(live(1))).toEqual(live(1));
  });
});

const group = (id: string, updatedSecond: number, over: Partial<NotificationGroup> = {}): NotificationGroup => {
  const latest = act(updatedSecond);
  return { id, type: 'like', object: id, actors: ['x'], actorCount: 1, activityCount: 1, latest, updated: latest.published, seen: false, read: false, ...over };
};
const gpage = (gs: NotificationGroup[], more = false): NotificationPage => ({ items: [...gs].sort((a, b) => (a.updated < b.updated ? 1 : -1)), next: more ? 'c' : null, unseen: 0, unread: 0 });

describe('notification tracker', () => {
  it('emits groups that are new or changed (updated, count, seen, read), oldest first', () => {
    const t = notificationTracker();
    t.baseline(gpage([group('g1', 1), group('g2', 2), group('g3', 3)]));
    const out = t.catchUp(gpage([group('g1', 1, { read: true, seen: true }), group('g2', 2), group('g3', 9, { activityCount: 2 }), group('g4', 5)]));
    expect(out.map((e) => e.group.id)).toEqual(['g1', 'g4', 'g3']);
    expect(t.catchUp(gpage([group('g1', 1, { read: true, seen: true }), group('g3', 9, { activityCount: 2 }), group('g4', 5)]))).toEqual([]);
  });

  it('emits a live group unless this stream emitted that very state', () => {
    const t = notificationTracker();
    t.baseline(gpage([group('g1', 1)]));
    expect(t.live({ type: 'group', group: group('g1', 1) })).toBeDefined();
    expect(t.live({ type: 'group', group: group('g1', 1) })).toBeUndefined();
    expect(t.catchUp(gpage([group('g1', 1)]))).toEqual([]);
    expect(t.live({ type: 'group', group: group('g1', 1, { seen: true }) })).toBeDefined();
  });

  it('treats unknown groups below an earlier first page as old, known changed ones as news', () => {
    const t = notificationTracker();
    t.baseline(gpage([group('g5', 5), group('g6', 6)], true));
    const out = t.catchUp(gpage([group('g3', 3), group('g5', 5, { read: true }), group('g7', 7)], true));
    expect(out.map((e) => e.group.id)).toEqual(['g5', 'g7']);
  });
});
