import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSchemaDir, schemaStatus } from '../src';
import { openStorage, StorageFixture } from './support';

/** schemaStatus (tideline doctor) on the shared test keyspace, migrated by test/global-setup.ts. */
let fx: StorageFixture;
let dir: string;

beforeAll(async () => {
  fx = await openStorage('ss');
  dir = mkdtempSync(join(tmpdir(), 'tideline-schema-'));
  for (const f of readdirSync(resolveSchemaDir())) copyFileSync(join(resolveSchemaDir(), f), join(dir, f));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await fx?.client.shutdown();
});

describe('schemaStatus', () => {
  it('reports every schema file applied, with no mismatch, on the migrated keyspace', async () => {
    const s = await schemaStatus(fx.client, fx.cfg);
    expect(s.keyspaceExists).toBe(true);
    expect(s.replication).toMatchObject({ replication_factor: '1' });
    expect(s.pending).toEqual([]);
    expect(s.unknown).toEqual([]);
    expect(s.applied.length).toBeGreaterThanOrEqual(4);
    expect(s.applied.every((a) => !a.checksumMismatch)).toBe(true);
  });

  it('reports a new file as pending, a changed one as mismatched, a missing one as unknown', async () => {
    const files = readdirSync(dir).filter((f) => /^\d{3,}_.*\.cql$/.test(f)).sort();
    const first = files[0] as string;
    const last = files[files.length - 1] as string;
    appendFileSync(join(dir, first), '\n-- edited after it was applied\n');
    rmSync(join(dir, last));
    writeFileSync(join(dir, '999_future.cql'), 'CREATE TABLE IF NOT EXISTS never_created (k text PRIMARY KEY);\n');
    const s = await schemaStatus(fx.client, fx.cfg, { schemaDir: dir });
    expect(s.pending).toEqual([{ version: 999, name: 'future' }]);
    expect(s.applied.find((a) => a.version === Number(first.slice(0, 3)))?.checksumMismatch).toBe(true);
    expect(s.unknown).toEqual([Number(last.split('_')[0])]);
  });

  it('reports a missing keyspace with every file pending', async () => {
    const s = await schemaStatus(fx.client, { cassandra: { ...fx.cfg.cassandra, keyspace: 'no_such_keyspace_here' } });
    expect(s).toMatchObject({ keyspaceExists: false, replication: null, applied: [], unknown: [] });
    expect(s.pending.length).toBeGreaterThanOrEqual(4);
  });
});
