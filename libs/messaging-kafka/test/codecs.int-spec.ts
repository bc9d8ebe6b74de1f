import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { ensureTopics } from '@app/messaging-kafka';
import { testConfig, uniqueTag, waitFor } from '@app/testing';
import { kcatConsume, requireKcat } from '../../../test/faults/support/kcat';

/**
 * The registered codecs also compress: a kafkajs producer writes snappy, lz4 and zstd batches (the broker
 * validates each batch by decompressing it) and kcat (librdkafka, an independent decoder) reads them back intact.
 */
jest.setTimeout(60_000);

const tag = uniqueTag('cz');
const cfg = testConfig(tag, { KAFKA_PARTITIONS: '1' });
const kafka = new Kafka({ clientId: 'codecs-test', brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });

beforeAll(async () => {
  requireKcat();
  await admin.connect();
  await ensureTopics(admin, cfg);
  await producer.connect();
});
afterAll(async () => {
  await producer.disconnect();
  await admin.disconnect();
});

it('kafkajs writes snappy, lz4 and zstd batches that the broker accepts and librdkafka decodes', async () => {
  const topic = cfg.kafka.topics.activities;
  const expected: string[] = [];
  for (const [name, compression] of [['snappy', CompressionTypes.Snappy], ['lz4', CompressionTypes.LZ4], ['zstd', CompressionTypes.ZSTD]] as const) {
    // Over 32 KiB per batch, so snappy's xerial framing has several chunks.
    const values = Array.from({ length: 20 }, (_, i) => `${name} record ${i} ${'compressible text '.repeat(150)}`);
    await producer.send({ topic, acks: -1, compression, messages: values.map((value) => ({ key: 'k', value, partition: 0 })) });
    expected.push(...values);
  }
  const got = await waitFor('kcat to read every record', async () => {
    const values = await kcatConsume(topic, 0, expected.length);
    return values.length === expected.length ? values : null;
  });
  expect(got).toEqual(expected);
});
