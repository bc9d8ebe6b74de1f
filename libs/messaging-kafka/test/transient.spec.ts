import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSLockTimeout,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { StoreUnavailableError } from '@app/feeds';
// The consumer's classifier (kafkajs errors are classified inside the Kafka adapter).
import { isPermanentKafkaError, isTransientFailure as isTransientError } from '../src/kafka-errors';

/** Real kafkajs error objects, shaped as kafkajs raises them (the retrier wraps the broker's error in `cause`). */
const protocol = (type: string, retriable: boolean): KafkaJSProtocolError =>
  new KafkaJSProtocolError({ message: `broker says ${type}`, type, code: 0, retriable } as unknown as Error);
// kafkajs's constructors take (error, { cause }); its typings declare fewer arguments.
const bailed = (cause: Error): Error => new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(cause, { cause });

describe('isTransientError for kafkajs errors', () => {
  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD'])('a producer refusal %s is permanent, not transient', (type) => {
    for (const e of [protocol(type, false), bailed(protocol(type, false))]) {
      expect(isPermanentKafkaError(e)).toBe(true);
      expect(isTransientError(e)).toBe(false);
    }
  });

  it('keeps connection, timeout and retriable broker errors transient', () => {
    const transient: Error[] = [
      new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
      new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'),
      new (KafkaJSLockTimeout as unknown as new (m: string) => Error)('Timeout while acquiring lock'),
      new KafkaJSError('plain kafkajs error'),
      protocol('NOT_LEADER_FOR_PARTITION', true),
      protocol('NOT_ENOUGH_REPLICAS', true),
      new KafkaJSNumberOfRetriesExceeded(protocol('LEADER_NOT_AVAILABLE', true), { retryCount: 5, retryTime: 1000 }),
      new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('down'), { retryCount: 5, retryTime: 1000 }),
      new StoreUnavailableError('kafka', 'Kafka did not acknowledge within 5000 ms'),
      // kafkajs's client-side refusal while a producer disconnects: no broker answer, a reconnect fixes it.
      new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore"),
    ];
    for (const e of transient) {
      expect({ name: e.name, message: e.message, transient: isTransientError(e) }).toEqual({ name: e.name, message: e.message, transient: true });
      expect(isPermanentKafkaError(e)).toBe(false);
    }
  });

  it('does not call non-Kafka errors permanent Kafka errors', () => {
    expect(isPermanentKafkaError(new TypeError('x'))).toBe(false);
    expect(isPermanentKafkaError(null)).toBe(false);
    expect(isTransientError(new TypeError('x'))).toBe(false);
  });
});
