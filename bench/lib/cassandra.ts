import { Client, concurrent, policies, types } from 'cassandra-driver';

export const BENCH_KEYSPACE = 'tideline_bench';

/**
 * A plain cassandra-driver client for loading and for the ceilings. It mirrors the product's pool and
 * routing settings (token-aware, 2 connections per host, 2048 requests per connection, LOCAL_QUORUM) so
 * that the ceiling compares code paths, not driver configurations.
 */
export function benchClient(contactPoints: string[], localDc: string, keyspace: string | null = BENCH_KEYSPACE): Client {
  return new Client({
    contactPoints,
    localDataCenter: localDc,
    policies: { loadBalancing: new policies.loadBalancing.TokenAwarePolicy(new policies.loadBalancing.DCAwareRoundRobinPolicy(localDc)) },
    pooling: { coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 }, maxRequestsPerConnection: 2048 },
    socketOptions: { connectTimeout: 5_000, readTimeout: 20_000 },
    queryOptions: { prepare: true, isIdempotent: true, consistency: types.consistencies.localQuorum },
    ...(keyspace ? { keyspace } : {}),
  });
}

export const micros = (ms: number): types.Long => types.Long.fromNumber(Math.floor(ms * 1000));

/** Runs one prepared statement over many parameter lists, `concurrency` in flight, reporting progress. */
export async function writeAll(
  client: Client,
  cql: string,
  params: Iterable<unknown[]>,
  concurrency: number,
  onProgress: (n: number) => void,
  opts: { counter?: boolean } = {},
): Promise<number> {
  let batch: unknown[][] = [];
  let done = 0;
  let errors = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const res = await executeWave(client, cql, batch, concurrency, opts.counter === true);
    errors += res;
    done += batch.length;
    onProgress(done);
    batch = [];
  };
  for (const p of params) {
    batch.push(p);
    if (batch.length >= 20_000) await flush();
  }
  await flush();
  return errors;
}

async function executeWave(client: Client, cql: string, params: unknown[][], concurrency: number, counter: boolean): Promise<number> {
  // Idempotent upserts are retried once on failure; counters are not (a retry could count twice).
  const res = await concurrent.executeConcurrent(client, cql, params, {
    concurrencyLevel: Math.min(concurrency, params.length),
    raiseOnFirstError: false,
    maxErrors: params.length,
    collectResults: false,
  });
  if (res.errors.length === 0 || counter) return res.errors.length;
  const retry = await concurrent.executeConcurrent(client, cql, params, { concurrencyLevel: Math.min(64, params.length), raiseOnFirstError: false, maxErrors: params.length });
  return retry.errors.length;
}
