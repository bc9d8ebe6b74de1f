import { Logger } from '@nestjs/common';
import { KafkaMessage } from 'kafkajs';
import { isTransientError } from '@app/feeds';
import { backoff, mustLeave, poisonOf } from './consumer-errors';
import { RecordHandler, ReliableConsumerOptions } from './consumer-types';
import { DeadLetterer } from './dead-letter';
import { RecordMeta } from './records';

type ProcessorOptions = Pick<ReliableConsumerOptions, 'metrics' | 'maxBugAttempts' | 'minBugRetryMs'>;

/**
 * Runs one record's handler until it is done (CONTRACT §4): poison goes to the dead-letter topic at once,
 * transient failures are retried in place with exponential backoff (heart-beating, never dead-lettered), and
 * an unexpected error is dead-lettered only once it persisted `maxBugAttempts` attempts and `minBugRetryMs`.
 */
export class RecordProcessor {
  private readonly log = new Logger('ReliableConsumer');

  constructor(
    private readonly opts: ProcessorOptions,
    private readonly deadLetters: DeadLetterer,
  ) {}

  async process(handler: RecordHandler, message: KafkaMessage, meta: RecordMeta, heartbeat: () => Promise<void>, shouldStop: () => boolean): Promise<void> {
    let delay = 200;
    let bugAttempts = 0;
    let firstBugAt = 0;
    for (;;) {
      try {
        await handler(message, meta, heartbeat);
        this.opts.metrics.consumed(meta.topic, 'ok');
        return;
      } catch (e) {
        if (mustLeave(e)) throw e;
        const poison = poisonOf(e);
        if (poison) {
          await this.deadLetters.deadLetterOrSkip(message, meta, poison.code, poison.message, heartbeat, shouldStop);
          return;
        }
        const bug = !isTransientError(e);
        if (bug && bugAttempts++ === 0) firstBugAt = Date.now();
        if (bug && bugAttempts >= (this.opts.maxBugAttempts ?? 5) && Date.now() - firstBugAt >= (this.opts.minBugRetryMs ?? 60_000)) {
          this.log.error({ err: e, topic: meta.topic, partition: meta.partition, offset: meta.offset }, 'record failed repeatedly; dead-lettering');
          await this.deadLetters.deadLetterOrSkip(message, meta, 'PROCESSING_FAILED', (e as Error).message ?? String(e), heartbeat, shouldStop);
          return;
        }
        this.opts.metrics.retried(meta.topic);
        const err = { name: (e as Error).name, code: (e as { code?: unknown }).code, message: (e as Error).message };
        this.log.warn({ err, topic: meta.topic, partition: meta.partition, offset: meta.offset, retryInMs: delay }, bug ? 'unexpected failure; retrying' : 'transient failure; retrying');
        await backoff(delay, heartbeat, shouldStop);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }
}
