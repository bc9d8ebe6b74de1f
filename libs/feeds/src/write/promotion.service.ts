import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPolicy, isHighFollower, UserId } from '@app/domain';
import { GRAPH_STORE, GraphStore } from '../ports';
import { Heartbeat } from './heartbeat';
import { PullDecisionCache } from './pull-decision-cache';

/**
 * Push vs pull for an author. In order: an operator's push pin (`tideline demote`) wins; then the
 * high-follower flag; then the count: crossing FANOUT_HIGH_FOLLOWER_THRESHOLD promotes the author once:
 * first every follower gets a pulled_follows row, then the flag is set, then a second pass catches follows
 * that raced with the first, so at every moment each follower has the author either pushed or pulled.
 *
 * The answer is remembered (PullDecisionCache): "pulled" for FANOUT_PULL_DECISION_CACHE_MS, "pushed" briefly and
 * only for authors far below the threshold or pinned, so most activities read neither the flags nor the count.
 */
@Injectable()
export class PromotionService {
  private readonly log = new Logger(PromotionService.name);
  private readonly policy: FeedPolicy;
  private readonly decisions: PullDecisionCache;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
  ) {
    this.policy = cfg.policy;
    this.decisions = new PullDecisionCache(cfg.policy.highFollowerThreshold, cfg.tuning.pullDecisionCacheMs);
  }

  /** Whether `author` is served by pull (promoting them now if they just crossed the threshold). */
  async isPulledAuthor(author: UserId, heartbeat: Heartbeat): Promise<boolean> {
    // Taken before the reads: a cached "pulled" never outlives FANOUT_PULL_DECISION_CACHE_MS from here.
    const now = Date.now();
    const known = this.decisions.get(author, now);
    if (known !== undefined) return known;
    const [pinned, flagged, followers] = await Promise.all([this.graph.isPushPinned(author), this.graph.isHighFollower(author), this.graph.followerCount(author)]);
    if (pinned) {
      this.decisions.pushed(author, followers, now, true);
      return false;
    }
    if (flagged) {
      this.decisions.pulled(author, now);
      return true;
    }
    if (!isHighFollower(this.policy, followers)) {
      this.decisions.pushed(author, followers, now);
      return false;
    }
    await this.promote(author, heartbeat);
    this.decisions.pulled(author, now);
    return true;
  }

  /**
   * Promotes `author` to pull whatever their follower count (`tideline promote`), by the same passes as crossing the
   * threshold, and lifts a push pin once the flag is set. Workers that remembered "pushed" for them (authors far
   * below the threshold or pinned, for PUSH_DECISION_TTL_MS) push a little longer, which readers merge away.
   * Returns the followers given a pulled_follows row (first pass), or `already` when flagged and not pinned.
   */
  async promoteNow(author: UserId, heartbeat: Heartbeat): Promise<{ readonly already: boolean; readonly followers: number }> {
    const [pinned, flagged] = await Promise.all([this.graph.isPushPinned(author), this.graph.isHighFollower(author)]);
    if (flagged && !pinned) return { already: true, followers: await this.graph.followerCount(author) };
    const followers = await this.promote(author, heartbeat, pinned);
    this.decisions.forget(author);
    return { already: false, followers };
  }

  /** `unpin`: only an operator's promote lifts a pin (a worker's automatic one never saw one). */
  private async promote(author: UserId, heartbeat: Heartbeat, unpin = false): Promise<number> {
    const ts = Date.now() * 1000;
    const pass = async (): Promise<number> => {
      let n = 0;
      for await (const page of this.graph.followerPages(author, this.policy.chunkSize)) {
        await Promise.all(page.map((u) => this.graph.addPulledFollow(u, author, ts)));
        n += page.length;
        await heartbeat();
      }
      return n;
    };
    const followers = await pass();
    await this.graph.markHighFollower(author, Date.now());
    // The pin goes only once the flag is there: the author is never left to the count in between.
    if (unpin) await this.graph.setPushPin(author, null);
    await pass();
    this.log.log({ author }, 'author promoted to pull-based delivery');
    return followers;
  }
}
