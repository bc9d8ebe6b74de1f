/**
 * `npm run db:migrate`: creates the keyspace (CASSANDRA_KEYSPACE, CASSANDRA_REPLICATION) and applies
 * libs/storage-cassandra/schema/NNN_*.cql not yet recorded in schema_migrations. Exits 1 on failure.
 */
// Before any decorated class loads: the config's class-transformer conversion reads design types.
import 'reflect-metadata';
import { loadAppConfig } from '@app/config';
import { migrate } from '@app/storage-cassandra';

async function main(): Promise<void> {
  const cfg = loadAppConfig();
  const { contactPoints, keyspace } = cfg.cassandra;
  console.log(`Migrating keyspace ${keyspace} at ${contactPoints.join(',')}`);
  const outcomes = await migrate(cfg, { log: (m) => console.log(m) });
  const applied = outcomes.filter((o) => o.status === 'applied');
  console.log(
    applied.length > 0
      ? `Applied ${applied.map((o) => `${o.version}_${o.name}`).join(', ')}`
      : `Up to date (${outcomes.length} migration(s) already applied)`,
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`Migration failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
