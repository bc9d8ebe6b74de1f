import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPolicy, UserId } from '@app/domain';
import { HomeMaterializer } from '../home/home-materializer';
import { GRAPH_STORE, GraphStore } from '../ports';
import { forEachBounded } from '../resilience';
import { FollowBackfill } from './follow-backfill';

/** Beyond FANOUT_PULL_DECISION_CACHE_MS: a worker's lookup may have begun just before the pin was written. */
export const DEMOTE_WAIT_MARGIN_MS = 1_000;

export interface DemotionProgress {
  /** The wait for workers' cached "pulled" decisions to expire begins (`ms` long). */
  waiting?(ms: number): void;
  /** Another page of followers has the author's history in their home and no pulled_follows row. */
  followers?(done: number): Promise<void> | void;
}

export interface DemotionResult {
  /** Already pinned to push and not flagged: nothing to do. */
  readonly already: boolean;
  /** Followers whose home received the author's recent activities (and lost the pulled_follows row). */
  readonly followers: number;
  /** Activities copied into each of those homes (the author's newest in the home window, up to FOLLOW_BACKFILL_LIMIT). */
  readonly activities: number;
  readonly waitedMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Pull back to push for one author (`tideline demote`), without a moment where a follower has the author
 * neither pushed nor pulled. The steps, each safe to repeat after a crash:
 * 1. pin the author to push (push_pinned_authors wins over the flag and the count, so they stay pushed above
 *    FANOUT_HIGH_FOLLOWER_THRESHOLD); workers look the pin up once their cached "pulled" expires;
 * 2. wait FANOUT_PULL_DECISION_CACHE_MS + DEMOTE_WAIT_MARGIN_MS: from then on every new activity is fanned out;
 *    every earlier one is already in the author's feed (ingest writes it there before deciding);
 * 3. read the author's recent activities once and, per follower, copy them into the home (written at the
 *    follow's own time, so a later unfollow or delete still wins) and only then remove the pulled_follows row
 *    (a follow that raced with step 1 and added one has its edge, so the walk reaches it);
 * 4. remove the high-follower flag (last: a repeated demote finds the flag and redoes 2-3).
 * Readers hold both until the row goes; reads merge duplicates by id.
 */
@Injectable()
export class DemotionService {
  private readonly log = new Logger(DemotionService.name);
  private readonly policy: FeedPolicy;
  private readonly waitMs: number;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    private readonly homes: HomeMaterializer,
    private readonly history: FollowBackfill,
  ) {
    this.policy = cfg.policy;
    this.waitMs = cfg.tuning.pullDecisionCacheMs + DEMOTE_WAIT_MARGIN_MS;
  }

  async demoteNow(author: UserId, progress: DemotionProgress = {}, wait: (ms: number) => Promise<void> = sleep): Promise<DemotionResult> {
    const [pinned, flagged] = await Promise.all([this.graph.isPushPinned(author), this.graph.isHighFollower(author)]);
    if (!pinned) await this.graph.setPushPin(author, Date.now());
    // Never flagged: no follower has a pulled_follows row for the author, and no worker caches "pulled".
    if (!flagged) return { already: pinned, followers: 0, activities: 0, waitedMs: 0 };

    progress.waiting?.(this.waitMs);
    const waitStart = Date.now();
    await wait(this.waitMs);
    const waitedMs = Date.now() - waitStart;

    const now = Date.now();
    const removeTs = now * 1000;
    const recent = await this.homes.recentOf(author, now);
    let done = 0;
    let after: UserId | null = null;
    do {
      const page = await this.graph.followersPage(author, after, this.policy.chunkSize);
      await forEachBounded(page.items, this.policy.concurrency, async (f) => {
        await this.history.backfill(f.userId, author, f.sinceMs > 0 ? f.sinceMs * 1000 : removeTs, recent);
        await this.graph.removePulledFollow(f.userId, author, removeTs);
      });
      done += page.items.length;
      await progress.followers?.(done);
      after = page.next;
    } while (after !== null);

    await this.graph.unmarkHighFollower(author);
    this.log.log({ author, followers: done, activities: recent.rows.length }, 'author demoted to push-based delivery');
    return { already: false, followers: done, activities: recent.rows.length, waitedMs };
  }
}
