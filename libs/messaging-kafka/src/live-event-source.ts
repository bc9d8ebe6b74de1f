import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Admin, Consumer, Kafka } from 'kafkajs';
import { LiveEvent, LiveEventSource, LiveListener, LivePosition } from '@app/feeds';
import { parseLiveRecord } from './records';

/**
 * The API side of live updates. Every process has its own consumer group (unique id), so every API
 * instance sees every event; it never commits (the group leaves no offsets behind on the broker).
 * Listener errors are contained per listener.
 *
 * Positions (for resuming streams, apps/api/src/live/live-replay.ts): on every group join the consumer is
 * moved to the topic's end offsets as fetched by the admin client, and listeners are told that everything
 * from those offsets on will be handed over. Records fetched before that move, and any offset already
 * handed over, are skipped, so per partition nothing is handed over twice and nothing after `from` is missed.
 */
export class KafkaLiveEventSource implements LiveEventSource {
  private readonly log = new Logger(KafkaLiveEventSource.name);
  private readonly listeners = new Set<LiveListener>();
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  /** Per partition, the first offset handed over since the last join; null between a join and its seek. */
  private from: Map<number, number> | null = null;
  /** Per partition, the last offset handed over. */
  private readonly last = new Map<number, number>();
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  readonly groupId: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    clientId: string,
  ) {
    this.groupId = `${clientId}-live-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Starts consuming; when Kafka is unreachable it keeps retrying in the background (never throws). */
  async start(): Promise<void> {
    if (this.stopped || this.consumer) return;
    const consumer = this.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, allowAutoTopicCreation: false });
    try {
      this.admin ??= this.kafka.admin();
      await this.admin.connect();
      this.from = null;
      // Registered before run(): the first join happens inside it.
      consumer.on(consumer.events.GROUP_JOIN, () => {
        this.from = null;
        this.moveToEnd(consumer).catch((e: unknown) => {
          // Live keeps flowing from wherever the consumer is; only resuming is off until the next join.
          this.log.warn({ err: (e as Error).message }, 'live consumer could not find the topic end; streams cannot resume until the next join');
          this.announceRestart(new Map());
        });
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const offset = Number(message.offset);
          // Before the move to the end, and anything handed over already: skipped.
          if (this.from === null || offset < (this.from.get(partition) ?? 0) || offset <= (this.last.get(partition) ?? -1)) return;
          this.last.set(partition, offset);
          const event = parseLiveRecord(message.value);
          if (event) this.emit(event, { partition, offset });
        },
      });
      this.consumer = consumer;
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) {
          this.log.warn({ err: payload.error.message }, 'live consumer crashed; restarting');
          this.consumer = null;
          void consumer.disconnect().catch(() => undefined).then(() => this.scheduleRetry());
        }
      });
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'live consumer could not start; retrying');
      await consumer.disconnect().catch(() => undefined);
      this.scheduleRetry();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch((e: Error) => this.log.warn({ err: e.message }, 'live consumer disconnect failed'));
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  /** After a join: every partition to the end offsets fetched now; listeners learn where completeness starts. */
  private async moveToEnd(consumer: Consumer): Promise<void> {
    if (!this.admin) return;
    const ends = await this.admin.fetchTopicOffsets(this.topic);
    const from = new Map<number, number>();
    for (const e of ends) {
      // Never behind what was handed over already (a rejoin): offsets only grow.
      const offset = Math.max(Number(e.high), (this.last.get(e.partition) ?? -1) + 1);
      from.set(e.partition, offset);
      consumer.seek({ topic: this.topic, partition: e.partition, offset: String(offset) });
    }
    this.announceRestart(from);
  }

  private announceRestart(from: Map<number, number>): void {
    this.from = from;
    for (const listener of this.listeners) {
      try {
        listener.restart(from);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'live listener failed');
      }
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.start();
    }, 5_000);
    this.retryTimer.unref();
  }

  private emit(event: LiveEvent, at: LivePosition): void {
    for (const listener of this.listeners) {
      try {
        listener.event(event, at);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'live listener failed');
      }
    }
  }
}
