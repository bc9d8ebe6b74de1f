import { randomBytes } from 'node:crypto';
import { AppConfig, loadAppConfig } from '@app/config';
import { FeedPolicy } from '@app/domain';

/** Keyspace the test tiers use; test/global-setup.ts migrates it once per run. */
export const TEST_KEYSPACE = process.env.TEST_CASSANDRA_KEYSPACE ?? 'tideline_test';

/** A short random tag; prefix user ids with it so tests never see each other's rows. */
export const uniqueTag = (prefix = 't'): string => `${prefix}${randomBytes(4).toString('hex')}`;

/**
 * Configuration for one test file: the shared test keyspace, and topics plus a consumer group of its
 * own (suffix `tag`), so concurrent or earlier test files never feed each other's workers.
 */
export function testEnv(tag: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CASSANDRA_KEYSPACE: TEST_KEYSPACE,
    MIGRATE_ON_START: 'false',
    KAFKA_TOPIC_ACTIVITIES: `activities.${tag}`,
    KAFKA_TOPIC_FOLLOWS: `follows.${tag}`,
    KAFKA_TOPIC_DLQ: `activities.dlq.${tag}`,
    KAFKA_TOPIC_FANOUT: `tideline.fanout.${tag}`,
    KAFKA_TOPIC_LIVE: `tideline.live.${tag}`,
    KAFKA_GROUP_ID: `tideline-fanout.${tag}`,
    KAFKA_PARTITIONS: '3',
    AUTH_JWT_SECRET: 'test-secret-0123456789abcdef',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

export const testConfig = (tag: string, overrides: Record<string, string> = {}): AppConfig => loadAppConfig(testEnv(tag, overrides));

/** A small feed policy for unit tests of pure rules (chunks of 5, threshold 100, 14-day window). */
export const TEST_POLICY: FeedPolicy = {
  retentionDays: 365,
  homeWindowDays: 14,
  highFollowerThreshold: 100,
  inactiveAfterDays: 30,
  followBackfillLimit: 10,
  chunkSize: 5,
  concurrency: 4,
};
