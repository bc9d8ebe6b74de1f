import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DomainError, GraphChange } from '@app/domain';
import { HomeMaterializer } from '../home/home-materializer';
import { FollowBackfill } from './follow-backfill';
import { GRAPH_STORE, GraphStore, LIVE_PUBLISHER, LivePublisher } from '../ports';
import { Heartbeat } from './heartbeat';
import { PromotionService } from './promotion.service';

/**
 * A follow-graph change from the follows topic. The graph write is idempotent (the API may already have
 * made it); the asynchronous part only runs when the edge's current state agrees with the event, so a
 * stale follow replayed after an unfollow neither backfills nor resurrects anything.
 */
@Injectable()
export class GraphChangeService {
  private readonly followLimit: number;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    @Inject(LIVE_PUBLISHER) private readonly live: LivePublisher,
    private readonly promotion: PromotionService,
    private readonly homes: HomeMaterializer,
    private readonly history: FollowBackfill,
  ) {
    this.followLimit = cfg.followLimit;
  }

  async apply(change: GraphChange, heartbeat: Heartbeat): Promise<void> {
    // FOLLOW_LIMIT holds for Kafka producers too (the API checks it before publishing).
    if (change.op === 'follow' && !(await this.graph.isFollowing(change.user, change.target))) {
      if ((await this.graph.followingCount(change.user, this.followLimit)) >= this.followLimit) {
        throw new DomainError('VALIDATION_FAILED', `${change.user} already follows ${this.followLimit} accounts (FOLLOW_LIMIT)`);
      }
    }
    const { exists } = await this.graph.apply(change);
    const ts = change.atMs * 1000;
    if (change.op === 'follow' && exists) {
      if (await this.promotion.isPulledAuthor(change.target, heartbeat)) await this.graph.addPulledFollow(change.user, change.target, ts);
      else await this.history.backfill(change.user, change.target, ts);
    } else if (change.op === 'unfollow' && !exists) {
      await this.graph.removePulledFollow(change.user, change.target, ts);
      await this.homes.removeAuthor(change.user, change.target, ts, Date.now());
    }
    // API instances drop the reader's cached context (graph, pulled authors, home floor) once all is applied.
    await this.live.announce({ kind: 'graph', users: [change.user] });
  }
}
