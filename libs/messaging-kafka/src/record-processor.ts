import { Logger } from '@nestjs/common';
import { KafkaMessage } from 'kafkajs';
import { retry } from '@app/feeds';
import { isTransientFailure } from './kafka-errors';
import { backoff, mustLeave, poisonOf, RETRY_IN_PLACE } from './consumer-errors';
import { RecordHandler, ReliableConsumerOptions } from './consumer-types';
import { DeadLetterer } from './dead-letter';
import { RecordMeta } from './records';

type ProcessorOptions = Pick<ReliableConsumerOptions, 'metrics' | 'maxBugAttempts' | 'minBugRetryMs'>;

/**
 * Runs one record's handler until it is done (docs/api.md §3): poison goes to the dead-letter topic at once,
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
    let bugAttempts = 0;
    let firstBugAt = 0;
    // What to do once the handler stopped failing in a way worth retrying in place.
    const outcome = await retry(
      async (): Promise<{ deadLetter: { code: string; message: string } } | null> => {
        try {
          await handler(message, meta, heartbeat);
          return null;
        } catch (e) {
          if (mustLeave(e)) throw e;
          const poison = poisonOf(e);
          if (poison) return { deadLetter: poison };
          const bug = !isTransientFailure(e);
          if (bug && bugAttempts++ === 0) firstBugAt = Date.now();
          if (bug && bugAttempts >= (this.opts.maxBugAttempts ?? 5) && Date.now() - firstBugAt >= (this.opts.minBugRetryMs ?? 60_000)) {
            this.log.error({ err: e, topic: meta.topic, partition: meta.partition, offset: meta.offset }, 'record failed repeatedly; dead-lettering');
            return { deadLetter: { code: 'PROCESSING_FAILED', message: (e as Error).message ?? String(e) } };
          }
          throw e;
        }
      },
      {
        ...RETRY_IN_PLACE,
        retryOn: (e) => !mustLeave(e),
        wait: (ms) => backoff(ms, heartbeat, shouldStop),
        onRetry: (e, delay) => {
          this.opts.metrics.retried(meta.topic);
          const err = { name: (e as Error).name, code: (e as { code?: unknown }).code, message: (e as Error).message };
          this.log.warn({ err, topic: meta.topic, partition: meta.partition, offset: meta.offset, retryInMs: delay }, isTransientFailure(e) ? 'transient failure; retrying' : 'unexpected failure; retrying');
        },
      },
    );
    if (outcome === null) this.opts.metrics.consumed(meta.topic, 'ok');
    else await this.deadLetters.deadLetterOrSkip(message, meta, outcome.deadLetter.code, outcome.deadLetter.message, heartbeat, shouldStop);
  }
}
