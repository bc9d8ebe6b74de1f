import { Module } from '@nestjs/common';
import { AppConfigModule } from '@app/config';
import { FanoutModule } from '@app/feeds';
import { KafkaHealth, KafkaMessagingModule } from '@app/messaging-kafka';
import { ObservabilityModule } from '@app/observability';
import { CassandraHealth, CassandraStorageModule } from '@app/storage-cassandra';
import { FanoutConsumer } from './fanout.consumer';

/** The fanout worker: the shared write path (FanoutModule) fed by Kafka, plus health and metrics. */
@Module({
  imports: [
    AppConfigModule,
    ObservabilityModule.forRoot({
      service: 'fanout-worker',
      readiness: {
        inject: [CassandraHealth, KafkaHealth],
        useFactory: (cassandra: CassandraHealth, kafka: KafkaHealth) => [
          { name: 'cassandra', ping: () => cassandra.ping() },
          { name: 'kafka', ping: () => kafka.ping() },
        ],
      },
    }),
    CassandraStorageModule.forRoot(),
    KafkaMessagingModule.forRoot({ role: 'worker' }),
    FanoutModule,
  ],
  providers: [FanoutConsumer],
})
export class WorkerModule {}
