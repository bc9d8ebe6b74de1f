/**
 * Transient = the backing store or broker is (temporarily) unavailable: retry with backoff, never
 * dead-letter, answer 503 over HTTP. Each adapter classifies its own driver's errors and throws
 * StoreUnavailableError (libs/storage-cassandra/src/errors.ts, libs/messaging-kafka/src/kafka-errors.ts),
 * so this lib knows no driver.
 */

export function isTransientError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: unknown; code?: unknown; retriable?: unknown; transient?: unknown };
  if (err.transient === true) return true;
  if (typeof err.name !== 'string') return false;
  return err.name === 'TimeoutError' || err.name === 'StoreUnavailableError';
}

/** Thrown when a bounded wait for a backing service runs out. */
export class StoreUnavailableError extends Error {
  readonly transient = true;
  constructor(readonly service: 'cassandra' | 'kafka', message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}
