/**
 * Transient = the backing store or broker is (temporarily) unavailable: retry with backoff, never
 * dead-letter, answer 503 over HTTP. Matched by error name/code so this lib needs neither driver.
 */
const CASSANDRA_TRANSIENT_NAMES = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError']);
// Cassandra ResponseError codes 0x1000-0x1500: unavailable, overloaded, bootstrapping, truncate,
// write/read timeout, read/write failure.
const isTransientResponseCode = (code: unknown): boolean => typeof code === 'number' && code >= 0x1000 && code <= 0x1500 && code !== 0x1400;

export function isTransientError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: unknown; code?: unknown; retriable?: unknown; transient?: unknown };
  if (err.transient === true) return true;
  if (typeof err.name !== 'string') return false;
  if (CASSANDRA_TRANSIENT_NAMES.has(err.name)) return true;
  if (err.name === 'ResponseError') return isTransientResponseCode(err.code);
  // kafkajs errors all start with KafkaJS; broker/network trouble is retried by the caller.
  if (err.name.startsWith('KafkaJS')) return true;
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
