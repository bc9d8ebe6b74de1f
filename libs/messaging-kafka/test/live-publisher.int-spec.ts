import { Kafka, logLevel } from 'kafkajs';
import { Activity, toIso } from '@app/domain';
import { LiveEvent } from '@app/feeds';
import { testConfig, uniqueTag, waitFor } from '@app/testing';
import { createKafka, ensureTopics, KafkaLivePublisher, parseLiveRecord, SafeProducer } from '@app/messaging-kafka';

/** Live updates against the real Kafka: announced together, sent together, each still its own record. */
jest.setTimeout(60_000);

const tag = uniqueTag('lp');
const cfg = testConfig(tag);
const kafka = new Kafka({ clientId: 'lp-test', brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();

beforeAll(async () => {
  await admin.connect();
  await ensureTopics(admin, cfg);
});
afterAll(async () => {
  await admin.disconnect();
});

it('sends the updates of one turn as a few produce requests, every update its own record, none beyond the cap', async () => {
  const producer = new SafeProducer(createKafka(cfg, 'lp-pub'), {}, 'live', 10_000);
  await producer.connect();
  const send = jest.spyOn(producer, 'send');
  const publisher = new KafkaLivePublisher(producer, cfg.kafka.topics.live);
  const activity: Activity = { id: `${tag}-a`, actor: `${tag}_alice`, type: 'post', object: 'note:1', published: toIso(Date.now()) };
  const total = KafkaLivePublisher.MAX_PENDING + 20;
  for (let i = 0; i < total; i++) await publisher.announce({ kind: 'home', op: 'activity', users: [`${tag}_u${i}`], activity });

  const got: LiveEvent[] = [];
  const consumer = kafka.consumer({ groupId: `${tag}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topics: [cfg.kafka.topics.live], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = parseLiveRecord(message.value);
      if (event) got.push(event);
    },
  });
  try {
    await waitFor('every update within the cap', () => got.length >= KafkaLivePublisher.MAX_PENDING);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  expect(send.mock.calls.length).toBe(Math.ceil(KafkaLivePublisher.MAX_PENDING / KafkaLivePublisher.MAX_PER_SEND));
  const users = got.map((e) => (e.kind === 'home' ? e.users[0] : undefined)).sort();
  expect(users).toEqual(Array.from({ length: KafkaLivePublisher.MAX_PENDING }, (_, i) => `${tag}_u${i}`).sort());
  expect(got.every((e) => e.kind === 'home' && e.op === 'activity' && e.activity.id === activity.id)).toBe(true);
});
