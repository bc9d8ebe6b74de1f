import { Inject, Injectable } from '@nestjs/common';
import {
  Activity,
  compareNewestFirst,
  dayNumber,
  DomainError,
  FeedPolicy,
  foldGroups,
  GroupMarks,
  NotificationEntry,
  NotificationGroup,
  retentionFloorMs,
  toIso,
  UserId,
} from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ActivityStore, GRAPH_STORE, GraphStore, NOTIFICATION_STORE, NotificationStore, READER_STATE_STORE, ReaderStateStore } from '../ports';
import { READ_ACTIVITY_STORE } from './activity-cache';
import { CursorCodec } from './cursor';

/** A folded group as the API shows it (CONTRACT §3): the latest activity hydrated, times as RFC 3339. */
export type GroupView = Omit<NotificationGroup, 'latest' | 'updatedMs'> & { readonly latest: Activity; readonly updated: string };

export interface NotificationPage {
  readonly items: GroupView[];
  readonly next: string | null;
  readonly unseen: number;
  readonly unread: number;
}

export const GROUP_ID_PATTERN = /^\d{8}-[A-Za-z0-9_-]{22}$/;
const DAY_READ_CONCURRENCY = 8;

/**
 * notifications(U) (CONTRACT §2). A group is (type, object, UTC day of published) and the log is
 * partitioned by that same day, so a day partition always holds whole groups and groups of a newer day
 * are all newer than those of an older day: a page walks day partitions newest first.
 *
 * Round trips per page: marks + reader state + mutes + the day index (one wave), then every day
 * partition inside retention (DAY_READ_CONCURRENCY at a time: needed for the unseen/unread counts),
 * then one hydration wave for the entries of the groups on the page.
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
    const [marks, state, muted, days] = await Promise.all([
      this.store.marks(user),
      this.readers.get(user),
      this.graph.mutedBy(user),
      this.store.days(user, dayNumber(floorMs)),
    ]);
    const groupMarks: GroupMarks = { seen: marks.seen, read: marks.read, seenAllMs: state.seenAllMs, readAllMs: state.readAllMs };
    const byDay = new Map<number, NotificationEntry[]>();
    for (let i = 0; i < days.length; i += DAY_READ_CONCURRENCY) {
      const chunk = days.slice(i, i + DAY_READ_CONCURRENCY);
      const read = await Promise.all(chunk.map((d) => this.store.readDay(user, d)));
      chunk.forEach((d, j) => byDay.set(d, (read[j] ?? []).filter((e) => e.actor !== user && !muted.has(e.actor) && e.ms >= floorMs)));
    }

    let unseen = 0;
    let unread = 0;
    const page: GroupView[] = [];
    let more = false;
    for (const day of days) {
      const entries = byDay.get(day) ?? [];
      if (entries.length === 0) continue;
      const onPage = page.length < limit && (after === null || dayNumber(after.ms) >= day);
      // Only groups that may go on the page are hydrated (to drop deleted activities and fill `latest`).
      const live = onPage ? await this.withoutDeleted(entries) : { entries, bodies: new Map<string, Activity>() };
      const groups = foldGroups(live.entries, groupMarks).sort((a, b) => compareNewestFirst(a.latest, b.latest));
      for (const g of groups) {
        if (!g.seen) unseen++;
        if (!g.read) unread++;
        if (!onPage || (after !== null && compareNewestFirst(g.latest, after) <= 0)) continue;
        const body = live.bodies.get(g.latest.id);
        if (!body) continue;
        if (page.length < limit) page.push(this.view(g, body));
        else more = true;
      }
      if (!onPage && page.length >= limit) more = true;
    }
    const last = page[page.length - 1];
    const next = more && last ? this.cursors.encode({ k: 'notifications', u: user, ms: Date.parse(last.latest.published), id: last.latest.id }) : null;
    return { items: page, next, unseen, unread };
  }

  /** Marks groups (or all, when `groupIds` is undefined) seen or read; read implies seen. */
  async mark(user: UserId, kind: 'seen' | 'read', groupIds: readonly string[] | undefined): Promise<void> {
    const now = Date.now();
    if (groupIds === undefined) {
      await this.readers.markAll(user, kind, now);
      return;
    }
    const bad = groupIds.filter((g) => !GROUP_ID_PATTERN.test(g));
    if (bad.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `unknown group id format: ${bad.slice(0, 3).join(', ')}`, [{ field: 'groups', problems: ['each group id must be one returned by the notifications feed'] }]);
    }
    if (groupIds.length > 0) await this.store.mark(user, [...new Set(groupIds)], kind, now);
  }

  /** The current view of the group an activity belongs to (for the live stream). */
  async groupOf(user: UserId, activity: Activity): Promise<GroupView | null> {
    const ms = Date.parse(activity.published);
    const [marks, state, entries] = await Promise.all([this.store.marks(user), this.readers.get(user), this.store.readDay(user, dayNumber(ms))]);
    const live = await this.withoutDeleted(entries.filter((e) => e.type === activity.type && e.object === activity.object));
    const [g] = foldGroups(live.entries, { seen: marks.seen, read: marks.read, seenAllMs: state.seenAllMs, readAllMs: state.readAllMs });
    const body = g ? live.bodies.get(g.latest.id) : undefined;
    return g && body ? this.view(g, body) : null;
  }

  private async withoutDeleted(entries: NotificationEntry[]): Promise<{ entries: NotificationEntry[]; bodies: Map<string, Activity> }> {
    const found = await this.activities.getMany([...new Set(entries.map((e) => e.id))]);
    const bodies = new Map<string, Activity>();
    const kept = entries.filter((e) => {
      const s = found.get(e.id);
      if (!s || s.deleted || s.activity.type === '') return false;
      bodies.set(e.id, s.activity);
      return true;
    });
    return { entries: kept, bodies };
  }

  private view(g: NotificationGroup, latest: Activity): GroupView {
    const { latest: _position, updatedMs, ...rest } = g;
    return { ...rest, latest, updated: toIso(updatedMs) };
  }
}
