import { Module } from '@nestjs/common';
import { ActiveReaderCache } from './active-reader-cache';
import { FanoutService } from './fanout.service';

/**
 * The write path. Needs the store and publisher ports (provided globally by CassandraStorageModule and
 * KafkaMessagingModule) and FANOUT_METRICS (provided globally by ObservabilityModule).
 */
@Module({
  providers: [ActiveReaderCache, FanoutService],
  exports: [FanoutService],
})
export class FanoutModule {}
