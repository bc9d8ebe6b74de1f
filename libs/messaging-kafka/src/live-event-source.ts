import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Consumer, Kafka } from 'kafkajs';
import { LiveEvent, LiveEventSource } from '@app/feeds';
import { parseLiveRecord } from './records';

/**
 * The API side of live updates. Every process has its own consumer group (unique id), so every API
 * instance sees every event; it starts at the latest offsets and never commits (nothing is replayed,
 * and the group leaves no offsets behind on the broker). Listener errors are contained per listener.
 */
export class KafkaLiveEventSource implements LiveEventSource {
  private readonly log = new Logger(KafkaLiveEventSource.name);
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private consumer: Consumer | null = null;
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

  subscribe(listener: (event: LiveEvent) => void): () => void {
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
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          const event = parseLiveRecord(message.value);
          if (event) this.emit(event);
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
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.start();
    }, 5_000);
    this.retryTimer.unref();
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'live listener failed');
      }
    }
  }
}
