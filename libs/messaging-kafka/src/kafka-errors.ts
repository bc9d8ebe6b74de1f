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

type KafkaErrorShape = { name?: unknown; type?: unknown; retriable?: unknown; cause?: unknown } | null;

/** kafkajs wraps errors in `cause` (a retrier's KafkaJSNonRetriableError around the broker's answer): the innermost. */
function rootCause(e: unknown): KafkaErrorShape {
  let root = e as KafkaErrorShape;
  for (let depth = 0; depth < 10 && root?.cause && typeof root.cause === 'object'; depth++) root = root.cause as KafkaErrorShape;
  return root;
}

/** The broker's answers while it elects or loads a group's coordinator (kafkajs's names for error codes 14-16). */
const COORDINATOR_PENDING_TYPES = new Set(['GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP']);

/**
 * The group has no coordinator yet: a fresh broker creates __consumer_offsets on the first lookup, and kafkajs
 * gives up on "loading" at once (KafkaJSGroupCoordinatorNotFound). Worth asking again for a few seconds.
 */
export function isCoordinatorPending(e: unknown): boolean {
  const outer = (e as KafkaErrorShape)?.name;
  const root = rootCause(e);
  return outer === 'KafkaJSGroupCoordinatorNotFound' || root?.name === 'KafkaJSGroupCoordinatorNotFound' || (typeof root?.type === 'string' && COORDINATOR_PENDING_TYPES.has(root.type));
}

/**
 * A kafkajs error is permanent when its root cause (kafkajs wraps errors in `cause`, e.g. a retrier's
 * KafkaJSNonRetriableError around the broker's KafkaJSProtocolError) is the broker's answer (an error `type`)
 * with `retriable: false`: e.g. MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD. Retrying such a send
 * can never succeed. Everything else stays transient: an exhausted retrier (KafkaJSNumberOfRetriesExceeded) has a
 * retriable root, and kafkajs's own client-side refusals ("the producer is disconnecting") pass with a reconnect.
 */
export function isPermanentKafkaError(e: unknown): boolean {
  const root = rootCause(e);
  if (!root || typeof root.name !== 'string' || !root.name.startsWith('KafkaJS')) return false;
  if (KAFKA_TRANSIENT_NAMES.has(root.name)) return false;
  return typeof root.type === 'string' && root.retriable === false;
}


/** A kafkajs error that is not a permanent refusal: the broker or the network, retried with backoff. */
export const isTransientKafkaError = (e: unknown): boolean =>
  typeof (e as { name?: unknown } | null)?.name === 'string' && (e as { name: string }).name.startsWith('KafkaJS') && !isPermanentKafkaError(e);

/** Transient in any layer: a StoreUnavailableError (or other marked error) or a transient kafkajs error. */
export const isTransientFailure = (e: unknown): boolean => isTransientError(e) || isTransientKafkaError(e);
