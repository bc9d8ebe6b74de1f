import { Logger } from '@nestjs/common';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage, ProducerRecord } from 'kafkajs';
import { DomainError } from '@app/domain';
import { isTransientError } from '@app/feeds';
import { PoisonRecordError, RecordMeta } from './records';

export type RecordHandler = (message: KafkaMessage, meta: RecordMeta, heartbeat: () => Promise<void>) => Promise<void>;

export interface ConsumerMetrics {
  consumed(topic: string, outcome: 'ok' | 'dead_lettered'): void;
  retried(topic: string): void;
  deadLettered(topic: string, code: string): void;
}

export interface ReliableConsumerOptions {
  readonly groupId: string;
  readonly handlers: Readonly<Record<string, RecordHandler>>;
  readonly dlqTopic: string;
  readonly maxRecordBytes: number;
  readonly partitionsConsumedConcurrently: number;
  readonly metrics: ConsumerMetrics;
  /** Keys processed concurrently within one partition batch, per topic (default 1 = strictly sequential). */
  readonly lanesFor?: (topic: string) => number;
  /** Attempts before an unexpected (non-transient, non-poison) error dead-letters the record. */
  readonly maxBugAttempts?: number;
  /**
   * ...and the least time (ms) an unexpected error must persist before it dead-letters (default 60 s). A
   * store that is restarting can answer with errors that look permanent for a few seconds (e.g. a table
   * not loaded yet); only an error that outlasts that is treated as the record's own fault.
   */
  readonly minBugRetryMs?: number;
}

/** What the consumer needs to dead-letter: a send that resolves once the record is acknowledged. */
export interface DeadLetterSender {
  send(record: ProducerRecord): Promise<unknown>;
}

class Stopping extends Error {}

/**
 * A heartbeat failed because the group is rebalancing (or forgot us). kafkajs only rejoins when this
 * error leaves eachBatch, so it must never be treated as a transient handler failure and retried in
 * place: that would keep the partition busy forever while the group waits for us.
 */
class GroupChanged extends Error {
  constructor(readonly original: unknown) {
    super((original as Error)?.message ?? 'group changed');
  }
}

const GROUP_ERROR_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);
const isGroupError = (e: unknown): boolean => GROUP_ERROR_TYPES.has((e as { type?: string } | null)?.type ?? '');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The consumer failure policy, in one place (CONTRACT §4):
 * - a record's offset is resolved only after its handler finished (effects durable) or it was
 *   dead-lettered, so a crash or rebalance redelivers it (handlers are idempotent);
 * - poison (invalid) records go to the dead-letter topic with the reason, and the partition carries on;
 * - transient failures (Cassandra/Kafka unavailable) are retried in place with exponential backoff,
 *   heart-beating so the group keeps the partition, and are never dead-lettered;
 * - on stop, the in-flight record is abandoned uncommitted (redelivered to whoever gets the partition).
 */
export class ReliableConsumer {
  private readonly log = new Logger(ReliableConsumer.name);
  private consumer: Consumer | null = null;
  private stopping = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly dlqProducer: DeadLetterSender,
    private readonly opts: ReliableConsumerOptions,
  ) {}

  get kafkaConsumer(): Consumer | null {
    return this.consumer;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      rebalanceTimeout: 60_000,
      maxBytesPerPartition: 1024 * 1024,
      allowAutoTopicCreation: false,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(this.opts.handlers), fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      autoCommitThreshold: 100,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /**
   * Stops taking work: the record in flight finishes (or, while backing off, is abandoned uncommitted),
   * then kafkajs commits the resolved offsets after the batch returns and leaves the group. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    try {
      await this.consumeBatch(payload);
    } catch (e) {
      // Rethrow the original kafkajs error so its runner recognises the rebalance and rejoins; the
      // record in flight was not resolved and is redelivered to whoever owns the partition next.
      if (e instanceof GroupChanged) throw e.original;
      throw e;
    }
  }

  private async consumeBatch({ batch, resolveOffset, heartbeat: rawHeartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const handler = this.opts.handlers[batch.topic];
    if (!handler) return;
    const heartbeat = async (): Promise<void> => {
      try {
        await rawHeartbeat();
      } catch (e) {
        if (isGroupError(e)) throw new GroupChanged(e);
        throw e;
      }
    };
    // Records with different keys are independent (the contract orders only one key's events, e.g. one
    // actor's): up to `lanesFor(topic)` keys run at once, each key's records strictly in offset order.
    // The resolved offset only advances over the contiguous prefix of finished records, so a crash or a
    // rebalance redelivers everything from the oldest unfinished record on (handlers are idempotent).
    const lanes = new Map<string, KafkaMessage[]>();
    for (const m of batch.messages) {
      const key = m.key && m.key.length > 0 ? `k:${m.key.toString('base64')}` : `o:${m.offset}`;
      const lane = lanes.get(key);
      if (lane) lane.push(m);
      else lanes.set(key, [m]);
    }
    const queue = [...lanes.values()];
    const finished = new Set<string>();
    let next = 0;
    let halted = false;
    const shouldStop = (): boolean => halted || !isRunning() || isStale() || this.stopping;
    const advance = (): void => {
      while (next < batch.messages.length && finished.has((batch.messages[next] as KafkaMessage).offset)) {
        resolveOffset((batch.messages[next] as KafkaMessage).offset);
        next++;
      }
    };
    const runLanes = async (): Promise<void> => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const message of lane) {
          if (shouldStop()) return;
          const meta: RecordMeta = {
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            timestampMs: Number(message.timestamp),
            nowMs: Date.now(),
            maxBytes: this.opts.maxRecordBytes,
          };
          await this.process(handler, message, meta, heartbeat, shouldStop);
          finished.add(message.offset);
          advance();
          await commitOffsetsIfNecessary();
        }
      }
    };
    const width = Math.max(1, Math.min(this.opts.lanesFor?.(batch.topic) ?? 1, queue.length));
    const results = await Promise.allSettled(
      Array.from({ length: width }, () =>
        runLanes().catch((e: unknown) => {
          halted = true; // the other lanes stop at their next record; nothing after a gap is resolved
          throw e;
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof Stopping));
    if (failure) throw failure.reason;
    if (!shouldStop()) await heartbeat();
  }

  private async process(
    handler: RecordHandler,
    message: KafkaMessage,
    meta: RecordMeta,
    heartbeat: () => Promise<void>,
    shouldStop: () => boolean,
  ): Promise<void> {
    let delay = 200;
    let bugAttempts = 0;
    let firstBugAt = 0;
    for (;;) {
      try {
        await handler(message, meta, heartbeat);
        this.opts.metrics.consumed(meta.topic, 'ok');
        return;
      } catch (e) {
        if (e instanceof GroupChanged || e instanceof Stopping) throw e;
        const poison = this.poisonOf(e);
        if (poison) {
          await this.retrying(() => this.deadLetter(message, meta, poison.code, poison.message), heartbeat, shouldStop);
          return;
        }
        const bug = !isTransientError(e);
        if (bug && bugAttempts++ === 0) firstBugAt = Date.now();
        if (bug && bugAttempts >= (this.opts.maxBugAttempts ?? 5) && Date.now() - firstBugAt >= (this.opts.minBugRetryMs ?? 60_000)) {
          this.log.error({ err: e, topic: meta.topic, partition: meta.partition, offset: meta.offset }, 'record failed repeatedly; dead-lettering');
          await this.retrying(() => this.deadLetter(message, meta, 'PROCESSING_FAILED', (e as Error).message ?? String(e)), heartbeat, shouldStop);
          return;
        }
        this.opts.metrics.retried(meta.topic);
        const err = { name: (e as Error).name, code: (e as { code?: unknown }).code, message: (e as Error).message };
        this.log.warn({ err, topic: meta.topic, partition: meta.partition, offset: meta.offset, retryInMs: delay }, bug ? 'unexpected failure; retrying' : 'transient failure; retrying');
        await this.backoff(delay, heartbeat, shouldStop);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private poisonOf(e: unknown): { code: string; message: string } | null {
    if (e instanceof PoisonRecordError) return { code: e.code, message: e.message };
    if (e instanceof DomainError && (e.code === 'VALIDATION_FAILED' || e.code === 'FORBIDDEN')) {
      return { code: e.code === 'FORBIDDEN' ? 'ACTOR_MISMATCH' : 'INVALID_RECORD', message: e.message };
    }
    return null;
  }

  private async retrying(op: () => Promise<void>, heartbeat: () => Promise<void>, shouldStop: () => boolean): Promise<void> {
    let delay = 200;
    for (;;) {
      try {
        return await op();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'dead-letter publish failed; retrying');
        await this.backoff(delay, heartbeat, shouldStop);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private async backoff(ms: number, heartbeat: () => Promise<void>, shouldStop: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (shouldStop()) throw new Stopping();
      await sleep(Math.min(250, until - Date.now()));
      try {
        await heartbeat();
      } catch (e) {
        // A rebalance must reach kafkajs (see GroupChanged); other heartbeat failures (broker
        // unreachable) are left to the next attempt.
        if (e instanceof GroupChanged) throw e;
      }
    }
    if (shouldStop()) throw new Stopping();
  }

  private async deadLetter(message: KafkaMessage, meta: RecordMeta, code: string, reason: string): Promise<void> {
    await this.dlqProducer.send({
      topic: this.opts.dlqTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            'error-code': code,
            'error-message': reason.slice(0, 1000),
            'source-topic': meta.topic,
            'source-partition': String(meta.partition),
            'source-offset': meta.offset,
          },
        },
      ],
    });
    this.opts.metrics.deadLettered(meta.topic, code);
    this.opts.metrics.consumed(meta.topic, 'dead_lettered');
    this.log.warn({ code, reason, topic: meta.topic, partition: meta.partition, offset: meta.offset }, 'record dead-lettered');
  }
}
