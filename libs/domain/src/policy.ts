/**
 * The fanout/read policy as data (validated config fills it in). Every rule that decides between push
 * and pull lives here as a pure function so the worker and the read path cannot disagree.
 */
export interface FeedPolicy {
  /** Activities older than this are no longer "existing" (docs/api.md §1.4). */
  readonly retentionDays: number;
  /** Home timelines are materialised for this many days; older pages are pulled from authors' feeds. */
  readonly homeWindowDays: number;
  /** Authors with at least this many followers are not fanned out; readers pull them. */
  readonly highFollowerThreshold: number;
  /** Readers who have not read their home feed for this many days are skipped by fanout. */
  readonly inactiveAfterDays: number;
  /** How many of the followee's newest activities a follow copies into the home timeline. */
  readonly followBackfillLimit: number;
  /** Followers per fanout chunk (one chunk = one internal Kafka record). */
  readonly chunkSize: number;
  /** In-flight Cassandra statements per worker during a chunk. */
  readonly concurrency: number;
}

export const DAY_MS = 86_400_000;

export const retentionFloorMs = (p: FeedPolicy, nowMs: number): number => nowMs - p.retentionDays * DAY_MS;
export const windowFloorMs = (p: FeedPolicy, nowMs: number): number => nowMs - p.homeWindowDays * DAY_MS;

/**
 * TTL for a row that should live until `publishedMs + days`. Returns 0 when the row is already past
 * its life and must not be written at all (writing it would only create an instantly-expired cell).
 */
export function ttlSecondsUntil(publishedMs: number, days: number, nowMs: number): number {
  const remaining = publishedMs + days * DAY_MS - nowMs;
  return remaining <= 0 ? 0 : Math.max(1, Math.ceil(remaining / 1000));
}

/**
 * Home timeline rows outlive the window by this much. The TTL is computed on the writer's clock and a
 * page's window floor on the reader's: without slack, clock skew and TTL rounding let a row at the
 * window's edge expire before the reader's floor passes it, and the item would be in neither region
 * (materialised above the floor, pulled below it). Reads are bounded by the floor, so the extra life
 * costs no reads.
 */
export const HOME_TTL_SLACK_SECONDS = 3_600;

/** TTL of a home timeline row for an activity published at `publishedMs`; 0 = past the window, do not write. */
export function homeTtlSeconds(p: FeedPolicy, publishedMs: number, nowMs: number): number {
  const ttl = ttlSecondsUntil(publishedMs, p.homeWindowDays, nowMs);
  return ttl === 0 ? 0 : ttl + HOME_TTL_SLACK_SECONDS;
}

export const isInactive = (p: FeedPolicy, lastReadMs: number | null, nowMs: number): boolean =>
  lastReadMs === null || nowMs - lastReadMs >= p.inactiveAfterDays * DAY_MS;

export const isHighFollower = (p: FeedPolicy, followerCount: number): boolean =>
  followerCount >= p.highFollowerThreshold;

/** A recent-delete marker outlives the span readers keep (DELETE_MARKER_HOURS) by an hour. */
export const deleteMarkerTtlSeconds = (markerHours: number): number => (markerHours + 1) * 3_600;
