import { Admin, Kafka, logLevel, Producer } from 'kafkajs';

export interface BenchKafka {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  /** Records not yet committed by `groupId` on `topic` (0 when the topic does not exist yet). */
  lag(topic: string): Promise<number>;
  close(): Promise<void>;
}

export async function connectKafka(brokers: string[], groupId: string): Promise<BenchKafka> {
  const kafka = new Kafka({ clientId: 'tideline-bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await admin.connect();
  await producer.connect();
  return {
    kafka,
    admin,
    producer,
    lag: async (topic) => {
      const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      const done = committed[0]?.partitions ?? [];
      let total = 0;
      for (const e of ends) {
        const c = Number(done.find((p) => p.partition === e.partition)?.offset ?? -1);
        total += Number(e.high) - (c < 0 ? Number(e.low) : c);
      }
      return Math.max(0, total);
    },
    close: async () => {
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
