import { Inject, Injectable } from '@nestjs/common';
import {
  Activity,
  compareNewestFirst,
  DAY_MS,
  dayNumber,
  FeedPolicy,
  FeedPosition,
  foldGroups,
  groupId,
  GroupMarks,
  NotificationEntry,
  NotificationGroup,
  retentionFloorMs,
  UserId,
  visibleInNotifications,
} from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ActivityStore, GRAPH_STORE, GraphStore, NOTIFICATION_STORE, NotificationStore, READER_STATE_STORE, ReaderStateStore } from '../ports';
import { READ_ACTIVITY_STORE } from './activity-cache';
import { forEachBounded } from '../resilience';
import { CursorCodec } from './cursor';
import { GroupView, toGroupView } from '../views';


export interface NotificationPage {
  readonly items: GroupView[];
  readonly next: string | null;
  readonly unseen: number;
  readonly unread: number;
}

const DAY_READ_CONCURRENCY = 8;
/**
 * Per-request bounds, whatever the volume stored (anyone may name a user in `to`): a page reads at most
 * NOTIFICATION_SCAN_DAYS day partitions from its position on, and the counts at most the newest
 * NOTIFICATION_SCAN_DAYS; each day partition at most NOTIFICATION_DAY_ROWS entries (newest first; groups
 * of a busier day count only those); at most NOTIFICATION_HYDRATE_BUDGET entries are hydrated per page.
 */
export const NOTIFICATION_SCAN_DAYS = 31;
export const NOTIFICATION_DAY_ROWS = 500;
export const NOTIFICATION_HYDRATE_BUDGET = 1_000;

/**
 * notifications(U) (docs/api.md §1.4). A group is (type, object, UTC day of published) and the log is
 * partitioned by that same day, so a day partition always holds whole groups and groups of a newer day
 * are all newer than those of an older day: a page walks day partitions newest first.
 *
 * Round trips per page: reader state + mutes + the day indexes (one wave), then at most 2 ×
 * NOTIFICATION_SCAN_DAYS day partitions (DAY_READ_CONCURRENCY at a time: the page's and the counts'),
 * then the marks of the groups read (one wave), then one hydration wave per group on the page, within
 * NOTIFICATION_HYDRATE_BUDGET entries. `unseen`/`unread` count the groups of the newest scanned days.
 */
@Injectable()
export class NotificationReaderService {
  private readonly policy: FeedPolicy;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    private readonly cursors: CursorCodec,
    @Inject(NOTIFICATION_STORE) private readonly store: NotificationStore,
    @Inject(READ_ACTIVITY_STORE) private readonly activities: ActivityStore,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    @Inject(READER_STATE_STORE) private readonly readers: ReaderStateStore,
  ) {
    this.policy = cfg.policy;
  }

  async list(user: UserId, limit: number, cursor?: string): Promise<NotificationPage> {
    const after = cursor ? this.cursors.decode(cursor, 'notifications', user) : null;
    const now = Date.now();
    const floorMs = retentionFloorMs(this.policy, now);
    const floorDay = dayNumber(floorMs);
    const newestDay = dayNumber(now + DAY_MS);
    const [state, muted, countDays, pageDays] = await Promise.all([
      this.readers.get(user),
      this.graph.mutedBy(user),
      this.store.days(user, floorDay, newestDay, NOTIFICATION_SCAN_DAYS),
      after === null ? null : this.store.days(user, floorDay, dayNumber(after.ms), NOTIFICATION_SCAN_DAYS),
    ]);
    const scanDays = pageDays ?? countDays;
    // Each day's visible entries, by group (a group never spans days).
    const byDay = new Map<number, Map<string, NotificationEntry[]>>();
    await forEachBounded([...new Set([...countDays, ...scanDays])], DAY_READ_CONCURRENCY, async (d) => {
      const entries = (await this.store.readDay(user, d, NOTIFICATION_DAY_ROWS)).filter((e) => visibleInNotifications(user, e.actor, muted) && e.ms >= floorMs);
      byDay.set(d, entriesByGroup(entries));
    });
    const marks = await this.store.marks(user, [...byDay.values()].flatMap((groups) => [...groups.keys()]));
    const groupMarks: GroupMarks = { seen: marks.seen, read: marks.read, seenAllMs: state.seenAllMs, readAllMs: state.readAllMs };
    const foldDay = foldOncePerDay(byDay, groupMarks);

    const { unseen, unread } = countOpen(countDays.flatMap(foldDay));

    const page: GroupView[] = [];
    let budget = NOTIFICATION_HYDRATE_BUDGET;
    let resume: FeedPosition | null = null;
    scan: for (const day of scanDays) {
      for (const g of foldDay(day)) {
        if (after !== null && compareNewestFirst(g.latest, after) <= 0) continue;
        if (page.length >= limit || (budget <= 0 && page.length > 0)) {
          resume = page.length > 0 ? positionOfGroup(page[page.length - 1] as GroupView) : null;
          break scan;
        }
        // Hydrate only this group's entries: drops deleted activities (until their removal fanout ran)
        // and fills `latest`.
        const entries = byDay.get(day)?.get(g.id) ?? [];
        budget -= entries.length;
        const live = await this.withoutDeleted(entries);
        const [fresh] = foldGroups(live.entries, groupMarks);
        const body = fresh ? live.bodies.get(fresh.latest.id) : undefined;
        if (fresh && body) page.push(toGroupView(fresh, body));
      }
    }
    // The scan stopped at its day bound with more days possibly below: resume after the last scanned day
    // (every group of it was examined; all of them are newer than that day's first millisecond).
    if (resume === null && scanDays.length >= NOTIFICATION_SCAN_DAYS) {
      resume = { ms: dayStartMs(scanDays[scanDays.length - 1] as number), id: '' };
    }
    const next = resume ? this.cursors.encode({ k: 'notifications', u: user, ...resume }) : null;
    return { items: page, next, unseen, unread };
  }

  /** Marks groups (or all, when `groupIds` is undefined) seen or read; read implies seen. */
  async mark(user: UserId, kind: 'seen' | 'read', groupIds: readonly string[] | undefined): Promise<void> {
    const now = Date.now();
    if (groupIds === undefined) {
      await this.readers.markAll(user, kind, now);
      return;
    }
    // Their format was validated with the body (MarkGroupsBody); a well-formed unknown id marks nothing.
    if (groupIds.length > 0) await this.store.mark(user, [...new Set(groupIds)], kind, now, this.policy.retentionDays * 86_400 + 86_400);
  }

  /** The current view of the group an activity belongs to (for the live stream). */
  async groupOf(user: UserId, activity: Activity): Promise<GroupView | null> {
    const ms = Date.parse(activity.published);
    const gid = groupId(activity.type, activity.object, ms);
    const [marks, state, entries] = await Promise.all([this.store.marks(user, [gid]), this.readers.get(user), this.store.readDay(user, dayNumber(ms), NOTIFICATION_DAY_ROWS)]);
    const live = await this.withoutDeleted(entries.filter((e) => e.type === activity.type && e.object === activity.object));
    const [g] = foldGroups(live.entries, { seen: marks.seen, read: marks.read, seenAllMs: state.seenAllMs, readAllMs: state.readAllMs });
    const body = g ? live.bodies.get(g.latest.id) : undefined;
    return g && body ? toGroupView(g, body) : null;
  }

  private async withoutDeleted(entries: NotificationEntry[]): Promise<{ entries: NotificationEntry[]; bodies: Map<string, Activity> }> {
    const found = await this.activities.getMany([...new Set(entries.map((e) => e.id))]);
    const bodies = new Map<string, Activity>();
    const kept = entries.filter((e) => {
      const s = found.get(e.id);
      if (!s?.activity || s.deleted) return false;
      bodies.set(e.id, s.activity);
      return true;
    });
    return { entries: kept, bodies };
  }

}

/** A day's groups, newest first, folded at most once per day (the counts and the page share them). */
function foldOncePerDay(byDay: ReadonlyMap<number, ReadonlyMap<string, NotificationEntry[]>>, marks: GroupMarks): (day: number) => NotificationGroup[] {
  const folded = new Map<number, NotificationGroup[]>();
  return (day) => {
    let groups = folded.get(day);
    if (!groups) {
      groups = foldGroups([...(byDay.get(day)?.values() ?? [])].flat(), marks).sort((a, b) => compareNewestFirst(a.latest, b.latest));
      folded.set(day, groups);
    }
    return groups;
  };
}

function entriesByGroup(entries: readonly NotificationEntry[]): Map<string, NotificationEntry[]> {
  const out = new Map<string, NotificationEntry[]>();
  for (const e of entries) {
    const id = groupId(e.type, e.object, e.ms);
    const list = out.get(id);
    if (list) list.push(e);
    else out.set(id, [e]);
  }
  return out;
}

const countOpen = (groups: readonly NotificationGroup[]): { unseen: number; unread: number } => ({
  unseen: groups.filter((g) => !g.seen).length,
  unread: groups.filter((g) => !g.read).length,
});

const positionOfGroup = (g: GroupView): FeedPosition => ({ ms: Date.parse(g.latest.published), id: g.latest.id });

/** First millisecond (UTC) of a yyyymmdd day number. */
const dayStartMs = (day: number): number => Date.UTC(Math.floor(day / 10_000), Math.floor(day / 100) % 100 - 1, day % 100);
