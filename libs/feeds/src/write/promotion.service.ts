import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPolicy, isHighFollower, UserId } from '@app/domain';
import { GRAPH_STORE, GraphStore } from '../ports';
import { Heartbeat } from './heartbeat';
import { PullDecisionCache } from './pull-decision-cache';

/**
 * Push vs pull for an author. Crossing FANOUT_HIGH_FOLLOWER_THRESHOLD promotes the author once (sticky):
 * first every follower gets a pulled_follows row, then the flag is set, then a second pass catches follows
 * that raced with the first, so at every moment each follower has the author either pushed or pulled.
 *
 * The answer is remembered (PullDecisionCache): "pulled" for good (the flag is sticky), "pushed" briefly and
 * only for authors far below the threshold, so most activities read neither the flag nor the count.
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
    this.decisions = new PullDecisionCache(cfg.policy.highFollowerThreshold);
  }

  /** Whether `author` is served by pull (promoting them now if they just crossed the threshold). */
  async isPulledAuthor(author: UserId, heartbeat: Heartbeat): Promise<boolean> {
    const now = Date.now();
    const known = this.decisions.get(author, now);
    if (known !== undefined) return known;
    const [flagged, followers] = await Promise.all([this.graph.isHighFollower(author), this.graph.followerCount(author)]);
    if (flagged) {
      this.decisions.pulled(author);
      return true;
    }
    if (!isHighFollower(this.policy, followers)) {
      this.decisions.pushed(author, followers, now);
      return false;
    }
    await this.promote(author, heartbeat);
    this.decisions.pulled(author);
    return true;
  }

  /**
   * Promotes `author` to pull whatever their follower count (`tideline promote`), by the same passes as crossing the
   * threshold. The flag is sticky and checked before the count, so the author stays pulled; workers that
   * remembered "pushed" for them (only authors far below the threshold, briefly) push a little longer, which
   * readers merge away. Returns the followers given a pulled_follows row (first pass), or `already` when flagged.
   */
  async promoteNow(author: UserId, heartbeat: Heartbeat): Promise<{ readonly already: boolean; readonly followers: number }> {
    if (await this.graph.isHighFollower(author)) return { already: true, followers: await this.graph.followerCount(author) };
    const followers = await this.promote(author, heartbeat);
    this.decisions.pulled(author);
    return { already: false, followers };
  }

  private async promote(author: UserId, heartbeat: Heartbeat): Promise<number> {
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
    await pass();
    this.log.log({ author }, 'author promoted to pull-based delivery');
    return followers;
  }
}
