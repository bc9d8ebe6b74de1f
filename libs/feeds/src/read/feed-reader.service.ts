import { Inject, Injectable } from '@nestjs/common';
import {
  Activity,
  FeedPolicy,
  FeedPosition,
  retentionFloorMs,
  UserId,
  visibleInHome,
  windowFloorMs,
} from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ActivityStore, FeedRef, TIMELINE_STORE, TimelineStore } from '../ports';
import { READ_ACTIVITY_STORE } from './activity-cache';
import { CursorCodec } from './cursor';
import { mergePage, RowSource } from './page-merger';
import { PulledFeeds } from './pulled-feeds';
import { ReaderContexts } from './reader-contexts';
import { RecentDeletes } from './recent-deletes';
import { ReaderFollows, rebuildPending, ReturningReaders } from './returning-readers';

export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

/** Sequential read waves per page (see mergePage); with the fixed reads below this bounds a page's cost. */
const MAX_ROUNDS = 4;

/**
 * Serves user(U) and home(U) (docs/api.md §1.4) from whatever path built them.
 *
 * home(U) has two regions, split at W = max(home floor, now - HOME_WINDOW_DAYS):
 *  - newer than W: the materialised home timeline merged with the user feeds of the high-follower
 *    authors U follows (pulled, never pushed), filtered at read time to actors U follows now (or U),
 *    not muted, not deleted;
 *  - older than W: pulled from the user feeds of everyone U follows (and U), down to the retention floor.
 * The cursor pins the scan position, so a page resumes exactly where the previous one stopped whichever
 * region serves it; W may move between pages without repeating or skipping anything.
 *
 * Rows carry their activity (schema 003): a row is shown unless RecentDeletes knows it deleted, and only
 * rows without a body (older rows, oversized activities), or every row while RecentDeletes is incomplete,
 * are hydrated by point reads.
 *
 * Round trips per page (all reads of a wave run concurrently):
 *  - user feed: 1 wave for the slice (each slice walks at most one partition per 30-day bucket until it
 *    has `limit` rows) + at most 1 hydration wave, repeated at most MAX_ROUNDS times when rows were deleted;
 *  - home: the reader context (state, following, mutes, pulled authors; one wave, cached by
 *    ReaderContexts), then at most MAX_ROUNDS waves of slice reads over (1 + pulled authors) sources
 *    (newer than W; pulled first slices shared through PulledFeeds) or (1 + followees) sources (older
 *    than W), each followed by at most one hydration wave. A page of the window with a cached context is
 *    one partition read;
 *  - first page of an inactive reader only: one rebuild pass reading each followee's newest
 *    FOLLOW_BACKFILL_LIMIT activities inside the window (REBUILD_CONCURRENCY at a time).
 */
@Injectable()
export class FeedReaderService {
  private readonly policy: FeedPolicy;
  /** Source reads in flight at once while merging many authors' feeds (below the window, or by pull). */
  private readonly fanIn: number;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    private readonly cursors: CursorCodec,
    @Inject(READ_ACTIVITY_STORE) private readonly activities: ActivityStore,
    @Inject(TIMELINE_STORE) private readonly timelines: TimelineStore,
    private readonly contexts: ReaderContexts,
    private readonly pulledFeeds: PulledFeeds,
    private readonly deletes: RecentDeletes,
    private readonly returning: ReturningReaders,
  ) {
    this.policy = cfg.policy;
    this.fanIn = cfg.tuning.readFanInConcurrency;
  }

  async userFeed(user: UserId, limit: number, cursor?: string): Promise<Page<Activity>> {
    const before = cursor ? this.cursors.decode(cursor, 'user', user) : null;
    const now = Date.now();
    const floor = retentionFloorMs(this.policy, now);
    const source: RowSource = { read: (b, n) => this.timelines.readUserFeed(user, b, floor, n) };
    const res = await mergePage({
      sources: [source],
      before,
      want: limit,
      batch: limit + 5,
      maxRounds: MAX_ROUNDS,
      concurrency: this.fanIn,
      accept: (rows) => this.hydrate(rows, floor),
      positionOf: positionOfActivity,
    });
    return { items: res.items, next: res.resumeAfter ? this.cursors.encode({ k: 'user', u: user, ...res.resumeAfter }) : null };
  }

  /**
   * Opening a home stream counts as reading (docs/api.md): the reader is marked active (fanout delivers
   * to them from now on) and a returning reader is brought up to date as by a first page.
   */
  async startReading(user: UserId): Promise<void> {
    const ctx = await this.contexts.get(user);
    const { state } = await this.returning.keepFresh(user, ctx.state, async () => followsOf(ctx), Date.now());
    this.contexts.updateState(user, state);
  }

  async homeFeed(user: UserId, limit: number, cursor?: string): Promise<Page<Activity>> {
    let before = cursor ? this.cursors.decode(cursor, 'home', user) : null;
    const now = Date.now();
    const ctx = await this.contexts.get(user, now);
    const { following, muted, pulled } = ctx;
    let state = ctx.state;
    let materialised = !rebuildPending(state);
    if (before === null) {
      ({ state, materialised } = await this.returning.keepFresh(user, state, async () => followsOf(ctx), now));
      if (state !== ctx.state) this.contexts.updateState(user, state);
    }
    const retention = retentionFloorMs(this.policy, now);
    const readerGraph = { following, muted };
    const visible = (actor: UserId): boolean => visibleInHome(user, actor, readerGraph);
    const items: Activity[] = [];
    // While a rebuild is pending (running elsewhere, or failed half-way) the home timeline may have holes:
    // the whole page is then pulled from the authors' feeds, which are complete.
    if (materialised) {
      const windowFloor = Math.max(state.homeFloorMs ?? 0, windowFloorMs(this.policy, now), retention);
      if (before === null || before.ms >= windowFloor) {
        const sources: RowSource[] = [
          { read: (b, n) => this.timelines.readHome(user, b, windowFloor, n) },
          ...pulled.filter(visible).map((author): RowSource => ({ read: (b, n) => this.pulledFeeds.read(author, b, windowFloor, n) })),
        ];
        const res = await mergePage({
          sources,
          before,
          want: limit,
          batch: limit + 5,
          maxRounds: MAX_ROUNDS,
          concurrency: this.fanIn,
          accept: async (rows) => this.hydrate(rows.filter((r) => visible(r.actor)), retention),
          positionOf: positionOfActivity,
        });
        items.push(...res.items);
        if (res.resumeAfter !== null || items.length >= limit) {
          const at = res.resumeAfter ?? positionOfActivity(items[items.length - 1] as Activity);
          return { items, next: this.cursors.encode({ k: 'home', u: user, ...at }) };
        }
        // The materialised window is used up: continue below it in the same page.
        before = { ms: windowFloor, id: '' };
      }
    }

    const authors = [user, ...following].filter((a) => !muted.has(a));
    const res = await mergePage({
      sources: authors.map((author): RowSource => ({ read: (b, n) => this.timelines.readUserFeed(author, b, retention, n) })),
      before,
      want: limit - items.length,
      batch: Math.min(limit, 25),
      maxRounds: MAX_ROUNDS,
      concurrency: this.fanIn,
      accept: (rows) => this.hydrate(rows, retention),
      positionOf: positionOfActivity,
    });
    items.push(...res.items);
    return { items, next: res.resumeAfter ? this.cursors.encode({ k: 'home', u: user, ...res.resumeAfter }) : null };
  }

  /**
   * Keeps row order; drops deleted, missing and expired activities. A row's own activity is trusted when
   * RecentDeletes is complete; other rows are read in one wave of point reads.
   */
  private async hydrate(rows: readonly FeedRef[], floorMs: number): Promise<Activity[]> {
    const live = rows.filter((r) => r.ms >= floorMs && !this.deletes.has(r.id));
    const trusted = this.deletes.complete;
    const lookups = live.filter((r) => !trusted || r.activity === undefined).map((r) => r.id);
    const found = lookups.length > 0 ? await this.activities.getMany(lookups) : null;
    const out: Activity[] = [];
    for (const r of live) {
      if (trusted && r.activity !== undefined) {
        out.push(r.activity);
        continue;
      }
      const s = found?.get(r.id);
      if (s?.activity && !s.deleted) out.push(s.activity);
    }
    return out;
  }
}

const followsOf = (ctx: { following: ReadonlySet<UserId>; pulled: readonly UserId[] }): ReaderFollows => ({
  following: ctx.following,
  pulled: new Set(ctx.pulled),
});

export const positionOfActivity = (a: Activity): FeedPosition => ({ ms: Date.parse(a.published), id: a.id });

