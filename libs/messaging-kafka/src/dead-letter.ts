import { Logger } from '@nestjs/common';
import { KafkaMessage } from 'kafkajs';
import { retry } from '@app/feeds';
import { isPermanentKafkaError } from './kafka-errors';
import { backoff, mustLeave, RETRY_IN_PLACE } from './consumer-errors';
import { ConsumerMetrics, DeadLetterSender } from './consumer-types';
import { DEAD_LETTER_HEADERS as H } from './dead-letters';
import { recordTopicMaxBytes } from './kafka-client';
import { RecordMeta } from './records';

/** Headers (error-message ≤ 1000 chars, names, offsets) and record batch framing of a dead letter, generously. */
const DLQ_OVERHEAD_BYTES = 8 * 1024;

export interface DeadLetterOptions {
  readonly dlqTopic: string;
  readonly maxRecordBytes: number;
  readonly dlqMaxBytes?: number;
  readonly metrics: ConsumerMetrics;
}

/** Publishes dead letters with the contract headers (docs/api.md §3), cut to fit the dead-letter topic. */
export class DeadLetterer {
  private readonly log = new Logger('ReliableConsumer');

  constructor(
    private readonly sender: DeadLetterSender,
    private readonly opts: DeadLetterOptions,
  ) {}

  /**
   * Dead-letters the record, retrying transient failures (Kafka unavailable) in place. A permanent refusal by
   * the broker (e.g. too large even after the cut) can never succeed: it is logged, counted and the record is
   * skipped, so that no record holds its partition back (docs/api.md §3).
   */
  async deadLetterOrSkip(
    message: KafkaMessage,
    meta: RecordMeta,
    code: string,
    reason: string,
    heartbeat: () => Promise<void>,
    shouldStop: () => boolean,
  ): Promise<void> {
    try {
      await retry(() => this.deadLetter(message, meta, code, reason), {
        ...RETRY_IN_PLACE,
        retryOn: (e) => !mustLeave(e) && !isPermanentKafkaError(e),
        wait: (ms) => backoff(ms, heartbeat, shouldStop),
        onRetry: (e) => this.log.warn({ err: (e as Error).message }, 'dead-letter publish failed; retrying'),
      });
    } catch (e) {
      if (!isPermanentKafkaError(e)) throw e;
      this.opts.metrics.deadLetterFailed(meta.topic, code);
      this.log.error(
        { err: { name: (e as Error).name, message: (e as Error).message }, code, reason, topic: meta.topic, partition: meta.partition, offset: meta.offset, valueBytes: message.value?.length ?? 0 },
        'dead-letter topic refused the record permanently; skipping it',
      );
    }
  }

  private async deadLetter(message: KafkaMessage, meta: RecordMeta, code: string, reason: string): Promise<void> {
    // The dead letter keeps the original value whenever it fits the DLQ topic (max(2 × maxRecordBytes, 1 MiB));
    // a larger one (only ever a record too large once decompressed) is cut to fit, with room for the key and
    // headers, and its full size goes in `original-size` (docs/api.md §3 v1.1).
    const full = message.value;
    const room = Math.max(1024, (this.opts.dlqMaxBytes ?? recordTopicMaxBytes(this.opts.maxRecordBytes)) - (message.key?.length ?? 0) - DLQ_OVERHEAD_BYTES);
    const cut = full !== null && full.length > room;
    await this.sender.send({
      topic: this.opts.dlqTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: cut ? full.subarray(0, room) : full,
          headers: {
            ...(cut ? { [H.originalSize]: String(full.length) } : {}),
            [H.code]: code,
            [H.message]: reason.slice(0, 1000),
            [H.sourceTopic]: meta.topic,
            [H.sourcePartition]: String(meta.partition),
            [H.sourceOffset]: meta.offset,
          },
        },
      ],
    });
    this.opts.metrics.deadLettered(meta.topic, code);
    this.opts.metrics.consumed(meta.topic, 'dead_lettered');
    this.log.warn({ code, reason, topic: meta.topic, partition: meta.partition, offset: meta.offset }, 'record dead-lettered');
  }
}
