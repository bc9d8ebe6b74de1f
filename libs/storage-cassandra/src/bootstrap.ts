import { AppConfig } from '@app/config';
import { Client } from 'cassandra-driver';
import { createCassandraClient } from './cassandra-client';
import { MigrationOptions, MigrationOutcome, runMigrations } from './migrations';

/** Runs the migrations through a short-lived keyspace-less client (the keyspace may not exist yet). */
export async function migrate(cfg: Pick<AppConfig, 'cassandra'>, opts: MigrationOptions = {}): Promise<MigrationOutcome[]> {
  const client = createCassandraClient(cfg.cassandra, { keyspace: null });
  try {
    await connectOrExplain(client, cfg);
    return await runMigrations(client, cfg, opts);
  } finally {
    await client.shutdown();
  }
}

/**
 * Migrates when configured (`migrateOnStart`), then returns a connected client bound to the
 * keyspace. Fails fast with a message naming the contact points when Cassandra does not answer.
 */
export async function connectCassandra(cfg: Pick<AppConfig, 'cassandra'>, opts: MigrationOptions = {}): Promise<Client> {
  if (cfg.cassandra.migrateOnStart) await migrate(cfg, opts);
  const client = createCassandraClient(cfg.cassandra);
  try {
    await connectOrExplain(client, cfg);
  } catch (e) {
    await client.shutdown();
    throw e;
  }
  return client;
}

async function connectOrExplain(client: Client, cfg: Pick<AppConfig, 'cassandra'>): Promise<void> {
  try {
    await client.connect();
  } catch (e) {
    const { contactPoints, localDc, keyspace } = cfg.cassandra;
    throw new Error(
      `Cannot connect to Cassandra at ${contactPoints.join(',')} (local DC ${localDc}, keyspace ${client.keyspace ?? keyspace}): ` +
        `${describeConnectError(e)}. Check CASSANDRA_CONTACT_POINTS / CASSANDRA_LOCAL_DC, and that the keyspace is migrated ` +
        '(npm run db:migrate or MIGRATE_ON_START=true); locally: npm run infra:up',
      { cause: e },
    );
  }
}

/** NoHostAvailableError's own message embeds inspected socket errors; one line per host is enough. */
function describeConnectError(e: unknown): string {
  const inner = (e as { innerErrors?: Record<string, unknown> }).innerErrors;
  if (inner && typeof inner === 'object' && Object.keys(inner).length > 0) {
    return `no host available (${Object.entries(inner)
      .map(([host, err]) => `${host}: ${err instanceof Error ? err.message : String(err)}`)
      .join('; ')})`;
  }
  return e instanceof Error ? e.message : String(e);
}
