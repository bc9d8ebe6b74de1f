import { Logger } from '@nestjs/common';
import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { GroupChanged } from './consumer-errors';
import { ConsumerState, DeadLetterSender, ReliableConsumerOptions } from './consumer-types';
import { DeadLetterer } from './dead-letter';
import { consumePartitionBatch } from './partition-batch';
import { RecordProcessor } from './record-processor';

/**
 * The consumer failure policy, in one place (docs/api.md §3):
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
 * Per-key lanes and the committed prefix: partition-batch.ts; retries and dead letters: record-processor.ts,
 * dead-letter.ts.
 */
export class ReliableConsumer {
  private readonly log = new Logger(ReliableConsumer.name);
  private readonly processor: RecordProcessor;
  private consumer: Consumer | null = null;
  private stopping = false;
  private stateNow: ConsumerState = 'idle';
  private lastCrash: { error: string; at: number } | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelay = 0;
  private restartFailures = 0;

  constructor(
    private readonly kafka: Kafka,
    dlqProducer: DeadLetterSender,
    private readonly opts: ReliableConsumerOptions,
  ) {
    this.processor = new RecordProcessor(opts, new DeadLetterer(dlqProducer, opts));
  }

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

  private setState(state: ConsumerState): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    this.opts.onState?.(state);
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
    this.setState('joining');
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
      if (current()) this.setState('running');
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
    this.setState('stopped');
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
    this.setState('crashed');
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
      this.setState('crashed');
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
    const handler = this.opts.handlers[payload.batch.topic];
    if (!handler) return;
    try {
      await consumePartitionBatch(payload, {
        handler,
        processor: this.processor,
        lanes: this.opts.lanesFor?.(payload.batch.topic) ?? 1,
        maxRecordBytes: this.opts.maxRecordBytes,
        stopping: () => this.stopping,
        onDone: () => (this.restartDelay = 0), // a batch went through: the next crash starts the backoff over
      });
    } catch (e) {
      // Rethrow the original kafkajs error so its runner recognises the rebalance and rejoins; the
      // record in flight was not resolved and is redelivered to whoever owns the partition next.
      if (e instanceof GroupChanged) throw e.original;
      throw e;
    }
  }
}
