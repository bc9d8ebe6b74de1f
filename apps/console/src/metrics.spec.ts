import { buildSeries, Histogram, histogramDelta, quantile, rate, Snapshot, totalLag, trimHistory } from './metrics';

const h = (count: number, buckets: [number, number][], sum = 0): Histogram => ({ count, sum, buckets: buckets.map(([le, c]) => ({ le, count: c })) });

describe('quantile from cumulative buckets', () => {
  const ten = h(10, [[0.01, 0], [0.1, 10], [1, 10]]);

  it('interpolates linearly inside the bucket holding the rank', () => {
    expect(quantile(ten, 0.5)).toBeCloseTo(0.055, 10);
    expect(quantile(ten, 1)).toBeCloseTo(0.1, 10);
    expect(quantile(h(4, [[1, 2], [2, 4]]), 0.25)).toBeCloseTo(0.5, 10);
    expect(quantile(h(4, [[1, 2], [2, 4]]), 0.75)).toBeCloseTo(1.5, 10);
  });

  it('starts the first bucket at 0 and skips empty buckets', () => {
    expect(quantile(h(2, [[0.5, 2]]), 0.5)).toBeCloseTo(0.25, 10);
    expect(quantile(h(2, [[0.5, 0], [1, 0], [2, 2]]), 0)).toBeCloseTo(1, 10);
  });

  it('caps a rank in +Inf at the highest finite bound', () => {
    expect(quantile(h(10, [[0.1, 5], [1, 8]]), 0.99)).toBe(1);
  });

  it('is null without observations or buckets, and clamps q', () => {
    expect(quantile(h(0, [[1, 0]]), 0.5)).toBeNull();
    expect(quantile(h(3, []), 0.5)).toBeNull();
    expect(quantile(ten, 2)).toBeCloseTo(0.1, 10);
    expect(quantile(ten, Number.NaN)).toBeNull();
  });
});

describe('histogram deltas', () => {
  it('subtracts bucket by bucket', () => {
    const d = histogramDelta(h(15, [[0.1, 12], [1, 15]], 3), h(10, [[0.1, 10], [1, 10]], 1));
    expect(d).toEqual(h(5, [[0.1, 2], [1, 5]], 2));
  });

  it('takes the newer snapshot alone after a reset or without a baseline', () => {
    const now = h(3, [[0.1, 3]]);
    expect(histogramDelta(now, h(10, [[0.1, 10]]))).toBe(now);
    expect(histogramDelta(now, undefined)).toBe(now);
  });
});

describe('rates from counters', () => {
  it('divides the increase by the elapsed seconds', () => {
    expect(rate(130, 100, 2)).toBe(15);
    expect(rate(100, 100, 2)).toBe(0);
  });

  it('counts from zero after a reset and is null when no time passed', () => {
    expect(rate(4, 100, 2)).toBe(2);
    expect(rate(4, 1, 0)).toBeNull();
    expect(rate(4, 1, -1)).toBeNull();
  });
});

describe('chart series over snapshots', () => {
  const empty = h(0, [[0.1, 0], [1, 0]]);
  const snap = (t: number, delivered: number, fanout: Histogram, dead = 0): Snapshot => ({
    t,
    lag: [{ topic: 'a', partition: 0, lag: t / 1000 }, { topic: 'a', partition: 1, lag: 1 }],
    delivered,
    deadLettered: dead,
    fanout,
    api: empty,
  });

  it('gives one point per snapshot: rates from neighbours, quantiles over the window, nulls where unknown', () => {
    const s = buildSeries(
      [snap(0, 0, empty), snap(2000, 20, h(10, [[0.1, 10], [1, 10]]), 1), snap(4000, 30, h(10, [[0.1, 10], [1, 10]]), 1)],
      2000,
    );
    expect(s.t).toEqual([0, 2, 4]);
    expect(s.lag).toEqual([1, 3, 5]);
    expect(s.deliveredPerSec).toEqual([null, 10, 5]);
    expect(s.deadPerSec).toEqual([null, 0.5, 0]);
    expect(s.fanoutP50[0]).toBeNull();
    expect(s.fanoutP50[1]).toBeCloseTo(0.05, 10);
    // Nothing observed in the last 2 s: no estimate rather than a stale one.
    expect(s.fanoutP50[2]).toBeNull();
    expect(s.apiP99).toEqual([null, null, null]);
  });

  it('widens the quantile window to cover windowMs', () => {
    const s = buildSeries([snap(0, 0, empty), snap(2000, 0, h(10, [[0.1, 10], [1, 10]])), snap(4000, 0, h(10, [[0.1, 10], [1, 10]]))], 4000);
    expect(s.fanoutP99[2]).toBeCloseTo(0.099, 10);
  });

  it('sums lag and trims old history', () => {
    expect(totalLag([{ topic: 'x', partition: 0, lag: 2 }, { topic: 'y', partition: 3, lag: 5 }])).toBe(7);
    expect(trimHistory([{ t: 0 }, { t: 5 }, { t: 10 }], 5)).toEqual([{ t: 5 }, { t: 10 }]);
    expect(trimHistory([], 5)).toEqual([]);
  });
});
