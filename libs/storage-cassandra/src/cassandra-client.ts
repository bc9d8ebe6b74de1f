import { AppConfig } from '@app/config';
import { StoreUnavailableError, withTimeout } from '@app/feeds';
import { Client, ClientOptions, policies, types } from 'cassandra-driver';

export type CassandraConfig = AppConfig['cassandra'];

export interface CassandraClientOptions {
  /**
   * Keyspace the client is bound to. `null` connects without one (the migration runner uses that,
   * because the keyspace may not exist yet). Default: `cfg.keyspace`.
   */
  readonly keyspace?: string | null;
}

const PING_CQL = 'SELECT release_version FROM system.local';
export const PING_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;
const RECONNECT_BASE_MS = 200;
const RECONNECT_MAX_MS = 5_000;

/**
 * A cassandra-driver client with the project defaults:
 * - DC-aware, token-aware routing pinned to `localDc` (no cross-DC requests);
 * - every statement prepared unless a caller says otherwise;
 * - LOCAL_QUORUM, so a write acknowledged to a user is visible to its next read (read-your-writes of
 *   the follow graph, docs/api.md §2) also when the replication factor is above 1;
 * - `readTimeout` = CASSANDRA_REQUEST_TIMEOUT_MS: an unresponsive node yields OperationTimedOutError
 *   instead of a hang, and a down cluster yields NoHostAvailableError at once;
 * - exponential reconnection capped at 5 s, so the client recovers by itself after an outage.
 * The client connects lazily on the first request; call `connect()` to fail fast at start.
 */
export function createCassandraClient(cfg: CassandraConfig, opts: CassandraClientOptions = {}): Client {
  const keyspace = opts.keyspace === undefined ? cfg.keyspace : opts.keyspace;
  const options: ClientOptions = {
    contactPoints: cfg.contactPoints,
    localDataCenter: cfg.localDc,
    policies: {
      loadBalancing: new policies.loadBalancing.TokenAwarePolicy(new policies.loadBalancing.DCAwareRoundRobinPolicy(cfg.localDc)),
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(RECONNECT_BASE_MS, RECONNECT_MAX_MS, false),
    },
    pooling: {
      coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 },
      maxRequestsPerConnection: 2048,
      heartBeatInterval: 10_000,
    },
    socketOptions: { connectTimeout: CONNECT_TIMEOUT_MS, readTimeout: cfg.requestTimeoutMs, keepAlive: true },
    // Idempotent by default: upserts and timestamped deletes may be retried after a timeout. The
    // counter updates in follow_counts opt out explicitly.
    queryOptions: { prepare: true, isIdempotent: true, consistency: types.consistencies.localQuorum },
    ...(keyspace ? { keyspace } : {}),
  };
  return new Client(options);
}

/**
 * Resolves when Cassandra answers a trivial query within `timeoutMs`; otherwise rejects with a
 * StoreUnavailableError (transient), never hangs. Used by the readiness endpoint.
 */
export async function pingCassandra(client: Client, timeoutMs = PING_TIMEOUT_MS): Promise<void> {
  try {
    const query = client.execute(PING_CQL, [], { prepare: false, readTimeout: timeoutMs, isIdempotent: true, consistency: types.consistencies.localOne });
    await withTimeout(query, timeoutMs, () => new StoreUnavailableError('cassandra', `Cassandra did not answer within ${timeoutMs} ms`));
  } catch (e) {
    if (e instanceof StoreUnavailableError) throw e;
    throw new StoreUnavailableError('cassandra', `Cassandra is unavailable: ${(e as Error).message}`);
  }
}
