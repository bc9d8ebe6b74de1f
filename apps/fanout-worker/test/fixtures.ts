import { Client } from 'cassandra-driver';
import { Admin, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { AppConfig } from '@app/config';
import { bucketOf, HOME_BUCKET_MS, USER_FEED_BUCKET_MS } from '@app/domain';
import { createCassandraClient, createCassandraStores, CassandraStores } from '@app/storage-cassandra';

/** Real Cassandra and Kafka handles for a test file (never mocks). */
export interface Fixtures {
  readonly cfg: AppConfig;
  readonly client: Client;
  readonly stores: CassandraStores;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  produce(topic: string, key: string | null, value: string | Buffer | null, timestampMs?: number): Promise<{ partition: number; offset: string }>;
  /** Rows of `user`'s home timeline for activity `id` in the bucket of `publishedMs`. */
  homeRows(user: string, publishedMs: number, id: string): Promise<number>;
  userFeedRows(actor: string, publishedMs: number, id: string): Promise<number>;
  close(): Promise<void>;
}

export async function openFixtures(cfg: AppConfig): Promise<Fixtures> {
  const client = createCassandraClient(cfg.cassandra);
  await client.connect();
  const kafka = new Kafka({ clientId: 'test', brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  // Counts every row of the partition carrying `id`, so a duplicate under another published time shows.
  const count = async (cql: string, params: unknown[], id: string): Promise<number> =>
    (await client.execute(cql, params, { prepare: true, fetchSize: 5000 })).rows.filter((r) => r.get('id') === id).length;
  return {
    cfg,
    client,
    stores: createCassandraStores(client, cfg),
    kafka,
    admin,
    producer,
    produce: async (topic, key, value, timestampMs) => {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value, ...(timestampMs !== undefined ? { timestamp: String(timestampMs) } : {}) }] });
      if (!meta || meta.baseOffset === undefined) throw new Error('no produce metadata');
      return { partition: meta.partition, offset: meta.baseOffset };
    },
    homeRows: (user, ms, id) => count('SELECT id FROM home_timeline WHERE user_id = ? AND bucket = ?', [user, bucketOf(ms, HOME_BUCKET_MS)], id),
    userFeedRows: (actor, ms, id) => count('SELECT id FROM user_feed WHERE actor = ? AND bucket = ?', [actor, bucketOf(ms, USER_FEED_BUCKET_MS)], id),
    close: async () => {
      await producer.disconnect();
      await admin.disconnect();
      await client.shutdown();
    },
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(runners);
}
