import { KafkaMessage, ProducerRecord } from 'kafkajs';
import { RecordMeta } from './records';

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
  /** Called on every change of `state` (the transport reports it as its Nest `status`). */
  readonly onState?: (state: ConsumerState) => void;
}

/** What the consumer needs to dead-letter: a send that resolves once the record is acknowledged. */
export interface DeadLetterSender {
  send(record: ProducerRecord): Promise<unknown>;
}
