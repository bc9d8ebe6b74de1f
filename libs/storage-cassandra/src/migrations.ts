import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AppConfig } from '@app/config';
import { Client } from 'cassandra-driver';

const SCHEMA_REL = join('libs', 'storage-cassandra', 'schema');
const MIGRATION_FILE = /^(\d{3,})_([A-Za-z0-9_-]+)\.cql$/;
const KEYSPACE_NAME = /^[a-z][a-z0-9_]{0,47}$/;
const REPLICATION_WORD = /^[A-Za-z0-9_.-]+$/;
/**
 * Schema changes wait for agreement and can take seconds on a busy node, far beyond the request
 * timeout meant for reads and writes. Retrying a timed-out DDL is safe: every statement is IF NOT EXISTS.
 */
export const DDL_TIMEOUT_MS = 60_000;
const DDL = { prepare: false, readTimeout: DDL_TIMEOUT_MS, isIdempotent: true } as const;

/**
 * Finds `libs/storage-cassandra/schema` by walking up from `start` (this file's directory, which is
 * `libs/storage-cassandra/src` from sources or somewhere under `dist/` when compiled), then from
 * `process.cwd()`. The schema files are not compiled, so both layouts read the same directory.
 */
export function resolveSchemaDir(start: string = __dirname): string {
  const env = process.env.TIDELINE_SCHEMA_DIR;
  if (env) return resolve(env);
  for (const origin of [start, process.cwd()]) {
    let dir = resolve(origin);
    for (;;) {
      const candidate = join(dir, SCHEMA_REL);
      if (existsSync(candidate)) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`Cannot find ${SCHEMA_REL} above ${start} or ${process.cwd()} (set TIDELINE_SCHEMA_DIR)`);
}

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: string[];
}

/**
 * Splits a CQL script into statements: `--` and `//` comments are dropped (outside string literals),
 * and a statement ends at a `;` that ends a line. Schema files keep to that layout.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const raw of script.split(/\r?\n/)) {
    const line = stripComment(raw).trimEnd();
    if (line.trim() === '') continue;
    if (line.endsWith(';')) {
      current.push(line.slice(0, -1));
      const stmt = current.join('\n').trim();
      if (stmt) out.push(stmt);
      current = [];
    } else {
      current.push(line);
    }
  }
  const rest = current.join('\n').trim();
  if (rest) out.push(rest);
  return out;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && (c === '-' || c === '/') && line[i + 1] === c) return line.slice(0, i);
  }
  return line;
}

export function loadMigrations(schemaDir: string = resolveSchemaDir()): MigrationFile[] {
  const files = readdirSync(schemaDir)
    .map((f) => ({ f, m: MIGRATION_FILE.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .map(({ f, m }) => {
      const text = readFileSync(join(schemaDir, f), 'utf8');
      return {
        version: Number(m[1]),
        name: m[2] ?? f,
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: splitStatements(text),
      };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i++) {
    if (files[i]?.version === files[i - 1]?.version) throw new Error(`Duplicate schema version ${files[i]?.version} in ${schemaDir}`);
  }
  return files;
}

/** `{'class': 'SimpleStrategy', 'replication_factor': 1}` from the validated config object. */
export function replicationLiteral(replication: Record<string, string | number>): string {
  const entries = Object.entries(replication).map(([k, v]) => {
    const value = String(v);
    // DDL cannot take bind markers; the config is validated, and this keeps the literal well-formed.
    if (!REPLICATION_WORD.test(k) || !REPLICATION_WORD.test(value)) throw new Error(`Invalid replication option ${k}=${value}`);
    return `'${k}': '${value}'`;
  });
  if (!('class' in replication)) throw new Error('Replication options need a class');
  return `{${entries.join(', ')}}`;
}

export interface MigrationOutcome {
  readonly version: number;
  readonly name: string;
  /** `applied` now, or `skipped` because schema_migrations already records it. */
  readonly status: 'applied' | 'skipped';
  /** Set when a recorded version's file changed since it was applied (it is not re-applied). */
  readonly checksumMismatch?: boolean;
}

export interface MigrationOptions {
  readonly schemaDir?: string;
  readonly log?: (message: string) => void;
}

/**
 * Creates the keyspace (IF NOT EXISTS, replication from config) and applies every schema file whose
 * version schema_migrations does not record yet, in version order.
 *
 * `client` must be dedicated to migrations: it may be connected without a keyspace (the keyspace may
 * not exist yet), and this function switches it to the target keyspace with `USE`, because the
 * schema files name tables without a keyspace.
 *
 * Concurrency: two processes may migrate at once. Every statement is IF NOT EXISTS, so whichever
 * applies a file second re-applies harmless no-ops and re-records the same row.
 */
export async function runMigrations(client: Client, cfg: Pick<AppConfig, 'cassandra'>, opts: MigrationOptions = {}): Promise<MigrationOutcome[]> {
  const { keyspace, replication } = cfg.cassandra;
  if (!KEYSPACE_NAME.test(keyspace)) throw new Error(`Invalid keyspace name ${keyspace}`);
  const log = opts.log ?? (() => undefined);
  const files = loadMigrations(opts.schemaDir ?? resolveSchemaDir());

  await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replicationLiteral(replication)}`, [], DDL);
  await client.execute(`USE ${keyspace}`, [], DDL);
  await client.execute('CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text, applied_at timestamp, checksum text)', [], DDL);
  await waitForSchemaAgreement(client);

  const recorded = new Map<number, string>();
  const rs = await client.execute('SELECT version, checksum FROM schema_migrations', [], { prepare: true });
  for (const row of rs.rows) recorded.set(row.get('version') as number, row.get('checksum') as string);

  const outcomes: MigrationOutcome[] = [];
  for (const file of files) {
    const known = recorded.get(file.version);
    if (known !== undefined) {
      const checksumMismatch = known !== file.checksum;
      if (checksumMismatch) log(`schema ${file.version}_${file.name}: file changed since it was applied (not re-applied)`);
      outcomes.push({ version: file.version, name: file.name, status: 'skipped', ...(checksumMismatch ? { checksumMismatch } : {}) });
      continue;
    }
    for (const stmt of file.statements) await client.execute(stmt, [], DDL);
    await waitForSchemaAgreement(client);
    await client.execute(
      'INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)',
      [file.version, file.name, new Date(), file.checksum],
      { prepare: true },
    );
    log(`schema ${file.version}_${file.name}: applied ${file.statements.length} statements`);
    outcomes.push({ version: file.version, name: file.name, status: 'applied' });
  }
  return outcomes;
}

/** The driver waits for agreement after each DDL (up to maxSchemaAgreementWaitSeconds); this confirms it. */
async function waitForSchemaAgreement(client: Client, timeoutMs = 20_000): Promise<void> {
  // Present in driver 4.x (lib/metadata/index.js) but missing from its typings.
  const metadata = client.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> };
  const deadline = Date.now() + timeoutMs;
  while (!(await metadata.checkSchemaAgreement())) {
    if (Date.now() > deadline) throw new Error(`Cassandra schema did not reach agreement within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What `schemaStatus` finds: the keyspace, and the schema files recorded in schema_migrations or not. */
export interface SchemaStatus {
  readonly keyspace: string;
  readonly keyspaceExists: boolean;
  /** The keyspace's replication as Cassandra reports it (e.g. `{class: ...SimpleStrategy, replication_factor: '1'}`). */
  readonly replication: Record<string, string> | null;
  /** Schema files recorded as applied; `checksumMismatch`: the file changed since. */
  readonly applied: readonly { readonly version: number; readonly name: string; readonly checksumMismatch: boolean }[];
  /** Schema files not applied yet (`npm run db:migrate` or MIGRATE_ON_START would apply them). */
  readonly pending: readonly { readonly version: number; readonly name: string }[];
  /** Versions recorded in schema_migrations that no schema file has (a newer release migrated this keyspace). */
  readonly unknown: readonly number[];
}

/** Reads, without changing anything, how far the keyspace's schema is from the schema files (`tideline doctor`). */
export async function schemaStatus(client: Client, cfg: Pick<AppConfig, 'cassandra'>, opts: { readonly schemaDir?: string } = {}): Promise<SchemaStatus> {
  const { keyspace } = cfg.cassandra;
  if (!KEYSPACE_NAME.test(keyspace)) throw new Error(`Invalid keyspace name ${keyspace}`);
  const files = loadMigrations(opts.schemaDir ?? resolveSchemaDir());
  const ks = await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], { prepare: true });
  const ksRow = ks.first();
  const none = { keyspace, applied: [], unknown: [] as number[], pending: files.map((f) => ({ version: f.version, name: f.name })) };
  if (!ksRow) return { ...none, keyspaceExists: false, replication: null };
  const replication = ksRow.get('replication') as Record<string, string>;
  const table = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, 'schema_migrations'], { prepare: true });
  if (!table.first()) return { ...none, keyspaceExists: true, replication };
  // A keyspace name cannot be a bind marker; it was validated above.
  const rs = await client.execute(`SELECT version, checksum FROM ${keyspace}.schema_migrations`, [], { prepare: true });
  const recorded = new Map<number, string>(rs.rows.map((r) => [r.get('version') as number, r.get('checksum') as string]));
  const known = new Set(files.map((f) => f.version));
  return {
    keyspace,
    keyspaceExists: true,
    replication,
    applied: files.filter((f) => recorded.has(f.version)).map((f) => ({ version: f.version, name: f.name, checksumMismatch: recorded.get(f.version) !== f.checksum })),
    pending: files.filter((f) => !recorded.has(f.version)).map((f) => ({ version: f.version, name: f.name })),
    unknown: [...recorded.keys()].filter((v) => !known.has(v)).sort((a, b) => a - b),
  };
}
