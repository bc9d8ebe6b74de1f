import { CompressionCodecs, CompressionTypes, Kafka, KafkaJSNotImplemented, logLevel } from 'kafkajs';
import { testConfig, uniqueTag, waitFor } from '@app/testing';
import { ConsumerMetrics, createKafka, ensureTopics, KAFKA_CODECS, PoisonRecordError, ReliableConsumer, SafeProducer } from '@app/messaging-kafka';
import { kcatProduce, requireKcat } from '../../../test/faults/support/kcat';

/**
 * ReliableConsumer against the real Kafka: a consumer that kafkajs crashes without restarting is restarted and
 * reports itself not consuming meanwhile; a dead letter the broker refuses for good does not hold the partition.
 */
jest.setTimeout(120_000);

const tag = uniqueTag('rc');
const cfg = testConfig(tag, { KAFKA_PARTITIONS: '1' });
const T = cfg.kafka.topics;
const admin = new Kafka({ clientId: 'rc-test', brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING }).admin();

interface Counts {
  crashes: { restart: string }[];
  deadLettered: string[];
  deadLetterFailed: string[];
}
const metricsInto = (c: Counts): ConsumerMetrics => ({
  consumed: () => undefined,
  retried: () => undefined,
  deadLettered: (_t, code) => c.deadLettered.push(code),
  deadLetterFailed: (_t, code) => c.deadLetterFailed.push(code),
  crashed: (restart) => c.crashes.push({ restart }),
});

beforeAll(async () => {
  requireKcat();
  await admin.connect();
  await ensureTopics(admin, cfg);
});
afterAll(async () => {
  await admin.disconnect();
});

it('restarts a consumer that kafkajs crashed without restart, and is not consuming until it rejoined', async () => {
  const registry = CompressionCodecs as unknown as Record<number, () => unknown>;
  const dlq = new SafeProducer(createKafka(cfg, 'rc-dlq'), { idempotent: true, maxInFlightRequests: 1 }, 'durable', 10_000);
  const counts: Counts = { crashes: [], deadLettered: [], deadLetterFailed: [] };
  const seen: string[] = [];
  const consumer = new ReliableConsumer(createKafka(cfg, 'rc-crash'), dlq, {
    groupId: `${cfg.kafka.groupId}-crash`,
    handlers: { [T.activities]: async (m) => void seen.push(m.value?.toString() ?? '') },
    dlqTopic: T.dlq,
    maxRecordBytes: cfg.kafka.maxRecordBytes,
    partitionsConsumedConcurrently: 1,
    metrics: metricsInto(counts),
    restartBackoffMs: { initial: 300, max: 1_500 },
  });
  // A process that cannot decode LZ4 (as every Tideline process before its codecs were registered): kafkajs
  // fails the fetch with a non-retriable KafkaJSNotImplemented and crashes the consumer with restart: false.
  registry[CompressionTypes.LZ4] = () => {
    // kafkajs's own class and message for a codec it lacks (its typings declare no constructor arguments).
    throw new (KafkaJSNotImplemented as unknown as new (message: string) => Error)('LZ4 compression not implemented (removed by this test)');
  };
  try {
    await consumer.start();
    expect(consumer.state).toBe('running');
    await expect(consumer.ping()).resolves.toBeUndefined();

    await kcatProduce(T.activities, 0, 'lz4', [{ key: 'k', value: `lz4 record ${'x'.repeat(500)}` }]);
    await waitFor('the consumer to crash and report itself down', () => counts.crashes.length >= 1 && consumer.state !== 'running', { intervalMs: 20 });
    const down = await consumer.ping().then(
      () => 'up',
      (e: Error) => e.message,
    );
    expect(down).toMatch(/not consuming; last crash .*LZ4 compression not implemented/);
    // It keeps coming back (and crashing on the same batch, with backoff) rather than staying dead.
    await waitFor('a second crash after our restart', () => counts.crashes.length >= 2, { timeoutMs: 20_000 });
    expect(counts.crashes.every((c) => c.restart === 'ours')).toBe(true);
    expect(seen).toEqual([]);

    // The cause goes away (codec back): the next restart consumes the record and what follows it.
    registry[CompressionTypes.LZ4] = KAFKA_CODECS[CompressionTypes.LZ4] as () => unknown;
    await kcatProduce(T.activities, 0, 'none', [{ key: 'k', value: 'plain record' }]);
    await waitFor('both records consumed after the restart', () => seen.length >= 2, { timeoutMs: 30_000, describe: () => ({ seen, state: consumer.state, crashes: counts.crashes.length }) });
    expect(seen).toEqual([`lz4 record ${'x'.repeat(500)}`, 'plain record']);
    await waitFor('running again', () => consumer.state === 'running');
    await expect(consumer.ping()).resolves.toBeUndefined();
  } finally {
    registry[CompressionTypes.LZ4] = KAFKA_CODECS[CompressionTypes.LZ4] as () => unknown;
    await consumer.stop();
    await dlq.disconnect();
  }
  expect(consumer.state).toBe('stopped');
  await expect(consumer.ping()).rejects.toThrow(/stopped/);
});

it('skips a record whose dead letter the broker refuses permanently, and the partition flows on', async () => {
  // A dead-letter topic that takes at most 2 KB per batch, and a poison record of 3 KB (under maxRecordBytes,
  // so it is not cut): the broker answers "too large", which no retry can change.
  const tinyDlq = `${T.dlq}.tiny`;
  await admin.createTopics({ topics: [{ topic: tinyDlq, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '2048' }] }], waitForLeaders: true });
  const dlq = new SafeProducer(createKafka(cfg, 'rc-dlq2'), { idempotent: true, maxInFlightRequests: 1 }, 'durable', 10_000);
  const counts: Counts = { crashes: [], deadLettered: [], deadLetterFailed: [] };
  const seen: string[] = [];
  const consumer = new ReliableConsumer(createKafka(cfg, 'rc-skip'), dlq, {
    groupId: `${cfg.kafka.groupId}-skip`,
    handlers: {
      [T.follows]: async (m) => {
        const v = m.value?.toString() ?? '';
        if (v.startsWith('bad')) throw new PoisonRecordError('NOT_JSON', 'value is not JSON');
        seen.push(v);
      },
    },
    dlqTopic: tinyDlq,
    maxRecordBytes: 8 * 1024,
    partitionsConsumedConcurrently: 1,
    metrics: metricsInto(counts),
  });
  try {
    await consumer.start();
    await kcatProduce(T.follows, 0, 'none', [
      { key: 'k', value: `bad ${'y'.repeat(3000)}` },
      { key: 'k', value: 'bad but small' },
      { key: 'k', value: 'good after' },
    ]);
    await waitFor('the record after the refused dead letter', () => seen.includes('good after'), {
      timeoutMs: 30_000,
      describe: () => ({ seen, counts }),
    });
    expect(counts.deadLetterFailed).toEqual(['NOT_JSON']);
    expect(counts.deadLettered).toEqual(['NOT_JSON']); // the small one did reach the dead-letter topic
    expect(consumer.state).toBe('running');
  } finally {
    await consumer.stop();
    await dlq.disconnect();
  }
});
