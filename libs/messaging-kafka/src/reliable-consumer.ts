import { Logger } from '@nestjs/common';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage, ProducerRecord } from 'kafkajs';
import { DomainError } from '@app/domain';
import { isPermanentKafkaError, isTransientError } from '@app/feeds';
import { recordTopicMaxBytes } from './kafka-client';
import { PoisonRecordError, RecordMeta } from './records';

export type RecordHandler = (message: KafkaMessage, meta: RecordMeta, heartbeat: () => Promise<void>) => Promise<void>;

export interface ConsumerMetrics {
  consumed(topic: string, outcome: 'ok' | 'dead_lettered'): void;
  retried(topic: string): void;
  deadLettered(topic: string, code: string): void;
  /** The dead-letter topic refused a record permanently; it was logged and skipped. */
  deadLetterFailed(topic: string, code: string): void;
  crashed(restart: 'kafkajs' | 'ours'): void;
}

/** `running` = member of the group and fetching (after GROUP_JOIN); anything else = not consuming. */
export type ConsumerState = 'idle' | 'joining' | 'running' | 'crashed' | 'stopped';

export interface ReliableConsumerOptions {
  readonly groupId: string;
  readonly handlers: Readonly<Record<string, RecordHandler>>;
  readonly dlqTopic: string;
  readonly maxRecordBytes: number;
  /** max.message.bytes of the dead-letter topic (default: recordTopicMaxBytes(maxRecordBytes), as ensureTopics sets it). */
  readonly dlqMaxBytes?: number;
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
  /** Backoff between our restarts after a crash kafkajs does not restart itself (default 1 s, doubling to 30 s). */
  readonly restartBackoffMs?: { readonly initial: number; readonly max: number };
  /** Consecutive failed restart attempts before giving up (default 10); then `onFatal` is called. */
  readonly maxRestartFailures?: number;
  /** The consumer is down for good (restarts keep failing): the process should exit non-zero. */
  readonly onFatal?: (error: unknown) => void;
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

/** Headers (error-message ≤ 1000 chars, names, offsets) and record batch framing of a dead letter, generously. */
const DLQ_OVERHEAD_BYTES = 8 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The consumer failure policy, in one place (CONTRACT §4):
 * - a record's offset is resolved only after its handler finished (effects durable) or it was
 *   dead-lettered, so a crash or rebalance redelivers it (handlers are idempotent);
 * - poison (invalid) records go to the dead-letter topic with the reason, and the partition carries on;
 * - transient failures (Cassandra/Kafka unavailable) are retried in place with exponential backoff,
 *   heart-beating so the group keeps the partition, and are never dead-lettered;
 * - on stop, the in-flight record is abandoned uncommitted (redelivered to whoever gets the partition);
 * - a dead letter is cut to fit the DLQ topic (`original-size`); one the broker still refuses for good is
 *   logged, counted and skipped, so no record holds its partition;
 * - a kafkajs crash is logged and counted, `state` leaves `running` until the group is joined again, and a
 *   crash kafkajs does not restart is restarted here with backoff (`onFatal` if restarting keeps failing).
 */
export class ReliableConsumer {
  private readonly log = new Logger(ReliableConsumer.name);
  private consumer: Consumer | null = null;
  private stopping = false;
  private stateNow: ConsumerState = 'idle';
  private lastCrash: { error: string; at: number } | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelay = 0;
  private restartFailures = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly dlqProducer: DeadLetterSender,
    private readonly opts: ReliableConsumerOptions,
  ) {}

  get kafkaConsumer(): Consumer | null {
    return this.consumer;
  }

  /** Where the consumer is; only `running` means records are being consumed (readiness). */
  get state(): ConsumerState {
    return this.stateNow;
  }

  get consuming(): boolean {
    return this.stateNow === 'running';
  }

  /** For readiness checks: resolves while consuming, else rejects with the state (and the last crash). */
  async ping(): Promise<void> {
    if (this.consuming) return;
    const crash = this.lastCrash ? `; last crash ${new Date(this.lastCrash.at).toISOString()}: ${this.lastCrash.error}` : '';
    throw new Error(`consumer is ${this.stateNow}, not consuming${crash}`);
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.launch();
  }

  /** Creates, connects and runs one kafkajs consumer; its events drive `state`. */
  private async launch(): Promise<void> {
    this.stateNow = 'joining';
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
    const current = (): boolean => this.consumer === consumer && !this.stopping;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (current()) this.stateNow = 'running';
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (current()) this.onCrash(consumer, event.payload.error, event.payload.restart);
    });
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
    this.stateNow = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect();
  }

  /**
   * A crash is never silent: it is logged and counted, and the state leaves `running` until the group is
   * joined again. kafkajs restarts by itself only after retriable errors (`restart: true`); otherwise (e.g. a
   * batch it cannot decode) this consumer starts a fresh one, with backoff so a crash loop stays slow.
   */
  private onCrash(consumer: Consumer, error: unknown, kafkajsRestarts: boolean): void {
    const message = (error as Error)?.message ?? String(error);
    this.stateNow = 'crashed';
    this.lastCrash = { error: message, at: Date.now() };
    this.opts.metrics.crashed(kafkajsRestarts ? 'kafkajs' : 'ours');
    const { initial, max } = this.opts.restartBackoffMs ?? { initial: 1_000, max: 30_000 };
    if (kafkajsRestarts) {
      this.log.error({ err: { name: (error as Error)?.name, message } }, 'Kafka consumer crashed; kafkajs restarts it');
      return;
    }
    this.restartDelay = this.restartDelay === 0 ? initial : Math.min(this.restartDelay * 2, max);
    this.log.error({ err: { name: (error as Error)?.name, message }, restartInMs: this.restartDelay }, 'Kafka consumer crashed; restarting it');
    this.scheduleRestart(consumer, this.restartDelay);
  }

  private scheduleRestart(crashed: Consumer, delayMs: number): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.restart(crashed);
    }, delayMs);
  }

  private async restart(crashed: Consumer): Promise<void> {
    if (this.stopping || this.consumer !== crashed) return;
    try {
      // kafkajs disconnected the crashed consumer before reporting the crash; disconnecting again is a no-op.
      await crashed.disconnect().catch(() => undefined);
      if (this.stopping) return;
      await this.launch();
      this.restartFailures = 0;
    } catch (e) {
      if (this.stopping) return; // stop() disconnected the consumer being started: not a failure
      this.stateNow = 'crashed';
      const failures = ++this.restartFailures;
      const { max } = this.opts.restartBackoffMs ?? { initial: 1_000, max: 30_000 };
      this.restartDelay = Math.min(Math.max(this.restartDelay, 1) * 2, max);
      if (failures >= (this.opts.maxRestartFailures ?? 10)) {
        this.log.error({ err: (e as Error).message, failures }, 'Kafka consumer cannot be restarted; giving up');
        this.opts.onFatal?.(e);
        return;
      }
      this.log.error({ err: (e as Error).message, failures, restartInMs: this.restartDelay }, 'Kafka consumer restart failed; retrying');
      const failed = this.consumer ?? crashed;
      this.scheduleRestart(failed, this.restartDelay);
    }
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
    this.restartDelay = 0; // a batch went through: the next crash starts the backoff over
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
          await this.deadLetterOrSkip(message, meta, poison.code, poison.message, heartbeat, shouldStop);
          return;
        }
        const bug = !isTransientError(e);
        if (bug && bugAttempts++ === 0) firstBugAt = Date.now();
        if (bug && bugAttempts >= (this.opts.maxBugAttempts ?? 5) && Date.now() - firstBugAt >= (this.opts.minBugRetryMs ?? 60_000)) {
          this.log.error({ err: e, topic: meta.topic, partition: meta.partition, offset: meta.offset }, 'record failed repeatedly; dead-lettering');
          await this.deadLetterOrSkip(message, meta, 'PROCESSING_FAILED', (e as Error).message ?? String(e), heartbeat, shouldStop);
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

  /**
   * Dead-letters the record, retrying transient failures (Kafka unavailable) in place. A permanent refusal by
   * the broker (e.g. too large even after the cut) can never succeed: it is logged, counted and the record is
   * skipped, so that no record holds its partition back (CONTRACT §4).
   */
  private async deadLetterOrSkip(
    message: KafkaMessage,
    meta: RecordMeta,
    code: string,
    reason: string,
    heartbeat: () => Promise<void>,
    shouldStop: () => boolean,
  ): Promise<void> {
    let delay = 200;
    for (;;) {
      try {
        return await this.deadLetter(message, meta, code, reason);
      } catch (e) {
        if (e instanceof GroupChanged || e instanceof Stopping) throw e;
        if (isPermanentKafkaError(e)) {
          this.opts.metrics.deadLetterFailed(meta.topic, code);
          this.log.error(
            { err: { name: (e as Error).name, message: (e as Error).message }, code, reason, topic: meta.topic, partition: meta.partition, offset: meta.offset, valueBytes: message.value?.length ?? 0 },
            'dead-letter topic refused the record permanently; skipping it',
          );
          return;
        }
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
    // The dead letter keeps the original value whenever it fits the DLQ topic (max(2 × maxRecordBytes, 1 MiB));
    // a larger one (only ever a record too large once decompressed) is cut to fit, with room for the key and
    // headers, and its full size goes in `original-size` (CONTRACT §4 v1.1).
    const full = message.value;
    const room = Math.max(1024, (this.opts.dlqMaxBytes ?? recordTopicMaxBytes(this.opts.maxRecordBytes)) - (message.key?.length ?? 0) - DLQ_OVERHEAD_BYTES);
    const cut = full !== null && full.length > room;
    await this.dlqProducer.send({
      topic: this.opts.dlqTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: cut ? full.subarray(0, room) : full,
          headers: {
            ...(cut ? { 'original-size': String(full.length) } : {}),
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
