/**
 * Transient = the backing store or broker is (temporarily) unavailable: retry with backoff, never
 * dead-letter, answer 503 over HTTP. The Cassandra adapter classifies its driver's errors itself
 * (libs/storage-cassandra/src/errors.ts) and throws StoreUnavailableError; kafkajs errors are matched by
 * name here, so this lib needs neither driver.
 */

// kafkajs errors that say the broker or the network is (temporarily) unreachable or slow, whatever their
// `retriable` flag (kafkajs marks its timeouts non-retriable, meaning only "do not retry this call in place").
const KAFKA_TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
]);

/**
 * A kafkajs error is permanent when its root cause (kafkajs wraps errors in `cause`, e.g. a retrier's
 * KafkaJSNonRetriableError around the broker's KafkaJSProtocolError) is the broker's answer (an error `type`)
 * with `retriable: false`: e.g. MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD. Retrying such a send
 * can never succeed. Everything else stays transient: an exhausted retrier (KafkaJSNumberOfRetriesExceeded) has a
 * retriable root, and kafkajs's own client-side refusals ("the producer is disconnecting") pass with a reconnect.
 */
export function isPermanentKafkaError(e: unknown): boolean {
  let root = e as { name?: unknown; type?: unknown; retriable?: unknown; cause?: unknown } | null;
  for (let depth = 0; depth < 10 && root?.cause && typeof root.cause === 'object'; depth++) root = root.cause as typeof root;
  if (!root || typeof root.name !== 'string' || !root.name.startsWith('KafkaJS')) return false;
  if (KAFKA_TRANSIENT_NAMES.has(root.name)) return false;
  return typeof root.type === 'string' && root.retriable === false;
}

export function isTransientError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: unknown; code?: unknown; retriable?: unknown; transient?: unknown };
  if (err.transient === true) return true;
  if (typeof err.name !== 'string') return false;
  if (err.name.startsWith('KafkaJS')) return !isPermanentKafkaError(e);
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
