import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Activity, GraphChange, UserId } from '@app/domain';
import { HomeMaterializer } from '../home/home-materializer';
import { ActivityStore, DeleteMarkerStore, FanoutChunk, ForeignIdStore, FanoutChunkPublisher, GraphStore, LivePublisher, NotificationStore, ReaderStateStore, TimelineStore } from '../ports';
import { ActiveReaderCache } from './active-reader-cache';
import { ActivityWriteService } from './activity-write.service';
import { DeliveryService } from './delivery.service';
import { FanoutMetrics } from './fanout-metrics';
import { FollowBackfill } from './follow-backfill';
import { GraphChangeService } from './graph-change.service';
import { Heartbeat } from './heartbeat';
import { PromotionService } from './promotion.service';

/**
 * The write path as the worker sees it: one entry per kind of record. Each call hands over to the service
 * that owns that capability (activities, delivery chunks, graph changes); nothing is decided here.
 */
@Injectable()
export class FanoutService {
  constructor(
    private readonly activities: ActivityWriteService,
    private readonly delivery: DeliveryService,
    private readonly graphChanges: GraphChangeService,
  ) {}

  ingest(activity: Activity, acceptedMs: number, heartbeat: Heartbeat, byForeignId = false): Promise<'stored' | 'deleted'> {
    return this.activities.ingest(activity, acceptedMs, heartbeat, byForeignId);
  }

  remove(id: string, actor: UserId, atMs: number, heartbeat: Heartbeat): Promise<void> {
    return this.activities.remove(id, actor, atMs, heartbeat);
  }

  applyChunk(chunk: FanoutChunk, activity?: Activity): Promise<void> {
    return this.delivery.applyChunk(chunk, activity);
  }

  applyGraphChange(change: GraphChange, heartbeat: Heartbeat): Promise<void> {
    return this.graphChanges.apply(change, heartbeat);
  }
}

export interface WritePorts {
  readonly activities: ActivityStore;
  readonly timelines: TimelineStore;
  readonly graph: GraphStore;
  readonly readers: ReaderStateStore;
  readonly notifications: NotificationStore;
  readonly deletes: DeleteMarkerStore;
  readonly foreignIds: ForeignIdStore;
  readonly chunks: FanoutChunkPublisher;
  readonly live: LivePublisher;
  readonly metrics: FanoutMetrics;
}

/** The write path wired by hand (tests, scripts); the worker gets the same graph from WriteModule. */
export function createWritePath(cfg: AppConfig, p: WritePorts): FanoutService {
  const promotion = new PromotionService(cfg, p.graph);
  const delivery = new DeliveryService(cfg, p.activities, p.timelines, p.graph, p.readers, p.chunks, p.live, p.metrics, new ActiveReaderCache(cfg));
  const homes = new HomeMaterializer(cfg, p.timelines);
  return new FanoutService(
    new ActivityWriteService(cfg, p.activities, p.timelines, p.notifications, p.live, p.deletes, p.foreignIds, promotion, delivery),
    delivery,
    new GraphChangeService(cfg, p.graph, p.live, promotion, homes, new FollowBackfill(homes, p.readers)),
  );
}
