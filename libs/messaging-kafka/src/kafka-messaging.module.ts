import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka, Partitioners } from 'kafkajs';
import { APP_CONFIG, AppConfig } from '@app/config';
import { EVENT_PUBLISHER, FANOUT_CHUNK_PUBLISHER, LIVE_EVENT_SOURCE, LIVE_PUBLISHER, retry } from '@app/feeds';
import { createKafka, ensureTopics } from './kafka-client';
import { KafkaHealth } from './kafka-health';
import { KafkaLiveEventSource } from './live-event-source';
import { KafkaEventPublisher, KafkaFanoutChunkPublisher, KafkaLivePublisher } from './publishers';
import { SafeProducer } from './safe-producer';

export type KafkaRole = 'api' | 'worker';
export interface KafkaMessagingOptions {
  readonly role: KafkaRole;
}

/** The patient kafkajs client (consumers, admin). */
export const KAFKA = Symbol('KAFKA');
export const KAFKA_MESSAGING_OPTIONS = Symbol('KAFKA_MESSAGING_OPTIONS');

/**
 * Owns every Kafka connection of the process and their lifecycle.
 * - Producers: `durable` (idempotent, acks=all) for events, chunks and dead letters; `live` (acks=1,
 *   short timeout) for best-effort live updates. In the API both use the fail-fast client with a 5 s
 *   send bound, so a request fails with a transient StoreUnavailableError (→ 503) instead of hanging;
 *   the worker uses the patient client with a 30 s bound (its consumer retries transient errors).
 * - Topics are ensured on init (idempotent). The worker cannot work without them and fails the boot
 *   after 60 s; the API starts anyway (readiness reports Kafka down) and keeps trying in the background.
 * - Shutdown: consumers of other providers stop in their onModuleDestroy/beforeApplicationShutdown;
 *   producers here disconnect last, in onApplicationShutdown, so a stopping consumer can still publish.
 */
@Injectable()
export class KafkaMessaging implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(KafkaMessaging.name);
  readonly fastKafka: Kafka;
  readonly durable: SafeProducer;
  readonly live: SafeProducer;
  readonly health: KafkaHealth;
  readonly liveSource: KafkaLiveEventSource | null;
  private topicsTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    @Inject(KAFKA) readonly kafka: Kafka,
    @Inject(KAFKA_MESSAGING_OPTIONS) private readonly opts: KafkaMessagingOptions,
  ) {
    const role = opts.role;
    this.fastKafka = createKafka(cfg, `${role}-fast`, 'fail-fast');
    const producerKafka = role === 'api' ? this.fastKafka : kafka;
    const retry = role === 'api' ? { retries: 1, initialRetryTime: 100, maxRetryTime: 500 } : { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 };
    this.durable = new SafeProducer(producerKafka, { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry, createPartitioner: Partitioners.DefaultPartitioner }, 'durable', role === 'api' ? 5_000 : 30_000);
    this.live = new SafeProducer(this.fastKafka, { allowAutoTopicCreation: false, retry: { retries: 1 }, createPartitioner: Partitioners.DefaultPartitioner }, 'live', 2_000);
    this.health = new KafkaHealth(this.fastKafka, cfg.kafka.topics.activities);
    this.liveSource = role === 'api' ? new KafkaLiveEventSource(kafka, cfg.kafka.topics.live, cfg.kafka.clientId) : null;
  }

  async onModuleInit(): Promise<void> {
    if (this.opts.role === 'worker') {
      await this.ensureTopicsWithin(60_000);
      await this.durable.connect();
    } else {
      await this.ensureTopicsInBackground();
      // Never blocks the boot: the live source retries on its own while Kafka is unreachable.
      void this.liveSource?.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.topicsTimer) clearTimeout(this.topicsTimer);
    await this.liveSource?.stop();
    await this.health.close();
    await Promise.all([this.durable.disconnect(), this.live.disconnect()]);
  }

  private async tryEnsureTopics(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await ensureTopics(admin, this.cfg);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async ensureTopicsWithin(ms: number): Promise<void> {
    try {
      await retry(() => this.tryEnsureTopics(), {
        initialDelayMs: 1_000,
        maxDelayMs: 1_000,
        deadlineMs: ms,
        onRetry: (e) => this.log.warn({ err: (e as Error).message }, 'Kafka not reachable yet; retrying topic setup'),
      });
    } catch (e) {
      throw new Error(`Kafka topics could not be ensured at ${this.cfg.kafka.brokers.join(',')}: ${(e as Error).message}`);
    }
  }

  private async ensureTopicsInBackground(): Promise<void> {
    try {
      const admin = this.fastKafka.admin();
      try {
        await admin.connect();
        await ensureTopics(admin, this.cfg);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'Kafka topics not ensured yet; retrying in the background');
      this.topicsTimer = setTimeout(() => void this.ensureTopicsInBackground(), 5_000);
      this.topicsTimer.unref();
    }
  }
}

/**
 * Kafka adapters for the feeds ports. `role: 'worker'` = publishers for chunks, live updates and
 * dead letters; `role: 'api'` additionally provides LIVE_EVENT_SOURCE (started on init).
 * Provides (globally): KAFKA, KafkaMessaging, KafkaHealth, EVENT_PUBLISHER, FANOUT_CHUNK_PUBLISHER,
 * LIVE_PUBLISHER and, for the API, LIVE_EVENT_SOURCE. Needs APP_CONFIG.
 */
@Global()
@Module({})
export class KafkaMessagingModule {
  static forRoot(opts: KafkaMessagingOptions): DynamicModule {
    const topics = (cfg: AppConfig): AppConfig['kafka']['topics'] => cfg.kafka.topics;
    return {
      module: KafkaMessagingModule,
      providers: [
        { provide: KAFKA_MESSAGING_OPTIONS, useValue: opts },
        { provide: KAFKA, inject: [APP_CONFIG], useFactory: (cfg: AppConfig) => createKafka(cfg, opts.role) },
        KafkaMessaging,
        { provide: KafkaHealth, inject: [KafkaMessaging], useFactory: (m: KafkaMessaging) => m.health },
        { provide: EVENT_PUBLISHER, inject: [KafkaMessaging, APP_CONFIG], useFactory: (m: KafkaMessaging, cfg: AppConfig) => new KafkaEventPublisher(m.durable, topics(cfg)) },
        { provide: FANOUT_CHUNK_PUBLISHER, inject: [KafkaMessaging, APP_CONFIG], useFactory: (m: KafkaMessaging, cfg: AppConfig) => new KafkaFanoutChunkPublisher(m.durable, cfg.kafka.topics.fanout) },
        { provide: LIVE_PUBLISHER, inject: [KafkaMessaging, APP_CONFIG], useFactory: (m: KafkaMessaging, cfg: AppConfig) => new KafkaLivePublisher(m.live, cfg.kafka.topics.live) },
        ...(opts.role === 'api'
          ? [{ provide: LIVE_EVENT_SOURCE, inject: [KafkaMessaging], useFactory: (m: KafkaMessaging) => m.liveSource }]
          : []),
      ],
      exports: [KAFKA, KafkaMessaging, KafkaHealth, EVENT_PUBLISHER, FANOUT_CHUNK_PUBLISHER, LIVE_PUBLISHER, ...(opts.role === 'api' ? [LIVE_EVENT_SOURCE] : [])],
    };
  }
}
