import { Admin, ITopicConfig, Kafka, logLevel, RetryOptions } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
// Side effect: snappy, lz4 and zstd registered with kafkajs for every client of this process.
import './codecs';

const kjsLog = new Logger('kafkajs');

/**
 * `patient` (worker, default): reconnect for a long time; the consumer retries transient failures anyway.
 * `fail-fast` (API request path, health probes): every kafkajs retry layer is short, so a send fails
 * within a few seconds when Kafka is down instead of hanging (the API then answers 503). The cluster
 * retrier (connect, metadata) and the producer retrier multiply, so both stay small.
 */
export type KafkaProfile = 'patient' | 'fail-fast';

const PROFILES: Record<KafkaProfile, { connectionTimeout: number; requestTimeout: number; retry: RetryOptions }> = {
  patient: { connectionTimeout: 3000, requestTimeout: 10000, retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 } },
  'fail-fast': { connectionTimeout: 1000, requestTimeout: 3000, retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 1 } },
};

/** kafkajs logs through Nest's logger (structured JSON in production) at WARN and above. */
export function createKafka(cfg: AppConfig, clientSuffix: string, profile: KafkaProfile = 'patient'): Kafka {
  return new Kafka({
    clientId: `${cfg.kafka.clientId}-${clientSuffix}`,
    brokers: cfg.kafka.brokers,
    ...PROFILES[profile],
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => {
      const { message, ...extra } = log;
      if (level <= logLevel.ERROR) kjsLog.error({ ...extra }, message);
      else kjsLog.warn({ ...extra }, message);
    },
  });
}

/**
 * max.message.bytes of `activities` and the dead-letter topic: room for a record at the limit and for a dead
 * letter of one over it (original value plus headers), and never under Kafka's usual 1 MiB.
 */
export const recordTopicMaxBytes = (maxRecordBytes: number): number => Math.max(maxRecordBytes * 2, 1024 * 1024);

export function topicSpecs(cfg: AppConfig): ITopicConfig[] {
  const { partitions, replicationFactor, topics, maxRecordBytes } = cfg.kafka;
  const common = { numPartitions: partitions, replicationFactor };
  const maxBytes = String(recordTopicMaxBytes(maxRecordBytes));
  return [
    { topic: topics.activities, ...common, configEntries: [{ name: 'max.message.bytes', value: maxBytes }] },
    { topic: topics.follows, ...common },
    { topic: topics.dlq, ...common, configEntries: [{ name: 'max.message.bytes', value: maxBytes }, { name: 'retention.ms', value: String(30 * 86_400_000) }] },
    // Internal: fanout chunks spread one author's fanout over every worker; more partitions = more spread.
    // Chunks hold up to FANOUT_CHUNK_SIZE user ids (100k ids ≈ 3 MB), so the record limit is raised.
    { topic: topics.fanout, numPartitions: Math.max(partitions, 6), replicationFactor, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] },
    // Internal: live updates for SSE; short retention, nobody replays them.
    { topic: topics.live, numPartitions: Math.max(1, Math.min(partitions, 3)), replicationFactor, configEntries: [{ name: 'retention.ms', value: String(3_600_000) }] },
  ];
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(admin: Admin, cfg: AppConfig): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topicSpecs(cfg).filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (e) {
    // Another process created them concurrently: fine, as long as they exist now.
    const now = new Set(await admin.listTopics());
    if (missing.some((t) => !now.has(t.topic))) throw e;
  }
}
