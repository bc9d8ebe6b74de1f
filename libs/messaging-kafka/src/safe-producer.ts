import { Logger } from '@nestjs/common';
import { Kafka, Producer, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';
import { StoreUnavailableError, withTimeout } from '@app/feeds';
import { isPermanentKafkaError } from './kafka-errors';

/**
 * A kafkajs producer that connects lazily and never hangs: every send either resolves (acknowledged)
 * or rejects within `sendTimeoutMs` with a StoreUnavailableError('kafka') (transient: the caller
 * retries, the API answers 503). A send that timed out may still land later; that is harmless because
 * every record Tideline writes is idempotent downstream (deterministic ids, upserts).
 * Exception: a permanent broker refusal (isPermanentKafkaError, e.g. MESSAGE_TOO_LARGE) is rethrown as
 * kafkajs raised it, not transient: retrying the same send can never succeed.
 */
export class SafeProducer {
  private readonly log = new Logger(SafeProducer.name);
  private readonly producer: Producer;
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(
    kafka: Kafka,
    config: ProducerConfig,
    private readonly name: string,
    private readonly sendTimeoutMs: number,
  ) {
    this.producer = kafka.producer(config);
    this.producer.on(this.producer.events.DISCONNECT, () => {
      // kafkajs does not reconnect a producer it reports disconnected; connect again on next send.
      this.connecting = null;
    });
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.closed) throw new StoreUnavailableError('kafka', `producer ${this.name} is closed`);
    return this.bounded(async () => {
      await this.connect();
      return this.producer.send(record);
    });
  }

  async connect(): Promise<void> {
    if (!this.connecting) {
      const attempt = this.producer.connect();
      this.connecting = attempt;
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = null;
      });
    }
    await this.connecting;
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    try {
      await this.producer.disconnect();
    } catch (e) {
      this.log.warn({ err: (e as Error).message, producer: this.name }, 'producer disconnect failed');
    }
  }

  private async bounded<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(op(), this.sendTimeoutMs, () => new StoreUnavailableError('kafka', `Kafka did not acknowledge within ${this.sendTimeoutMs} ms`));
    } catch (e) {
      if (e instanceof StoreUnavailableError || isPermanentKafkaError(e)) throw e;
      const err = new StoreUnavailableError('kafka', `Kafka send failed: ${(e as Error)?.message ?? String(e)}`);
      (err as Error & { cause?: unknown }).cause = e;
      throw err;
    }
  }
}
