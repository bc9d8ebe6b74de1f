import { Module } from '@nestjs/common';
import { HomeMaterializer } from '../home/home-materializer';
import { ActiveReaderCache } from './active-reader-cache';
import { ActivityWriteService } from './activity-write.service';
import { DeliveryService } from './delivery.service';
import { FanoutService } from './fanout.service';
import { FollowBackfill } from './follow-backfill';
import { GraphChangeService } from './graph-change.service';
import { PromotionService } from './promotion.service';

/**
 * The write path: activities (ingest, delete), delivery to followers, graph changes, promotion to pull.
 * Needs the store and publisher ports (provided globally by CassandraStorageModule and
 * KafkaMessagingModule) and FANOUT_METRICS (provided globally by ObservabilityModule).
 */
@Module({
  providers: [ActiveReaderCache, HomeMaterializer, FollowBackfill, PromotionService, DeliveryService, ActivityWriteService, GraphChangeService, FanoutService],
  exports: [FanoutService],
})
export class FanoutModule {}
