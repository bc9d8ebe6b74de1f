import type { Activity, ActivityPage, HomeEvent, NotificationEvent, NotificationGroup, NotificationPage } from './types';

/** Ids remembered per stream; older ones are forgotten first. */
export const REMEMBERED_IDS = 5_000;

/**
 * What a live stream has shown, so that the first page it fetches after a reconnect or `reset` adds only what is
 * new. Pure (no I/O): the live loop feeds it pages and events.
 *
 * - `baseline(page)`: the first page at the first connect, what the caller is assumed to have loaded itself: remembered,
 *   not emitted.
 * - `catchUp(page)`: the events for what the page shows that was neither emitted nor in a baseline, oldest first.
 *   Entries older than the oldest entry of an earlier first page (with more pages behind it) are old entries
 *   that moved up, not new ones: remembered, not emitted.
 * - `live(e)`: the event, or undefined when this stream already emitted exactly that.
 */
export interface UnseenTracker<E, P> {
  baseline(page: P): void;
  catchUp(page: P): E[];
  live(e: E): E | undefined;
}

/** A Map that keeps its newest `max` keys (a set refreshes the key). */
class BoundedMap<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    return this.m.get(k);
  }
  has(k: string): boolean {
    return this.m.has(k);
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value as string);
  }
}

/** Feed order is (time, id) descending; keys compare as strings (RFC 3339 UTC times with fixed precision). */
type Key = readonly [string, string];
const below = (a: Key, b: Key): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** The oldest entry of a first page that has more pages behind it; undefined when the page is the whole feed. */
function raisedFloor(floor: Key | undefined, oldest: Key | undefined, hasNext: boolean): Key | undefined {
  if (!hasNext || !oldest) return floor;
  return floor && below(oldest, floor) ? floor : oldest;
}

type HomeMark = 'known' | 'emitted' | 'deleted';

export function homeTracker(max = REMEMBERED_IDS): UnseenTracker<HomeEvent, ActivityPage> {
  const marks = new BoundedMap<HomeMark>(max);
  let floor: Key | undefined;
  const key = (a: Activity): Key => [a.published, a.id];
  const remember = (page: ActivityPage): void => {
    floor = raisedFloor(floor, page.items.length ? key(page.items[page.items.length - 1] as Activity) : undefined, page.next !== null);
  };
  return {
    baseline(page) {
      for (const a of page.items) if (!marks.has(a.id)) marks.set(a.id, 'known');
      remember(page);
    },
    catchUp(page) {
      const out: HomeEvent[] = [];
      const oldFloor = floor;
      for (const a of [...page.items].reverse()) {
        if (marks.has(a.id)) continue;
        const isOld = oldFloor !== undefined && below(key(a), oldFloor);
        marks.set(a.id, isOld ? 'known' : 'emitted');
        if (!isOld) out.push({ type: 'activity', activity: a });
      }
      remember(page);
      return out;
    },
    live(e) {
      const id = e.type === 'activity' ? e.activity.id : e.id;
      const mark = marks.get(id);
      if (e.type === 'activity' ? mark === 'emitted' || mark === 'deleted' : mark === 'deleted') return undefined;
      marks.set(id, e.type === 'activity' ? 'emitted' : 'deleted');
      return e;
    },
  };
}

/** A group counts as changed when any of these changed. */
const fingerprint = (g: NotificationGroup): string => JSON.stringify([g.updated, g.activityCount, g.seen, g.read]);

export function notificationTracker(max = REMEMBERED_IDS): UnseenTracker<NotificationEvent, NotificationPage> {
  /** Per group: its last fingerprint, and whether this stream emitted it (baseline entries were not). */
  const prints = new BoundedMap<{ fp: string; emitted: boolean }>(max);
  let floor: Key | undefined;
  const key = (g: NotificationGroup): Key => [g.updated, g.id];
  const remember = (page: NotificationPage): void => {
    floor = raisedFloor(floor, page.items.length ? key(page.items[page.items.length - 1] as NotificationGroup) : undefined, page.next !== null);
  };
  return {
    baseline(page) {
      for (const g of page.items) prints.set(g.id, { fp: fingerprint(g), emitted: false });
      remember(page);
    },
    catchUp(page) {
      const out: NotificationEvent[] = [];
      const oldFloor = floor;
      for (const g of [...page.items].reverse()) {
        const fp = fingerprint(g);
        const before = prints.get(g.id);
        if (before?.fp === fp) continue;
        // An unknown group below the floor is an old one that moved up; a known group that changed is news wherever it is.
        const isOld = before === undefined && oldFloor !== undefined && below(key(g), oldFloor);
        prints.set(g.id, { fp, emitted: !isOld });
        if (!isOld) out.push({ type: 'group', group: g });
      }
      remember(page);
      return out;
    },
    live(e) {
      const fp = fingerprint(e.group);
      const before = prints.get(e.group.id);
      if (before?.emitted && before.fp === fp) return undefined;
      prints.set(e.group.id, { fp, emitted: true });
      return e;
    },
  };
}
