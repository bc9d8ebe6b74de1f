import { createHash } from 'node:crypto';
import { Activity, compareNewestFirst, FeedPosition } from './activity';
import { UserId } from './ids';

export const MAX_GROUP_ACTORS = 10;

/** One activity in one recipient's notification log. */
export interface NotificationEntry extends FeedPosition {
  readonly actor: UserId;
  readonly type: string;
  readonly object: string;
  /** When it entered the log (not `published`): marking compares against arrival. */
  readonly receivedMs: number;
}

/** The UTC day of `published` (docs/api.md §1.4: groups are by type, object and UTC day). */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The shape of every id groupId() makes: `yyyymmdd-` and 22 base64url characters. */
export const GROUP_ID_PATTERN = /^\d{8}-[A-Za-z0-9_-]{22}$/;

/** Stable, URL-safe group id: the same (type, object, day) always yields the same id. */
export function groupId(type: string, object: string, ms: number): string {
  const day = utcDay(ms);
  const h = createHash('sha256').update(`${type}\u0000${object}\u0000${day}`).digest('base64url').slice(0, 22);
  return `${day.replace(/-/g, '')}-${h}`;
}

export interface GroupMarks {
  /** Per-group marks (ms); absent = never marked individually. */
  readonly seen: ReadonlyMap<string, number>;
  readonly read: ReadonlyMap<string, number>;
  /** "Mark all" watermarks (ms). */
  readonly seenAllMs: number;
  readonly readAllMs: number;
}

export interface NotificationGroup {
  readonly id: string;
  readonly type: string;
  readonly object: string;
  readonly actors: UserId[];
  readonly actorCount: number;
  readonly activityCount: number;
  readonly latest: FeedPosition;
  readonly updatedMs: number;
  readonly seen: boolean;
  readonly read: boolean;
}

/**
 * Folds entries (any order) into groups ordered by their newest activity. A group is seen/read when a
 * mark (its own or "all") is at or after the arrival of its newest-arrived entry; so a new activity
 * entering a marked group re-opens it. Read implies seen.
 */
export function foldGroups(entries: readonly NotificationEntry[], marks: GroupMarks): NotificationGroup[] {
  const sorted = [...entries].sort(compareNewestFirst);
  const acc = new Map<string, { first: NotificationEntry; actors: UserId[]; actorSet: Set<UserId>; count: number; lastArrival: number }>();
  for (const e of sorted) {
    const id = groupId(e.type, e.object, e.ms);
    let g = acc.get(id);
    if (!g) {
      g = { first: e, actors: [], actorSet: new Set(), count: 0, lastArrival: 0 };
      acc.set(id, g);
    }
    g.count++;
    g.lastArrival = Math.max(g.lastArrival, e.receivedMs);
    if (!g.actorSet.has(e.actor)) {
      g.actorSet.add(e.actor);
      if (g.actors.length < MAX_GROUP_ACTORS) g.actors.push(e.actor);
    }
  }
  return [...acc.entries()].map(([id, g]) => {
    const readMark = Math.max(marks.read.get(id) ?? 0, marks.readAllMs);
    const seenMark = Math.max(marks.seen.get(id) ?? 0, marks.seenAllMs, readMark);
    return {
      id,
      type: g.first.type,
      object: g.first.object,
      actors: g.actors,
      actorCount: g.actorSet.size,
      activityCount: g.count,
      latest: { ms: g.first.ms, id: g.first.id },
      updatedMs: g.first.ms,
      seen: seenMark >= g.lastArrival,
      read: readMark >= g.lastArrival,
    };
  });
}

export type { Activity };

/** The UTC day of `ms` as a yyyymmdd number (the notification partition bucket). */
export const dayNumber = (ms: number): number => Number(utcDay(ms).replace(/-/g, ''));
