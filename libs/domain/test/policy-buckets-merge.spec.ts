import { TEST_POLICY } from '@app/testing';
import { bucketOf, bucketsDescending, HOME_BUCKET_MS } from '../src/buckets';
import { mergeNewestFirst } from '../src/merge';
import { DAY_MS, FeedPolicy, isHighFollower, isInactive, retentionFloorMs, ttlSecondsUntil, windowFloorMs } from '../src/policy';

const policy: FeedPolicy = TEST_POLICY;
const NOW = Date.UTC(2024, 5, 1, 12);

describe('ttlSecondsUntil', () => {
  it('is the remaining life in whole seconds, rounded up', () => {
    expect(ttlSecondsUntil(NOW, 1, NOW)).toBe(86_400);
    expect(ttlSecondsUntil(NOW - DAY_MS + 1500, 1, NOW)).toBe(2);
    expect(ttlSecondsUntil(NOW - DAY_MS + 1, 1, NOW)).toBe(1);
  });
  it('is 0 once the row is at or past its life', () => {
    expect(ttlSecondsUntil(NOW - DAY_MS, 1, NOW)).toBe(0);
    expect(ttlSecondsUntil(NOW - 400 * DAY_MS, 365, NOW)).toBe(0);
  });
  it('grows for future-published rows', () => {
    expect(ttlSecondsUntil(NOW + 60_000, 1, NOW)).toBe(86_460);
  });
});

describe('isInactive', () => {
  it('treats a reader who never read as inactive', () => {
    expect(isInactive(policy, null, NOW)).toBe(true);
  });
  it('is inactive from inactiveAfterDays on, active before', () => {
    expect(isInactive(policy, NOW, NOW)).toBe(false);
    expect(isInactive(policy, NOW - 30 * DAY_MS + 1, NOW)).toBe(false);
    expect(isInactive(policy, NOW - 30 * DAY_MS, NOW)).toBe(true);
    expect(isInactive(policy, 0, NOW)).toBe(true);
  });
});

describe('isHighFollower', () => {
  it('is true at and above the threshold', () => {
    expect(isHighFollower(policy, 99)).toBe(false);
    expect(isHighFollower(policy, 100)).toBe(true);
    expect(isHighFollower(policy, 1_000_000)).toBe(true);
  });
});

describe('floors', () => {
  it('retention and window floors are days before now', () => {
    expect(retentionFloorMs(policy, NOW)).toBe(NOW - 365 * DAY_MS);
    expect(windowFloorMs(policy, NOW)).toBe(NOW - 14 * DAY_MS);
  });
});

describe('bucketsDescending', () => {
  it('lists buckets from the newest down to the floor inclusive', () => {
    const from = 10 * HOME_BUCKET_MS + 5;
    const floor = 7 * HOME_BUCKET_MS + HOME_BUCKET_MS - 1;
    expect(bucketsDescending(from, floor, HOME_BUCKET_MS)).toEqual([10, 9, 8, 7]);
  });
  it('is a single bucket when from and floor share it, empty when floor is newer', () => {
    expect(bucketsDescending(5 * HOME_BUCKET_MS + 10, 5 * HOME_BUCKET_MS, HOME_BUCKET_MS)).toEqual([5]);
    expect(bucketsDescending(5 * HOME_BUCKET_MS, 6 * HOME_BUCKET_MS, HOME_BUCKET_MS)).toEqual([]);
  });
  it('covers every bucket that holds a time between floor and from', () => {
    const size = 1000;
    for (const [from, floor] of [[12_345, 3_001], [999, 0], [5_000, 4_999]] as const) {
      const buckets = bucketsDescending(from, floor, size);
      for (let t = floor; t <= from; t += 7) expect(buckets).toContain(bucketOf(t, size));
      expect(buckets).toEqual([...buckets].sort((a, b) => b - a));
    }
  });
});

describe('mergeNewestFirst', () => {
  const p = (ms: number, id: string, src = ''): { ms: number; id: string; src: string } => ({ ms, id, src });

  it('merges sorted lists newest first without duplicates', () => {
    const a = [p(9, 'I'), p(7, 'G'), p(3, 'C')];
    const b = [p(8, 'H'), p(7, 'G', 'b'), p(1, 'A')];
    const c = [p(9, 'J'), p(3, 'C', 'c')];
    expect(mergeNewestFirst([a, b, c], 100).map((x) => x.id)).toEqual(['J', 'I', 'H', 'G', 'C', 'A']);
  });
  it('stops at the limit', () => {
    expect(mergeNewestFirst([[p(3, 'C'), p(1, 'A')], [p(2, 'B')]], 2).map((x) => x.id)).toEqual(['C', 'B']);
  });
  it('handles empty input', () => {
    expect(mergeNewestFirst([[], []], 5)).toEqual([]);
  });
});
