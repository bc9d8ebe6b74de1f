import { StoreUnavailableError } from '@app/feeds';
import { Client } from 'cassandra-driver';

/** Driver errors that mean "Cassandra is (temporarily) unreachable or overloaded". */
const TRANSIENT_NAMES = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError']);
// ResponseError codes 0x1000-0x1500 (unavailable, overloaded, bootstrapping, truncate, write/read timeout,
// read/write failure), except 0x1400 (function failure: the statement's own fault).
const isTransientResponseCode = (code: unknown): boolean => typeof code === 'number' && code >= 0x1000 && code <= 0x1500 && code !== 0x1400;

/**
 * The one place that knows cassandra-driver's error names: a transient one becomes StoreUnavailableError
 * (retry with backoff in the worker, 503 over HTTP), with the driver's error as `cause`; anything else is
 * returned as it is (a bug or a bad statement, never retried as an outage).
 */
export function classifyCassandraError(e: unknown): unknown {
  if (e instanceof StoreUnavailableError || typeof e !== 'object' || e === null) return e;
  const err = e as { name?: unknown; code?: unknown; message?: unknown };
  const transient = typeof err.name === 'string' && (TRANSIENT_NAMES.has(err.name) || (err.name === 'ResponseError' && isTransientResponseCode(err.code)));
  if (!transient) return e;
  const wrapped = new StoreUnavailableError('cassandra', `Cassandra is unavailable: ${String(err.message ?? err.name)}`);
  (wrapped as Error & { cause?: unknown }).cause = e;
  return wrapped;
}

const WRAPPED = ['execute', 'batch'] as const;

/**
 * The client every store uses: `execute` and `batch` (the driver's concurrent helpers call `execute`) reject
 * with classified errors. Everything else is the driver's own client.
 */
export function classifyingClient(client: Client): Client {
  // The wrappers are made once per client, not per call (every statement of every store goes through them).
  const wrapped = new Map<string | symbol, (...args: unknown[]) => unknown>();
  for (const name of WRAPPED) {
    const fn = (client[name] as (...a: unknown[]) => unknown).bind(client);
    wrapped.set(name, (...args: unknown[]) => {
      const out = fn(...args);
      return out instanceof Promise ? out.catch((e: unknown) => Promise.reject(classifyCassandraError(e))) : out;
    });
  }
  return new Proxy(client, { get: (target, prop, receiver) => wrapped.get(prop) ?? (Reflect.get(target, prop, receiver) as unknown) });
}
