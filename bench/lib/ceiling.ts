import { Client } from 'cassandra-driver';
import { bucketOf, HOME_BUCKET_MS, toIso } from '@app/domain';
import { HOME_BATCH, HOME_TIMELINE_CQL, inlineBody } from '@app/storage-cassandra';
import { micros } from './cassandra';
import { Percentiles, round, summarize } from './util';

export interface CeilingLevel {
  concurrency: number;
  /** How rows were sent: one statement each, or unlogged batches of rows sharing a replica (as the worker). */
  mode?: 'single' | 'batched';
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
async function closedLoop(concurrency: number, seconds: number, op: (n: number) => Promise<unknown>, perOp = 1): Promise<CeilingLevel & { errors: number }> {
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
          done += perOp;
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

interface CeilingOp {
  readonly mode?: CeilingLevel['mode'];
  readonly run: (n: number) => Promise<unknown>;
  /** Rows one call writes or reads. */
  readonly perOp?: number;
}

/** Every op at every level (concurrency counts calls in flight); the best rows/s of all is the ceiling. */
async function best(levels: number[], seconds: number, ops: readonly CeilingOp[], onLevel: (l: CeilingLevel) => void): Promise<Ceiling> {
  const out: CeilingLevel[] = [];
  for (const op of ops) {
    await closedLoop(Math.min(16, levels[0] ?? 16), 1, op.run); // warm up: connections, prepared statements, JIT
    for (const c of levels) {
      const calls = op.perOp ? Math.max(1, Math.round(c / op.perOp)) : c;
      const l = await closedLoop(calls, seconds, op.run, op.perOp ?? 1);
      const level = { concurrency: c, ...(op.mode ? { mode: op.mode } : {}), perSec: l.perSec, latencyMs: l.latencyMs };
      out.push(level);
      onLevel(level);
    }
  }
  return { best: out.reduce((a, b) => (b.perSec > a.perSec ? b : a)), levels: out };
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
  const row = (n: number): unknown[] => [`${prefix}c${n % users}`, bucket, published, `ceil-${now}-${n}`, `${prefix}c0`, body, ttl, ts];
  const rows = HOME_BATCH.rows;
  // Both ways the driver can send these rows: one statement each, and the worker's replica batches (one node
  // here, so every batch of HOME_BATCH rows goes as one request). The better of the two is the ceiling.
  return best(levels, seconds, [
    { mode: 'single', run: (n) => client.execute(HOME_TIMELINE_CQL.insert, row(n), { prepare: true }) },
    {
      mode: 'batched',
      perOp: rows,
      run: (n) => client.batch(Array.from({ length: rows }, (_, i) => ({ query: HOME_TIMELINE_CQL.insert, params: row(n * rows + i) })), { prepare: true, logged: false }),
    },
  ], onLevel);
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
  return best(levels, seconds, [{ run: (n) => client.execute(HOME_TIMELINE_CQL.sliceAll, [userIds[n % userIds.length], bucket, floor, limit + 5], { prepare: true }) }], onLevel);
}
