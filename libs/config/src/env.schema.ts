// Decorator metadata (design:type drives the string -> number conversion) needs reflect-metadata loaded first.
import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const toBool = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? ({ true: true, false: false, '1': true, '0': false } as Record<string, boolean>)[value.toLowerCase()] ?? value : value;

const HOST_PORT_LIST = /^[A-Za-z0-9_.-]+(:\d{1,5})?(,[A-Za-z0-9_.-]+(:\d{1,5})?)*$/;

/**
 * Every environment variable either app reads (docs/api.md §4). Values are validated once at start;
 * an invalid value stops the process with a message naming the variable.
 */
export class Env {
  @IsInt() @Min(1) @Max(65535) PORT: number = 3000;
  @IsOptional() @IsString() @MinLength(16, { message: 'AUTH_JWT_SECRET must be at least 16 characters' })
  AUTH_JWT_SECRET?: string;
  @IsString() @Matches(HOST_PORT_LIST, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS: string = '127.0.0.1:9092';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) KAFKA_CLIENT_ID: string = 'tideline';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) KAFKA_GROUP_ID: string = 'tideline-fanout';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) KAFKA_TOPIC_ACTIVITIES: string = 'activities';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) KAFKA_TOPIC_FOLLOWS: string = 'follows';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) KAFKA_TOPIC_DLQ: string = 'activities.dlq';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) KAFKA_TOPIC_FANOUT: string = 'tideline.fanout';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) KAFKA_TOPIC_LIVE: string = 'tideline.live';
  @IsInt() @Min(1) @Max(1000) KAFKA_PARTITIONS: number = 6;
  @IsInt() @Min(1) @Max(7) KAFKA_REPLICATION_FACTOR: number = 1;
  @IsInt() @Min(1024) @Max(10 * 1024 * 1024) KAFKA_MAX_RECORD_BYTES: number = 64 * 1024;
  @IsString() @Matches(HOST_PORT_LIST, { message: 'CASSANDRA_CONTACT_POINTS must be host[:port][,host[:port]...]' })
  CASSANDRA_CONTACT_POINTS: string = '127.0.0.1:9042';
  @IsString() @MinLength(1) CASSANDRA_LOCAL_DC: string = 'datacenter1';
  @IsString() @Matches(/^[a-z][a-z0-9_]{0,47}$/, { message: 'CASSANDRA_KEYSPACE must be a lower-case CQL identifier' })
  CASSANDRA_KEYSPACE: string = 'tideline';
  /** `SimpleStrategy:1` or `NetworkTopologyStrategy:dc1=3,dc2=3`. */
  @IsString() @Matches(/^(SimpleStrategy:\d+|NetworkTopologyStrategy:[A-Za-z0-9_-]+=\d+(,[A-Za-z0-9_-]+=\d+)*)$/, {
    message: 'CASSANDRA_REPLICATION must be SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>[,...]',
  })
  CASSANDRA_REPLICATION: string = 'SimpleStrategy:1';
  @IsInt() @Min(100) @Max(120000) CASSANDRA_REQUEST_TIMEOUT_MS: number = 5000;
  @Transform(toBool) @IsBoolean() MIGRATE_ON_START: boolean = true;
  @IsInt() @Min(1) @Max(3650) FEED_RETENTION_DAYS: number = 365;
  @IsInt() @Min(1) @Max(365) HOME_WINDOW_DAYS: number = 14;
  @IsInt() @Min(2) FANOUT_HIGH_FOLLOWER_THRESHOLD: number = 10_000;
  @IsInt() @Min(1) @Max(3650) FANOUT_INACTIVE_DAYS: number = 30;
  @IsInt() @Min(0) @Max(10_000) FOLLOW_BACKFILL_LIMIT: number = 100;
  @IsInt() @Min(1) @Max(100_000) FANOUT_CHUNK_SIZE: number = 1000;
  @IsInt() @Min(1) @Max(2048) FANOUT_CONCURRENCY: number = 64;
  @IsInt() @Min(0) @Max(65535) WORKER_HTTP_PORT: number = 9464;
  /** Worker: partitions consumed at once, and keys (lanes) run at once within a partition batch. */
  @IsInt() @Min(1) @Max(64) WORKER_PARTITIONS_CONCURRENTLY: number = 3;
  @IsInt() @Min(1) @Max(256) WORKER_LANES: number = 8;
  /** Worker: fanout chunks applied at once per partition (each runs FANOUT_CONCURRENCY writes). */
  @IsInt() @Min(1) @Max(64) WORKER_CHUNK_LANES: number = 2;
  /**
   * Worker: Cassandra rows fanout may have in flight at once, shared by every activity and chunk being
   * delivered; each slice of FANOUT_CONCURRENCY followers holds that many.
   */
  @IsInt() @Min(1) @Max(100_000) WORKER_STATEMENT_BUDGET: number = 256;
  /** API: hydration cache of activities (entries live at most the TTL; deletes invalidate at once). */
  @IsInt() @Min(0) @Max(60_000) READ_CACHE_TTL_MS: number = 5_000;
  @IsInt() @Min(0) @Max(1_000_000) READ_CACHE_ENTRIES: number = 10_000;
  /**
   * API: reader context (reader state, following, mutes, pulled authors) cached per reader; graph changes
   * drop it at once through the live topic, the TTL bounds staleness if that event is lost. The ids held
   * across all cached readers are capped (about 50 bytes each).
   */
  @IsInt() @Min(0) @Max(60_000) READ_CONTEXT_TTL_MS: number = 5_000;
  @IsInt() @Min(0) @Max(100_000_000) READ_CONTEXT_MAX_IDS: number = 1_000_000;
  /**
   * API: how often an open stream re-reads its reader's mutes and pulled authors (graph changes of the reader
   * refresh it at once through the live topic; this bounds staleness if that event is lost).
   */
  @IsInt() @Min(1_000) @Max(600_000) LIVE_REFRESH_MS: number = 30_000;
  /**
   * Worker: how long a "pulled" decision per author is trusted before the flag is read again. `tideline demote`
   * waits this long (plus a second) before it backfills, so no worker still skips the author's fanout.
   */
  @IsInt() @Min(0) @Max(600_000) FANOUT_PULL_DECISION_CACHE_MS: number = 30_000;
  /** API: a pulled (high-follower) author's newest rows, shared by every reader for this long. */
  @IsInt() @Min(0) @Max(60_000) READ_PULLED_CACHE_MS: number = 1_000;
  /**
   * Recent deletes readers hide before the removal fanout reaches every home: markers are kept this many
   * hours (longer than any removal may take), polled this often, and held up to this many per API instance
   * (beyond it the API verifies every row against the activities table instead).
   */
  @IsInt() @Min(1) @Max(24 * 30) DELETE_MARKER_HOURS: number = 24;
  @IsInt() @Min(100) @Max(60_000) DELETE_MARKER_POLL_MS: number = 1_000;
  @IsInt() @Min(1_000) @Max(10_000_000) DELETE_MARKERS_MAX: number = 500_000;
  /** API: source reads in flight while merging many authors' feeds, and followee copies in flight in a rebuild. */
  @IsInt() @Min(1) @Max(1024) READ_FAN_IN_CONCURRENCY: number = 32;
  @IsInt() @Min(1) @Max(1024) REBUILD_CONCURRENCY: number = 16;
  @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_PER_MINUTE: number = 1200;
  /** Accounts one user may follow (docs/api.md); bounds the cost of every home page. */
  @IsInt() @Min(1) @Max(100_000) FOLLOW_LIMIT: number = 5000;
  /** Open SSE streams per user per API instance (docs/api.md). */
  @IsInt() @Min(1) @Max(1000) STREAMS_PER_USER: number = 5;
  /** A stream is ended after this long (±10 %), so connections spread over instances again; clients resume (docs/api.md §2.5). */
  @IsInt() @Min(1) @Max(86_400) STREAM_MAX_SECONDS: number = 3600;
  /** Browser origins allowed to call the API: `*`, a comma-separated list of origins, or `none` (CORS off). */
  @IsString() @Matches(/^(\*|none|https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*)?$/, { message: 'CORS_ORIGINS must be *, none, or origins like https://app.example.com separated by commas' })
  CORS_ORIGINS: string = '*';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL: string = 'info';
  /** `json`: one JSON line per event (production); `pretty`: short coloured lines, successful requests only at debug. */
  @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' }) LOG_FORMAT: string = 'json';
  /** Only `production` changes anything: DEV_TOKENS is then refused. */
  @IsOptional() @IsString() NODE_ENV?: string;
  /** API: serve POST /dev/tokens (mints tokens for anyone, admin included). Development only. */
  // From the raw text, not the implicitly converted value (which makes any non-empty string true): only
  // true/false/1/0 are accepted, so a typo such as DEV_TOKENS=no stops the process instead of enabling it.
  @Transform(({ obj }: { obj: Record<string, unknown> }) => (obj['DEV_TOKENS'] === undefined ? false : toBool({ value: obj['DEV_TOKENS'] })))
  @IsBoolean({ message: 'DEV_TOKENS must be true, false, 1 or 0' })
  DEV_TOKENS: boolean = false;
  /** API: the worker /metrics URLs GET /v1/ops/overview scrapes; unset = the local worker on WORKER_HTTP_PORT. */
  @IsOptional() @IsString() @Matches(/^https?:\/\/[^,\s]+(,\s*https?:\/\/[^,\s]+)*$/, { message: 'OPS_WORKER_METRICS_URLS must be http(s):// URLs separated by commas' })
  OPS_WORKER_METRICS_URLS?: string;
  /** API: the built web console served at /console/ (default: dist/console of the checkout or image). */
  @IsOptional() @IsString() CONSOLE_DIR?: string;
}

/** Variables whose values never appear in an error message. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['AUTH_JWT_SECRET']);

/** Validates raw environment values; throws one Error listing every bad variable by name. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(Env, cleaned, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      // Secrets are named, never echoed: the message ends up in logs and CI output.
      const value = SECRET_VARIABLES.has(e.property) ? '(value hidden)' : JSON.stringify(cleaned[e.property]);
      const why = Object.values(e.constraints ?? {}).join('; ');
      return `  ${e.property}=${value}: ${why}`;
    });
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return env;
}
