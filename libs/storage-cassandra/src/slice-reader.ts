import { bucketsDescending, FeedPosition, MAX_FUTURE_SKEW_MS } from '@app/domain';
import { FeedRef, SlicePage } from '@app/feeds';
import { Client, types } from 'cassandra-driver';

export interface BucketedFeed {
  readonly bucketMs: number;
  /** Binds: partition key, bucket, before.published, before.id, floor, limit. */
  readonly sliceBefore: string;
  /** Binds: partition key, bucket, floor, limit. */
  readonly sliceAll: string;
  readonly toRef: (row: types.Row, key: string) => FeedRef;
}

/** Upper bound on buckets read concurrently in one wave while skipping empty buckets. */
export const MAX_BUCKET_WAVE = 8;

/**
 * Reads one page of a time-bucketed feed newest first: rows strictly older than `before` (or from
 * now + the allowed future skew when null) and not older than `floorMs`.
 *
 * Buckets are read in waves. A wave starts with one bucket; while buckets come back empty the next
 * wave doubles (up to MAX_BUCKET_WAVE buckets, read concurrently), and any wave that finds rows resets
 * it to one. Each bucket query asks for the rows still missing plus one, so a bucket holding more
 * than needed proves the page is not the last. The walk stops as soon as `limit` rows are found.
 *
 * Cost: statements ≤ number of buckets between the start and the floor (home: window weeks + 1; user
 * feed: retention / 30 days + 1); sequential round trips ≤ that count and, across a run of empty
 * buckets, about log2 of it. `exhausted` is true only when every bucket down to the floor was read
 * and yielded no row beyond the page; a page that fills exactly at a bucket boundary with older
 * buckets unread reports false (the next read then returns an empty, exhausted page).
 */
export async function readBucketed(
  client: Client,
  feed: BucketedFeed,
  key: string,
  before: FeedPosition | null,
  floorMs: number,
  limit: number,
  nowMs: number = Date.now(),
): Promise<SlicePage> {
  if (limit <= 0) return { rows: [], exhausted: false };
  const startMs = before ? before.ms : nowMs + MAX_FUTURE_SKEW_MS;
  const buckets = startMs >= floorMs ? bucketsDescending(startMs, floorMs, feed.bucketMs) : [];
  const floor = new Date(floorMs);
  const rows: FeedRef[] = [];
  let next = 0;
  let wave = 1;
  while (next < buckets.length && rows.length < limit) {
    const slice = buckets.slice(next, next + wave);
    const want = limit + 1 - rows.length;
    const results = await Promise.all(
      slice.map((bucket, i) =>
        // Only the bucket holding `before` needs the tuple bound; older buckets lie wholly below it.
        before && next === 0 && i === 0
          ? client.execute(feed.sliceBefore, [key, bucket, new Date(before.ms), before.id, floor, want], { prepare: true })
          : client.execute(feed.sliceAll, [key, bucket, floor, want], { prepare: true }),
      ),
    );
    let found = 0;
    for (const rs of results) {
      for (const row of rs.rows) rows.push(feed.toRef(row, key));
      found += rs.rowLength;
    }
    next += slice.length;
    wave = found > 0 ? 1 : Math.min(wave * 2, MAX_BUCKET_WAVE);
  }
  const exhausted = rows.length <= limit && next >= buckets.length;
  return { rows: rows.slice(0, limit), exhausted };
}
