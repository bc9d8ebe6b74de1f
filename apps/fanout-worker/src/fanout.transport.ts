import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { KafkaMessaging, parseActivityRecord, parseChunkRecord, parseGraphRecord, ReliableKafkaServer } from '@app/messaging-kafka';
import { CONSUMER_METRICS, ConsumerMetricsSink } from '@app/observability';

/**
 * The worker's `@EventPattern` names. Topic names are configurable (cfg.kafka.topics), so the patterns are
 * fixed logical names and the transport routes each configured topic to one of them.
 */
export const FANOUT_PATTERNS = { activities: 'activities', follows: 'follows', fanout: 'fanout' } as const;

/**
 * The worker group's Kafka transport (docs/api.md §3): activities, follows and fanout chunks, each parsed into
 * its domain object and handed to its controller. Offsets are committed only after the controller (and so
 * FanoutService) made the effects durable, so any number of workers can share the group and a crash only
 * causes idempotent redelivery. main.ts connects `server` as the app's microservice; readiness pings it.
 */
@Injectable()
export class FanoutTransport implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly log = new Logger(FanoutTransport.name);
  readonly server: ReliableKafkaServer;

  constructor(@Inject(APP_CONFIG) cfg: AppConfig, messaging: KafkaMessaging, @Inject(CONSUMER_METRICS) metrics: ConsumerMetricsSink) {
    const { topics } = cfg.kafka;
    const { workerLanes, workerChunkLanes, workerPartitionsConcurrently } = cfg.tuning;
    this.server = new ReliableKafkaServer(messaging.kafka, messaging.durable, {
      groupId: cfg.kafka.groupId,
      // Within a partition, records of different keys (actors, users, chunks) run concurrently while one
      // key's records stay in order. Deliveries of every record in flight share one statement budget per
      // worker (WORKER_STATEMENT_BUDGET, shared in DeliveryService), so the lanes decide how
      // many records overlap and the budget how hard they press on Cassandra.
      routes: {
        [FANOUT_PATTERNS.activities]: { topic: topics.activities, lanes: workerLanes, parse: (value, meta) => parseActivityRecord(value, meta, cfg.policy) },
        [FANOUT_PATTERNS.follows]: { topic: topics.follows, lanes: workerLanes, parse: parseGraphRecord },
        [FANOUT_PATTERNS.fanout]: { topic: topics.fanout, lanes: workerChunkLanes, parse: parseChunkRecord },
      },
      dlqTopic: topics.dlq,
      maxRecordBytes: cfg.kafka.maxRecordBytes,
      // Chunks of one large fanout land on several partitions; a few at a time per worker keeps the
      // Cassandra write concurrency bounded.
      partitionsConsumedConcurrently: workerPartitionsConcurrently,
      metrics,
      lag: metrics,
      // A consumer that cannot be restarted must not leave a live but idle worker behind: exit non-zero so the
      // supervisor restarts the process (readiness is 503 meanwhile).
      onFatal: (e) => {
        this.log.error({ err: (e as Error)?.message ?? String(e) }, 'Kafka consumer is down for good; exiting');
        process.exitCode = 1;
        setImmediate(() => process.exit(1));
      },
    });
  }

  /** Readiness: resolves while the consumer is a group member consuming, rejects with its state otherwise. */
  ping(): Promise<void> {
    return this.server.ping();
  }

  /** Stops taking work and commits what was resolved. Idempotent; runs before storage closes. */
  stop(): Promise<void> {
    return this.server.close();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
