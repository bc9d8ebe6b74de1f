import { Module } from '@nestjs/common';
import { AppConfigModule } from '@app/config';
import { FanoutModule } from '@app/feeds';
import { KafkaHealth, KafkaMessagingModule } from '@app/messaging-kafka';
import { ObservabilityModule, READINESS_CHECKS, ReadinessCheck } from '@app/observability';
import { CassandraHealth, CassandraStorageModule } from '@app/storage-cassandra';
import { FanoutConsumer } from './fanout.consumer';

/**
 * The fanout worker: the shared write path (FanoutModule) fed by Kafka, plus health and metrics.
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
  providers: [
    FanoutConsumer,
    // Provided here rather than through ObservabilityModule's `readiness` option: the consumer check needs
    // FanoutConsumer, a provider of this module (the health controller finds the token application-wide).
    {
      provide: READINESS_CHECKS,
      inject: [CassandraHealth, KafkaHealth, FanoutConsumer],
      useFactory: (cassandra: CassandraHealth, kafka: KafkaHealth, consumer: FanoutConsumer): ReadinessCheck[] => [
        { name: 'cassandra', ping: () => cassandra.ping() },
        { name: 'kafka', ping: () => kafka.ping() },
        { name: 'consumer', ping: () => consumer.ping() },
      ],
    },
  ],
})
export class WorkerModule {}
