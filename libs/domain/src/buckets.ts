/**
 * Time buckets split long-lived feeds into bounded partitions. A bucket is the floor of the epoch
 * millisecond divided by the bucket size; readers walk buckets newest first.
 */
/**
 * A week (home layout 2): a first page of a home timeline is one partition read in all but the first hours of
 * a week. A partition holds at most one week of one reader's deliveries (TTL = the home window).
 */
export const HOME_BUCKET_MS = 7 * 86_400_000;
/**
 * The home timeline layout readers' rows are written in: 2 = week buckets, rows carrying the activity
 * (schema 003/004). A reader whose home was materialised under an older layout is rebuilt on its next
 * first page, like a returning reader (their old rows sit in other partitions and expire by TTL).
 */
export const HOME_LAYOUT_VERSION = 2;
export const USER_FEED_BUCKET_MS = 30 * 86_400_000; // 30 days

export const bucketOf = (ms: number, size: number): number => Math.floor(ms / size);

/** Buckets from `fromMs` down to `floorMs` (inclusive), newest first. */
export function bucketsDescending(fromMs: number, floorMs: number, size: number): number[] {
  const out: number[] = [];
  for (let b = bucketOf(fromMs, size); b >= bucketOf(floorMs, size); b--) out.push(b);
  return out;
}
