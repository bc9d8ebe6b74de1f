/**
 * Time buckets split long-lived feeds into bounded partitions. A bucket is the floor of the epoch
 * millisecond divided by the bucket size; readers walk buckets newest first.
 */
export const HOME_BUCKET_MS = 86_400_000; // 1 day
export const USER_FEED_BUCKET_MS = 30 * 86_400_000; // 30 days

export const bucketOf = (ms: number, size: number): number => Math.floor(ms / size);

/** Buckets from `fromMs` down to `floorMs` (inclusive), newest first. */
export function bucketsDescending(fromMs: number, floorMs: number, size: number): number[] {
  const out: number[] = [];
  for (let b = bucketOf(fromMs, size); b >= bucketOf(floorMs, size); b--) out.push(b);
  return out;
}
