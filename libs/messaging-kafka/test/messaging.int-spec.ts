import { Kafka, logLevel } from 'kafkajs';
import { Activity, toIso } from '@app/domain';
import { isTransientError } from '@app/feeds';
import { testConfig, uniqueTag, waitFor } from '@app/testing';
import {
  createKafka,
  ensureTopics,
  KafkaEventPublisher,
  KafkaHealth,
  parseActivityRecord,
  parseGraphRecord,
  RecordMeta,
  SafeProducer,
} from '@app/messaging-kafka';

/** Publishers against the real Kafka: what they write is exactly what the worker's parsers accept. */
jest.setTimeout(60_000);

const tag = uniqueTag('mk');
const cfg = testConfig(tag);
const kafka = new Kafka({ clientId: 'mk-test', brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();

beforeAll(async () => {
  await admin.connect();
  await ensureTopics(admin, cfg);
  await ensureTopics(admin, cfg); // idempotent
});
afterAll(async () => {
  await admin.disconnect();
});

it('publishes activities, deletes and graph changes in the contract format', async () => {
  const producer = new SafeProducer(createKafka(cfg, 'mk-pub'), { idempotent: true, maxInFlightRequests: 1 }, 'durable', 10_000);
  const publisher = new KafkaEventPublisher(producer, cfg.kafka.topics);
  const actor = `${tag}_alice`;
  const published = toIso(Math.floor(Date.now() / 1000) * 1000);
  const activity: Activity = { id: `${tag}-act1`, actor, type: 'post', object: 'note:1', published, to: [`${tag}_bob`], foreignId: 'f1', extra: { a: 1 } };
  const acceptedMs = Date.now() - 1000;
  await publisher.publishActivity(activity, acceptedMs);
  await publisher.publishDelete(activity.id, actor, acceptedMs + 500);
  await publisher.publishGraphChange({ op: 'follow', user: actor, target: `${tag}_bob`, atMs: acceptedMs });
  await producer.disconnect();

  const got: { topic: string; key: string; value: Buffer | null; meta: RecordMeta }[] = [];
  const consumer = kafka.consumer({ groupId: `${tag}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topics: [cfg.kafka.topics.activities, cfg.kafka.topics.follows], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      got.push({
        topic,
        key: message.key?.toString() ?? '',
        value: message.value,
        meta: { topic, partition, offset: message.offset, timestampMs: Number(message.timestamp), nowMs: Date.now(), maxBytes: cfg.kafka.maxRecordBytes },
      });
    },
  });
  try {
    await waitFor('three records', () => got.length >= 3);
  } finally {
    await consumer.disconnect();
  }
  const acts = got.filter((g) => g.topic === cfg.kafka.topics.activities);
  expect(acts.map((a) => a.key)).toEqual([actor, actor]);
  const [create, del] = acts.map((a) => parseActivityRecord(a.value, a.meta, cfg.policy));
  // The API's records always carry `published`: the worker never re-identifies them by foreignId.
  expect(create).toEqual({ kind: 'create', activity, acceptedMs, byForeignId: false });
  expect(del).toEqual({ kind: 'delete', id: activity.id, actor, atMs: acceptedMs + 500 });
  const graph = got.find((g) => g.topic === cfg.kafka.topics.follows);
  expect(graph?.key).toBe(actor);
  expect(parseGraphRecord(graph?.value ?? null, graph!.meta)).toEqual({ op: 'follow', user: actor, target: `${tag}_bob`, atMs: acceptedMs });
});

it('fails fast with a transient error when Kafka is unreachable, and the health probe says so', async () => {
  const dead = testConfig(tag, { KAFKA_BROKERS: '127.0.0.1:1' });
  const fast = createKafka(dead, 'dead', 'fail-fast');
  const producer = new SafeProducer(fast, { retry: { retries: 1 } }, 'durable', 5_000);
  const started = Date.now();
  const err = await producer.send({ topic: cfg.kafka.topics.activities, messages: [{ value: 'x' }] }).catch((e: unknown) => e);
  expect(Date.now() - started).toBeLessThan(7_000);
  expect(isTransientError(err)).toBe(true);
  await producer.disconnect();

  const deadHealth = new KafkaHealth(fast, cfg.kafka.topics.activities, 2_000);
  await expect(deadHealth.ping()).rejects.toThrow();
  const health = new KafkaHealth(createKafka(cfg, 'health', 'fail-fast'), cfg.kafka.topics.activities);
  await expect(health.ping()).resolves.toBeUndefined();
  await health.close();
});
