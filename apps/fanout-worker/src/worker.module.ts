import { Module } from '@nestjs/common';
import { AppConfigModule } from '@app/config';
import { FanoutModule } from '@app/feeds';
import { KafkaHealth, KafkaMessagingModule } from '@app/messaging-kafka';
import { ObservabilityModule, READINESS_CHECKS, ReadinessCheck } from '@app/observability';
import { CassandraHealth, CassandraStorageModule } from '@app/storage-cassandra';
import { ActivitiesController } from './activities.controller';
import { DriverMetrics } from './driver-metrics';
import { FanoutChunksController } from './fanout-chunks.controller';
import { FanoutTransport } from './fanout.transport';
import { FollowsController } from './follows.controller';

/**
 * The fanout worker: the shared write path (FanoutModule) fed by Kafka through the FanoutTransport
 * microservice (one controller per topic), plus health and metrics over HTTP.
 * Readiness (GET /health/ready) = Cassandra and Kafka answer AND the consumer is in its group consuming: a
 * crashed or stopped consumer makes the worker unready (503) until it has rejoined.
 */
@Module({
  imports: [
    AppConfigModule,
    ObservabilityModule.forRoot({ service: 'fanout-worker' }),
    CassandraStorageModule.forRoot(),
    KafkaMessagingModule.forRoot({ role: 'worker' }),
    FanoutModule,
  ],
  controllers: [ActivitiesController, FollowsController, FanoutChunksController],
  providers: [
    FanoutTransport,
    DriverMetrics,
    // Provided here rather than through ObservabilityModule's `readiness` option: the consumer check needs
    // FanoutTransport, a provider of this module (the health controller finds the token application-wide).
    {
      provide: READINESS_CHECKS,
      inject: [CassandraHealth, KafkaHealth, FanoutTransport],
      useFactory: (cassandra: CassandraHealth, kafka: KafkaHealth, transport: FanoutTransport): ReadinessCheck[] => [
        { name: 'cassandra', ping: () => cassandra.ping() },
        { name: 'kafka', ping: () => kafka.ping() },
        { name: 'consumer', ping: () => transport.ping() },
      ],
    },
  ],
})
export class WorkerModule {}
