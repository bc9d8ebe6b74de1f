import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FanoutService } from '@app/feeds';
import {
  ConsumerLagMonitor,
  KAFKA,
  KafkaMessaging,
  parseActivityRecord,
  parseChunkRecord,
  parseGraphRecord,
  RecordHandler,
  ReliableConsumer,
} from '@app/messaging-kafka';
import { CONSUMER_METRICS, ConsumerMetricsSink } from '@app/observability';

/**
 * Consumes activities, follows and fanout chunks in the worker group (CONTRACT §4). Offsets are
 * committed only after FanoutService made the effects durable (ReliableConsumer's policy), so any
 * number of workers can share the group and a crash only causes idempotent redelivery.
 */
@Injectable()
export class FanoutConsumer implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly log = new Logger(FanoutConsumer.name);
  private readonly consumer: ReliableConsumer;
  private readonly lag: ConsumerLagMonitor;
  private stopping: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    @Inject(KAFKA) kafka: Kafka,
    messaging: KafkaMessaging,
    @Inject(CONSUMER_METRICS) metrics: ConsumerMetricsSink,
    private readonly fanout: FanoutService,
  ) {
    const { topics } = cfg.kafka;
    const handlers: Record<string, RecordHandler> = {
      [topics.activities]: async (message, meta, heartbeat) => {
        const cmd = parseActivityRecord(message.value, meta, cfg.policy);
        if (cmd.kind === 'create') await this.fanout.ingest(cmd.activity, cmd.acceptedMs, heartbeat);
        else await this.fanout.remove(cmd.id, cmd.actor, cmd.atMs, heartbeat);
      },
      [topics.follows]: async (message, meta, heartbeat) => {
        await this.fanout.applyGraphChange(parseGraphRecord(message.value, meta), heartbeat);
      },
      [topics.fanout]: async (message, meta) => {
        await this.fanout.applyChunk(parseChunkRecord(message.value, meta));
      },
    };
    this.consumer = new ReliableConsumer(kafka, messaging.durable, {
      groupId: cfg.kafka.groupId,
      handlers,
      dlqTopic: topics.dlq,
      maxRecordBytes: cfg.kafka.maxRecordBytes,
      // Chunks of one large fanout land on several partitions; ~3 at a time per worker keeps the
      // Cassandra write concurrency (3 × FANOUT_CONCURRENCY) bounded.
      partitionsConsumedConcurrently: 3,
      // Within a partition, records of different keys (actors, users, chunks) run concurrently while one
      // key's records stay in order. Chunks are the heavy ones (FANOUT_CONCURRENCY writes each), so at
      // most 3 partitions x 2 chunks x FANOUT_CONCURRENCY statements are in flight per worker.
      lanesFor: (topic) => (topic === topics.fanout ? 2 : 8),
      metrics,
      // A consumer that cannot be restarted must not leave a live but idle worker behind: exit non-zero so the
      // supervisor restarts the process (readiness is 503 meanwhile).
      onFatal: (e) => {
        this.log.error({ err: (e as Error)?.message ?? String(e) }, 'Kafka consumer is down for good; exiting');
        process.exitCode = 1;
        setImmediate(() => process.exit(1));
      },
    });
    this.lag = new ConsumerLagMonitor(kafka, cfg.kafka.groupId, Object.keys(handlers), metrics);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.lag.start();
    this.log.log({ groupId: this.cfg.kafka.groupId, topics: this.cfg.kafka.topics }, 'fanout consumer started');
  }

  /** Readiness: resolves while the consumer is a group member consuming, rejects with its state otherwise. */
  ping(): Promise<void> {
    return this.consumer.ping();
  }

  /** Stops taking work and commits what was resolved. Idempotent; runs before storage closes. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.lag.stop();
      await this.consumer.stop();
      this.log.log('fanout consumer stopped');
    })();
    return this.stopping;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
