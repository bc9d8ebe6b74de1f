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
