// Pure arithmetic behind the operator view: rates from cumulative counters and quantiles from cumulative
// histogram buckets, over a series of GET /v1/ops/overview snapshots (docs/api.md §2.11). No DOM, no client
// imports: the shapes are structural, so metrics.spec.ts runs under the root jest config.

/** Cumulative count per finite upper bound `le` (ascending); observations above the last bound are count minus it. */
export interface Histogram {
  count: number;
  sum: number;
  buckets: readonly { le: number; count: number }[];
}

export interface Snapshot {
  /** Milliseconds since the epoch (the overview's `at`). */
  t: number;
  lag: readonly { topic: string; partition: number; lag: number }[];
  delivered: number;
  deadLettered: number;
  fanout: Histogram;
  api: Histogram;
}

/**
 * The q-quantile (0..1) of a histogram, as Prometheus' histogram_quantile estimates it: linear interpolation
 * inside the bucket holding rank q·count, from 0 for the first bucket. Null without observations; the highest
 * finite bound when the rank falls into +Inf (the estimate cannot exceed what the buckets know).
 */
export function quantile(h: Histogram, q: number): number | null {
  if (!(h.count > 0) || Number.isNaN(q)) return null;
  const rank = Math.min(1, Math.max(0, q)) * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    // Empty buckets hold no observation, so they never hold the rank (q = 0 lands on the first non-empty one).
    if (b.count > prevCount && b.count >= rank) {
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / (b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return h.buckets.length > 0 ? prevLe : null;
}

/**
 * What was observed between two cumulative snapshots, bucket by bucket. A drop in the total count means a
 * process restarted (its share reset to zero), so `now` alone is the best account of the interval.
 */
export function histogramDelta(now: Histogram, before: Histogram | undefined): Histogram {
  if (!before || now.count < before.count) return now;
  const prior = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    count: now.count - before.count,
    sum: Math.max(0, now.sum - before.sum),
    buckets: now.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (prior.get(b.le) ?? 0)) })),
  };
}

/**
 * Per-second rate of a cumulative counter between two readings `seconds` apart. A decrease is a reset: the
 * counter restarted from zero, so `now` is what accrued since. Null when no time passed.
 */
export function rate(now: number, before: number, seconds: number): number | null {
  if (!(seconds > 0)) return null;
  return (now < before ? now : now - before) / seconds;
}

export const totalLag = (lag: Snapshot['lag']): number => lag.reduce((n, p) => n + p.lag, 0);

/** Columns for the operator charts: one entry per snapshot, null where a value cannot be known yet. */
export interface Series {
  /** Seconds since the epoch (uPlot's x unit). */
  t: number[];
  lag: number[];
  deliveredPerSec: (number | null)[];
  deadPerSec: (number | null)[];
  fanoutP50: (number | null)[];
  fanoutP99: (number | null)[];
  apiP50: (number | null)[];
  apiP99: (number | null)[];
}

/**
 * Rates use consecutive snapshots; quantiles use the observations of the last `windowMs` (the oldest snapshot
 * at least that old, or the first one), so a quiet interval between two polls does not blank the line.
 */
export function buildSeries(snaps: readonly Snapshot[], windowMs = 30_000): Series {
  const s: Series = { t: [], lag: [], deliveredPerSec: [], deadPerSec: [], fanoutP50: [], fanoutP99: [], apiP50: [], apiP99: [] };
  let from = 0;
  snaps.forEach((cur, i) => {
    const prev = snaps[i - 1];
    while (from < i - 1 && (snaps[from + 1]?.t ?? Infinity) <= cur.t - windowMs) from++;
    const base = i > 0 ? snaps[from] : undefined;
    const secs = prev ? (cur.t - prev.t) / 1000 : 0;
    s.t.push(cur.t / 1000);
    s.lag.push(totalLag(cur.lag));
    s.deliveredPerSec.push(prev ? rate(cur.delivered, prev.delivered, secs) : null);
    s.deadPerSec.push(prev ? rate(cur.deadLettered, prev.deadLettered, secs) : null);
    const fanout = base ? histogramDelta(cur.fanout, base.fanout) : undefined;
    const api = base ? histogramDelta(cur.api, base.api) : undefined;
    s.fanoutP50.push(fanout ? quantile(fanout, 0.5) : null);
    s.fanoutP99.push(fanout ? quantile(fanout, 0.99) : null);
    s.apiP50.push(api ? quantile(api, 0.5) : null);
    s.apiP99.push(api ? quantile(api, 0.99) : null);
  });
  return s;
}

/** Keeps the snapshots of the last `keepMs` (plus the newest), oldest first. */
export function trimHistory<T extends { t: number }>(snaps: readonly T[], keepMs: number): T[] {
  const last = snaps[snaps.length - 1];
  if (!last) return [];
  return snaps.filter((x) => x.t >= last.t - keepMs);
}
