import { Inject, Injectable } from '@nestjs/common';
import { Client } from 'cassandra-driver';
import { pingCassandra, PING_TIMEOUT_MS } from './cassandra-client';
import { CASSANDRA_CLIENT } from './tokens';

/** Readiness probe: resolves when Cassandra answers within ~2 s, else throws StoreUnavailableError. */
@Injectable()
export class CassandraHealth {
  constructor(@Inject(CASSANDRA_CLIENT) private readonly client: Client) {}

  ping(): Promise<void> {
    return pingCassandra(this.client, PING_TIMEOUT_MS);
  }
}
