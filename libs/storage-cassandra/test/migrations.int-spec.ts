// Before any decorated class loads: the config's class-transformer conversion reads design types.
import 'reflect-metadata';
import { testConfig, uniqueTag } from '@app/testing';
import { Client } from 'cassandra-driver';
import { createCassandraClient, DDL_TIMEOUT_MS, loadMigrations, migrate, replicationLiteral, resolveSchemaDir, splitStatements } from '../src';

describe('Cassandra migrations', () => {
  const keyspace = `tl_mig_${uniqueTag('m')}`;
  const cfg = testConfig(keyspace, { CASSANDRA_KEYSPACE: keyspace, CASSANDRA_REPLICATION: 'SimpleStrategy:1' });
  let admin: Client;

  beforeAll(async () => {
    admin = createCassandraClient(cfg.cassandra, { keyspace: null });
    await admin.connect();
  }, 2 * DDL_TIMEOUT_MS);

  afterAll(async () => {
    await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: DDL_TIMEOUT_MS });
    await admin.shutdown();
  }, 2 * DDL_TIMEOUT_MS);

  it('creates the keyspace with the configured replication and applies every schema file once, also when run concurrently', async () => {
    const files = loadMigrations();
    expect(files.length).toBeGreaterThan(0);

    const [a, b] = await Promise.all([migrate(cfg), migrate(cfg)]);
    expect(a?.map((o) => o.version)).toEqual(files.map((f) => f.version));
    expect(b?.map((o) => o.version)).toEqual(files.map((f) => f.version));

    const again = await migrate(cfg);
    expect(again.every((o) => o.status === 'skipped' && !o.checksumMismatch)).toBe(true);

    const ks = (await admin.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])).first();
    expect(ks?.get('replication')).toEqual(expect.objectContaining({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' }));

    const tables = (await admin.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace])).rows.map((r) =>
      r.get('table_name'),
    );
    expect(tables).toEqual(
      expect.arrayContaining(['schema_migrations', 'activities', 'user_feed', 'home_timeline', 'notification_log', 'following', 'followers', 'follow_counts', 'mutes']),
    );

    const recorded = (await admin.execute(`SELECT version, checksum FROM ${keyspace}.schema_migrations`)).rows;
    expect(recorded.map((r) => r.get('version') as number).sort((x, y) => x - y)).toEqual(files.map((f) => f.version));
    expect(new Set(recorded.map((r) => r.get('checksum') as string))).toEqual(new Set(files.map((f) => f.checksum)));
  }, 2 * DDL_TIMEOUT_MS);

  it('finds the schema directory and splits statements at line-ending semicolons, ignoring comments', () => {
    expect(resolveSchemaDir()).toMatch(/libs[/\\]storage-cassandra[/\\]schema$/);
    const stmts = splitStatements("-- header; not a statement\nCREATE TABLE a (\n  x text, -- the key;\n  PRIMARY KEY (x)\n);\n\nCREATE TABLE b (y text PRIMARY KEY) WITH comment = 'a -- b';\n");
    expect(stmts).toEqual(["CREATE TABLE a (\n  x text,\n  PRIMARY KEY (x)\n)", "CREATE TABLE b (y text PRIMARY KEY) WITH comment = 'a -- b'"]);
  });

  it('renders SimpleStrategy and NetworkTopologyStrategy replication and rejects malformed options', () => {
    expect(replicationLiteral({ class: 'SimpleStrategy', replication_factor: 1 })).toBe("{'class': 'SimpleStrategy', 'replication_factor': '1'}");
    expect(replicationLiteral({ class: 'NetworkTopologyStrategy', dc1: 3, dc2: 2 })).toBe(
      "{'class': 'NetworkTopologyStrategy', 'dc1': '3', 'dc2': '2'}",
    );
    expect(() => replicationLiteral({ class: "x'; DROP" })).toThrow(/Invalid replication/);
  });
});
