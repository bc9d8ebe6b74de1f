import { Client, concurrent, types } from 'cassandra-driver';

/** Helpers shared by the stores. Every statement is prepared; values only ever travel as bind parameters. */

export const PREPARED = { prepare: true } as const;
/** Upserts and timestamped deletes are idempotent, so the driver may retry them on timeouts. */
export const IDEMPOTENT = { prepare: true, isIdempotent: true } as const;

/** Client-side write timestamp (µs) as the driver expects it. Exact below 2^53 µs (year 2255). */
export const micros = (tsMicros: number): types.Long => types.Long.fromNumber(Math.floor(tsMicros));

/** Cassandra rejects TTL 0 (= no expiry) and values above 20 years; callers pass remaining lifetime. */
export const MAX_TTL_SECONDS = 630_720_000;
export const ttlOrNull = (ttlSeconds: number): number | null => {
  const t = Math.floor(ttlSeconds);
  return t >= 1 ? Math.min(t, MAX_TTL_SECONDS) : null;
};

export const dateMs = (v: unknown): number | null => (v instanceof Date ? v.getTime() : null);

/** Reads every row of a (bounded) partition, one driver page at a time. */
export async function selectAll(client: Client, cql: string, params: unknown[], fetchSize = 1000): Promise<types.Row[]> {
  const out: types.Row[] = [];
  let pageState: string | undefined;
  do {
    const rs = await client.execute(cql, params, { prepare: true, fetchSize, pageState });
    out.push(...rs.rows);
    pageState = rs.pageState ?? undefined;
  } while (pageState);
  return out;
}

/** Streams rows in driver pages of `pageSize`: memory is bounded by one page. */
export async function* selectPages(client: Client, cql: string, params: unknown[], pageSize: number): AsyncGenerator<types.Row[]> {
  let pageState: string | undefined;
  do {
    const rs = await client.execute(cql, params, { prepare: true, fetchSize: pageSize, pageState });
    if (rs.rows.length > 0) yield rs.rows;
    pageState = rs.pageState ?? undefined;
  } while (pageState);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Executes one statement per parameter list with at most `concurrency` in flight (driver
 * `executeConcurrent`, which prepares). The first failure rejects the whole call: callers retry the
 * whole wave, which is safe because every statement is idempotent.
 */
export async function executeMany(client: Client, cql: string, params: unknown[][], concurrency: number): Promise<void> {
  if (params.length === 0) return;
  await concurrent.executeConcurrent(client, cql, params, {
    concurrencyLevel: Math.max(1, Math.min(concurrency, params.length)),
    raiseOnFirstError: true,
  });
}

/** Like `executeMany`, returning the result sets in input order. */
export async function queryMany(client: Client, cql: string, params: unknown[][], concurrency: number): Promise<types.ResultSet[]> {
  if (params.length === 0) return [];
  const group = await concurrent.executeConcurrent(client, cql, params, {
    concurrencyLevel: Math.max(1, Math.min(concurrency, params.length)),
    raiseOnFirstError: true,
    collectResults: true,
  });
  return group.resultItems as types.ResultSet[];
}

/** A partition key's bytes as Cassandra hashes them: one component as is, several in the composite layout. */
export function routingKey(components: readonly Buffer[]): Buffer {
  if (components.length === 1) return components[0] as Buffer;
  const parts: Buffer[] = [];
  for (const c of components) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(c.length);
    parts.push(len, c, Buffer.alloc(1));
  }
  return Buffer.concat(parts);
}

export const textKey = (s: string): Buffer => Buffer.from(s, 'utf8');
export const intKey = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/**
 * Groups rows by the replica that owns their partition (the first replica the driver's token map names; one
 * group on a single node, or before the token map is known).
 */
export function byReplica<T>(client: Client, rows: readonly T[], keyOf: (row: T) => Buffer): T[][] {
  const groups = new Map<string, T[]>();
  const keyspace = client.keyspace;
  for (const row of rows) {
    const hosts = keyspace ? client.getReplicas(keyspace, keyOf(row)) : null;
    const owner = hosts?.[0]?.address ?? '';
    let g = groups.get(owner);
    if (!g) groups.set(owner, (g = []));
    g.push(row);
  }
  return [...groups.values()];
}

export interface BatchLimits {
  /** Rows per batch; Cassandra warns above 10 partitions in one unlogged batch. */
  readonly rows: number;
  /** Approximate payload bytes per batch; Cassandra warns above 5 KiB. */
  readonly bytes: number;
}

/**
 * One statement per parameter list, sent as unlogged batches of rows that share a replica (so each batch
 * goes to the node that owns all its rows and costs one request instead of one per row), with at most
 * `concurrency` rows in flight. Batches of single-partition idempotent writes are safe to retry whole, and
 * no row of a batch depends on another (this is grouping, not atomicity). The first failure rejects the call.
 */
export async function executeByReplica(
  client: Client,
  cql: string,
  params: readonly unknown[][],
  keyOf: (p: unknown[]) => Buffer,
  sizeOf: (p: unknown[]) => number,
  limits: BatchLimits,
  concurrency: number,
): Promise<void> {
  if (params.length === 0) return;
  const batches: unknown[][][] = [];
  for (const group of byReplica(client, params, keyOf)) {
    let current: unknown[][] = [];
    let bytes = 0;
    for (const p of group) {
      const size = sizeOf(p);
      if (current.length > 0 && (current.length >= limits.rows || bytes + size > limits.bytes)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(p);
      bytes += size;
    }
    if (current.length > 0) batches.push(current);
  }
  const lanes = Math.max(1, Math.min(batches.length, Math.floor(concurrency / limits.rows) || 1));
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let b = batches[next++]; b !== undefined; b = batches[next++]) {
      if (b.length === 1) await client.execute(cql, b[0], IDEMPOTENT);
      else await client.batch(b.map((p) => ({ query: cql, params: p })), { prepare: true, logged: false, isIdempotent: true });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
