import { isTransientError } from '@app/feeds';

/**
 * The one place that knows kafkajs's error names. The adapter's producers turn transient ones into
 * StoreUnavailableError (safe-producer.ts); the consumer classifies whatever a handler throws with
 * `isTransientFailure`.
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


/** A kafkajs error that is not a permanent refusal: the broker or the network, retried with backoff. */
export const isTransientKafkaError = (e: unknown): boolean =>
  typeof (e as { name?: unknown } | null)?.name === 'string' && (e as { name: string }).name.startsWith('KafkaJS') && !isPermanentKafkaError(e);

/** Transient in any layer: a StoreUnavailableError (or other marked error) or a transient kafkajs error. */
export const isTransientFailure = (e: unknown): boolean => isTransientError(e) || isTransientKafkaError(e);
