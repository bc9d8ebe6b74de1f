/**
 * jest globalSetup of the integration, e2e and faults tiers: migrates the shared test keyspace once
 * per run (SimpleStrategy, RF 1). Fast when already migrated: one keyspace DDL no-op and one read.
 *
 * globalSetup runs outside jest's module registry, so jest's moduleNameMapper does not apply here:
 * the `@app/*` aliases are registered with tsconfig-paths before the libraries are loaded.
 */
// Before any decorated class loads: the config's class-transformer conversion reads design types.
import 'reflect-metadata';
import { join } from 'node:path';
import { register } from 'tsconfig-paths';
import { compilerOptions } from '../tsconfig.json';

register({ baseUrl: join(__dirname, '..'), paths: compilerOptions.paths });

export default async function globalSetup(): Promise<void> {
  const { loadAppConfig } = await import('@app/config');
  const { migrate } = await import('@app/storage-cassandra');
  process.env.TZ = 'UTC';
  process.env.TEST_CASSANDRA_KEYSPACE ??= 'tideline_test';
  const keyspace = process.env.TEST_CASSANDRA_KEYSPACE;
  const cfg = loadAppConfig({ CASSANDRA_KEYSPACE: keyspace, CASSANDRA_REPLICATION: 'SimpleStrategy:1', MIGRATE_ON_START: 'true' });
  try {
    await migrate(cfg);
  } catch (e) {
    throw new Error(
      `Test setup could not migrate Cassandra keyspace ${keyspace} at ${cfg.cassandra.contactPoints.join(',')}. ` +
        `Is Cassandra running? Start the local infrastructure with: npm run infra:up\n${(e as Error).message}`,
    );
  }
}
