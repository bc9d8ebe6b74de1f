import { FeedPolicy } from '@app/domain';
import { Env, validateEnv } from './env.schema';

export interface AppConfig {
  readonly port: number;
  readonly workerHttpPort: number;
  readonly jwtSecret: string | undefined;
  readonly logLevel: string;
  readonly logFormat: 'json' | 'pretty';
  /** POST /dev/tokens is served (never with NODE_ENV=production; see requireSafeDevTokens). */
  readonly devTokens: boolean;
  readonly production: boolean;
  /** Worker metrics endpoints scraped by GET /v1/ops/overview. */
  readonly opsWorkerMetricsUrls: string[];
  /** CONSOLE_DIR, or null for the default (dist/console beside the build). */
  readonly consoleDir: string | null;
  readonly rateLimitPerMinute: number;
  readonly followLimit: number;
  readonly streamsPerUser: number;
  /** Longest life of one SSE stream, in ms (a random 0-10 % is taken off each). */
  readonly streamMaxMs: number;
  /** `true` = any origin, a list = those origins, `false` = CORS off. */
  readonly corsOrigins: boolean | string[];
  readonly kafka: {
    readonly brokers: string[];
    readonly clientId: string;
    readonly groupId: string;
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly maxRecordBytes: number;
    readonly topics: { readonly activities: string; readonly follows: string; readonly dlq: string; readonly fanout: string; readonly live: string };
  };
  readonly cassandra: {
    readonly contactPoints: string[];
    readonly localDc: string;
    readonly keyspace: string;
    readonly replication: Record<string, string | number>;
    readonly requestTimeoutMs: number;
    readonly migrateOnStart: boolean;
  };
  readonly policy: FeedPolicy;
  /** Concurrency and cache sizes: they change speed and memory, never results. */
  readonly tuning: {
    readonly workerPartitionsConcurrently: number;
    readonly workerLanes: number;
    readonly workerChunkLanes: number;
    readonly workerStatementBudget: number;
    readonly readCacheTtlMs: number;
    readonly readCacheEntries: number;
    readonly readFanInConcurrency: number;
    readonly rebuildConcurrency: number;
    readonly readContextTtlMs: number;
    readonly readContextMaxIds: number;
    readonly liveRefreshMs: number;
    readonly readPulledCacheMs: number;
    readonly pullDecisionCacheMs: number;
    readonly deleteMarkerHours: number;
    readonly deleteMarkerPollMs: number;
    readonly deleteMarkersMax: number;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

function replicationOf(spec: string): Record<string, string | number> {
  const [strategy, rest = ''] = spec.split(':');
  if (strategy === 'SimpleStrategy') return { class: 'SimpleStrategy', replication_factor: Number(rest) };
  const dcs = Object.fromEntries(list(rest).map((kv) => { const [dc, rf] = kv.split('='); return [dc ?? '', Number(rf)]; }));
  return { class: 'NetworkTopologyStrategy', ...dcs };
}

/** Logging, development tokens and the ops overview's scrape targets. */
function developmentAndOps(env: Env): Pick<AppConfig, 'logLevel' | 'logFormat' | 'devTokens' | 'production' | 'opsWorkerMetricsUrls' | 'consoleDir'> {
  return {
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json',
    devTokens: env.DEV_TOKENS,
    production: env.NODE_ENV === 'production',
    opsWorkerMetricsUrls: env.OPS_WORKER_METRICS_URLS ? list(env.OPS_WORKER_METRICS_URLS) : [`http://127.0.0.1:${env.WORKER_HTTP_PORT}/metrics`],
    consoleDir: env.CONSOLE_DIR ? env.CONSOLE_DIR : null,
  };
}

/** What the API's edge bounds per caller and connection. */
function edgeLimits(env: Env): Pick<AppConfig, 'rateLimitPerMinute' | 'followLimit' | 'streamsPerUser' | 'streamMaxMs' | 'corsOrigins'> {
  return {
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    followLimit: env.FOLLOW_LIMIT,
    streamsPerUser: env.STREAMS_PER_USER,
    streamMaxMs: env.STREAM_MAX_SECONDS * 1000,
    corsOrigins: env.CORS_ORIGINS === '*' ? true : env.CORS_ORIGINS === 'none' ? false : list(env.CORS_ORIGINS),
  };
}

/** Flat env → the typed, nested object both apps inject. */
export function toAppConfig(env: Env): AppConfig {
  return {
    port: env.PORT,
    workerHttpPort: env.WORKER_HTTP_PORT,
    jwtSecret: env.AUTH_JWT_SECRET,
    ...developmentAndOps(env),
    ...edgeLimits(env),
    kafka: {
      brokers: list(env.KAFKA_BROKERS),
      clientId: env.KAFKA_CLIENT_ID,
      groupId: env.KAFKA_GROUP_ID,
      partitions: env.KAFKA_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      maxRecordBytes: env.KAFKA_MAX_RECORD_BYTES,
      topics: {
        activities: env.KAFKA_TOPIC_ACTIVITIES,
        follows: env.KAFKA_TOPIC_FOLLOWS,
        dlq: env.KAFKA_TOPIC_DLQ,
        fanout: env.KAFKA_TOPIC_FANOUT,
        live: env.KAFKA_TOPIC_LIVE,
      },
    },
    cassandra: {
      contactPoints: list(env.CASSANDRA_CONTACT_POINTS),
      localDc: env.CASSANDRA_LOCAL_DC,
      keyspace: env.CASSANDRA_KEYSPACE,
      replication: replicationOf(env.CASSANDRA_REPLICATION),
      requestTimeoutMs: env.CASSANDRA_REQUEST_TIMEOUT_MS,
      migrateOnStart: env.MIGRATE_ON_START,
    },
    policy: {
      retentionDays: env.FEED_RETENTION_DAYS,
      homeWindowDays: Math.min(env.HOME_WINDOW_DAYS, env.FEED_RETENTION_DAYS),
      highFollowerThreshold: env.FANOUT_HIGH_FOLLOWER_THRESHOLD,
      inactiveAfterDays: env.FANOUT_INACTIVE_DAYS,
      followBackfillLimit: env.FOLLOW_BACKFILL_LIMIT,
      chunkSize: env.FANOUT_CHUNK_SIZE,
      concurrency: env.FANOUT_CONCURRENCY,
    },
    tuning: {
      workerPartitionsConcurrently: env.WORKER_PARTITIONS_CONCURRENTLY,
      workerLanes: env.WORKER_LANES,
      workerChunkLanes: env.WORKER_CHUNK_LANES,
      workerStatementBudget: env.WORKER_STATEMENT_BUDGET,
      readCacheTtlMs: env.READ_CACHE_TTL_MS,
      readCacheEntries: env.READ_CACHE_ENTRIES,
      readFanInConcurrency: env.READ_FAN_IN_CONCURRENCY,
      rebuildConcurrency: env.REBUILD_CONCURRENCY,
      readContextTtlMs: env.READ_CONTEXT_TTL_MS,
      readContextMaxIds: env.READ_CONTEXT_MAX_IDS,
      liveRefreshMs: env.LIVE_REFRESH_MS,
      readPulledCacheMs: env.READ_PULLED_CACHE_MS,
      pullDecisionCacheMs: env.FANOUT_PULL_DECISION_CACHE_MS,
      deleteMarkerHours: env.DELETE_MARKER_HOURS,
      deleteMarkerPollMs: env.DELETE_MARKER_POLL_MS,
      deleteMarkersMax: env.DELETE_MARKERS_MAX,
    },
  };
}

let fromEnv: AppConfig | null = null;

/** The process's configuration: process.env validated on first use, then the same object every time. */
export function configFromEnv(): AppConfig {
  fromEnv ??= toAppConfig(validateEnv(process.env));
  return fromEnv;
}

/** The API cannot run without a token secret; the worker can (it issues and checks no tokens). */
export function requireJwtSecret(cfg: AppConfig): string {
  if (!cfg.jwtSecret) throw new Error('Invalid configuration:\n  AUTH_JWT_SECRET is required by the API (HS256 secret, at least 16 characters)');
  return cfg.jwtSecret;
}

/** DEV_TOKENS mints admin tokens for anyone: the API refuses to start with it in production. */
export function requireSafeDevTokens(cfg: AppConfig): void {
  if (cfg.devTokens && cfg.production) {
    throw new Error('Invalid configuration:\n  DEV_TOKENS=true is refused when NODE_ENV=production (POST /dev/tokens would mint tokens for anyone)');
  }
}

/** For scripts and tests: the config from process.env plus overrides (validated on every call). */
export const loadAppConfig = (overrides: Record<string, string> = {}): AppConfig =>
  toAppConfig(validateEnv({ ...process.env, ...overrides }));
