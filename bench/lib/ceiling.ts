import { Client } from 'cassandra-driver';
import { bucketOf, HOME_BUCKET_MS, toIso } from '@app/domain';
import { HOME_TIMELINE_CQL, inlineBody } from '@app/storage-cassandra';
import { micros } from './cassandra';
import { Percentiles, round, summarize } from './util';

export interface CeilingLevel {
  concurrency: number;
  perSec: number;
  latencyMs: Percentiles;
}

export interface Ceiling {
  best: CeilingLevel;
  levels: CeilingLevel[];
}

/**
 * Runs `op` from `concurrency` loops for `seconds` and counts completions. Latency is sampled on every
 * request; failures are counted but not timed.
 */
async function closedLoop(concurrency: number, seconds: number, op: (n: number) => Promise<unknown>): Promise<CeilingLevel & { errors: number }> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  let done = 0;
  let errors = 0;
  const lat: number[] = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        try {
          await op(n++);
          done++;
          if (lat.length < 200_000) lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch {
          errors++;
        }
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  return { concurrency, perSec: round(done / secs, 0), latencyMs: summarize(lat), errors };
}

async function best(levels: number[], seconds: number, op: (n: number) => Promise<unknown>, onLevel: (l: CeilingLevel) => void): Promise<Ceiling> {
  await closedLoop(Math.min(16, levels[0] ?? 16), 1, op); // warm up: connections, prepared statements, JIT
  const out: CeilingLevel[] = [];
  for (const c of levels) {
    const l = await closedLoop(c, seconds, op);
    const level = { concurrency: l.concurrency, perSec: l.perSec, latencyMs: l.latencyMs };
    out.push(level);
    onLevel(level);
  }
  const top = out.reduce((a, b) => (b.perSec > a.perSec ? b : a));
  return { best: top, levels: out };
}

/**
 * The write ceiling: home_timeline rows (the same statement, body, TTL and timestamp the worker writes) sent
 * straight through cassandra-driver. Partition keys are `<prefix>c<i>` over as many users as the graph,
 * so the partitions look like real ones but the rows never show in a benchmark reader's feed.
 */
export function writeCeiling(client: Client, prefix: string, users: number, levels: number[], seconds: number, onLevel: (l: CeilingLevel) => void): Promise<Ceiling> {
  const now = Date.now();
  const bucket = bucketOf(now, HOME_BUCKET_MS);
  const published = new Date(now);
  const ts = micros(now);
  const ttl = 14 * 86_400;
  // A body like the benchmark's own activities (the worker writes the activity into every home row).
  const body = inlineBody({ id: `ceil-${now}-000000`, actor: `${prefix}c0`, type: 'post', object: `${prefix}:ceiling-000000`, published: toIso(now) });
  return best(levels, seconds, (n) =>
    client.execute(HOME_TIMELINE_CQL.insert, [`${prefix}c${n % users}`, bucket, published, `ceil-${now}-${n}`, `${prefix}c0`, body, ttl, ts], { prepare: true }),
  onLevel);
}

/**
 * The read ceiling: the single-partition page read behind GET /v1/feeds/home/:userId (today's bucket of
 * the reader's home timeline, floor = the home window, limit + 5 rows as the API asks for), straight
 * through cassandra-driver, over the same readers as the HTTP test.
 */
export function readCeiling(client: Client, userIds: string[], levels: number[], seconds: number, limit: number, onLevel: (l: CeilingLevel) => void): Promise<Ceiling> {
  const now = Date.now();
  const bucket = bucketOf(now, HOME_BUCKET_MS);
  const floor = new Date(now - 14 * 86_400_000);
  return best(levels, seconds, (n) => client.execute(HOME_TIMELINE_CQL.sliceAll, [userIds[n % userIds.length], bucket, floor, limit + 5], { prepare: true }), onLevel);
}
