/**
 * Shared helpers of the fault-injection suite (`npm run test:faults`, test/faults/*.fault-spec.ts).
 *
 * Quick mode (default, used by .ci/run) and full mode (TIDELINE_FAULTS_FULL=1) differ only in sizes and in the
 * number of kill points; see each spec's header.
 *
 * Servers are stopped/killed/started ONLY through scripts/infra.mjs (spawned as `node scripts/infra.mjs <cmd>
 * <service>` with this process's environment), so every fault acts on whichever pair TIDELINE_INFRA_DIR and the
 * INFRA_*_PORT variables select. Never run this suite against servers that others use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, types } from 'cassandra-driver';
import { Admin, AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { bucketOf, HOME_BUCKET_MS, USER_FEED_BUCKET_MS } from '@app/domain';
import { runNodeScript, testEnv } from '@app/testing';
import { CassandraStores, FOLLOW_COUNTS_CQL, FOLLOWERS_CQL, FOLLOWING_CQL } from '@app/storage-cassandra';
import { pool } from '../../../apps/fanout-worker/test/fixtures';

export { pool };

export const FULL = process.env['TIDELINE_FAULTS_FULL'] === '1';
const ROOT = path.resolve(__dirname, '../../..');

/** The brokers and contact points of the configured infra pair (the env the suite runs with). */
export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

/**
 * testEnv for one fault spec: its own topics, group and user prefix, the configured servers passed on explicitly
 * (the e2e stack's own admin client reads KAFKA_BROKERS from this env), and no rate limit in the way of load.
 */
export function faultEnv(tag: string, overrides: Record<string, string> = {}): Record<string, string> {
  return testEnv(tag, serverOverrides(overrides));
}

/** The part of faultEnv that is not per-test naming: for startStack(), which adds its own testEnv. */
export function serverOverrides(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS,
    ...(process.env['CASSANDRA_CONTACT_POINTS'] ? { CASSANDRA_CONTACT_POINTS: process.env['CASSANDRA_CONTACT_POINTS'] } : {}),
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  };
}

export type Service = 'cassandra' | 'kafka';

const infra = (args: string[], timeoutMs?: number): Promise<string> => runNodeScript(path.join(ROOT, 'scripts/infra.mjs'), args, ROOT, timeoutMs);

/** SIGTERM (graceful) or SIGKILL (crash) one server; fails unless the server was running and is now gone. */
export async function stopService(name: Service, how: 'stop' | 'kill' = 'kill'): Promise<void> {
  const out = await infra([how, name]);
  if (!/(stopping|killing) pid/.test(out)) throw new Error(`fault not injected: ${name} was not running under this infra dir:\n${out}`);
}

/** Starts one server (data kept) and waits until it answers its protocol. Idempotent. */
export async function startService(name: Service): Promise<void> {
  await infra(['start', name]);
}

// -----------------------------------------------------------------------------------------------------------------
// Cassandra checks

/** Every id in one home_timeline partition, with repetitions (a duplicate shows as the id twice). */
export async function homeIds(client: Client, user: string, ms: number): Promise<string[]> {
  return partitionIds(client, 'SELECT id FROM home_timeline WHERE user_id = ? AND bucket = ?', [user, bucketOf(ms, HOME_BUCKET_MS)]);
}

export async function userFeedIds(client: Client, actor: string, ms: number): Promise<string[]> {
  return partitionIds(client, 'SELECT id FROM user_feed WHERE actor = ? AND bucket = ?', [actor, bucketOf(ms, USER_FEED_BUCKET_MS)]);
}

async function partitionIds(client: Client, cql: string, params: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  let pageState: string | undefined;
  do {
    const rs = await client.execute(cql, params, { prepare: true, fetchSize: 1000, ...(pageState ? { pageState } : {}) });
    for (const r of rs.rows) ids.push(String(r.get('id')));
    pageState = rs.pageState ?? undefined;
  } while (pageState);
  return ids;
}

export interface DeliveryReport {
  users: number;
  /** Users missing an expected id. */
  missing: number;
  /** Users holding an expected id more than once. */
  duplicated: number;
  /** Users holding an id that was not expected (in the checked partitions). */
  extra: number;
  examples: string[];
}

/**
 * For each user: the home_timeline partitions of the given times hold every `expected` id exactly once and no
 * other id among `universe` (ids this test may have produced: anything else in the partition is not ours).
 */
export async function checkHomes(
  client: Client,
  users: readonly string[],
  expected: (user: string) => ReadonlySet<string>,
  msList: readonly number[],
  universe?: ReadonlySet<string>,
  concurrency = 128,
): Promise<DeliveryReport> {
  const buckets = [...new Set(msList.map((ms) => bucketOf(ms, HOME_BUCKET_MS)))].map((b) => b * HOME_BUCKET_MS);
  const report: DeliveryReport = { users: users.length, missing: 0, duplicated: 0, extra: 0, examples: [] };
  await pool(users, concurrency, async (u) => {
    const ids = (await Promise.all(buckets.map((ms) => homeIds(client, u, ms)))).flat();
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const want = expected(u);
    let bad = '';
    if ([...want].some((id) => !counts.has(id))) {
      report.missing++;
      bad = `missing ${[...want].filter((id) => !counts.has(id)).length} of ${want.size}`;
    }
    if ([...counts.entries()].some(([id, n]) => want.has(id) && n > 1)) {
      report.duplicated++;
      bad += ' duplicated';
    }
    if ([...counts.keys()].some((id) => !want.has(id) && (universe === undefined || universe.has(id)))) {
      report.extra++;
      bad += ' extra';
    }
    if (bad && report.examples.length < 5) report.examples.push(`${u}: ${bad.trim()}`);
  });
  return report;
}

/**
 * `count` followers of `author`, all made active (last read now), written straight into Cassandra. The rows are the
 * ones GraphStore.apply writes for a follow (following + followers mirrors with the follow's timestamp, the
 * follower counter), but the followers partition of the author is written in unlogged single-partition batches of
 * 100: GraphStore.apply (read, 2 writes, read, 2 counter updates per edge) took 150 s for 50,000 on a loaded
 * 2-core box, this takes a fraction of it. Each follower's own `following` counter is not maintained (nothing in
 * the fanout reads it).
 */
export async function createFollowers(client: Client, stores: CassandraStores, author: string, prefix: string, count: number, concurrency = 192): Promise<string[]> {
  const followers = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const now = Date.now();
  const atMs = now - 60_000;
  const ts = types.Long.fromNumber(atMs * 1000);
  const since = new Date(atMs);
  const batches: string[][] = [];
  for (let i = 0; i < followers.length; i += 100) batches.push(followers.slice(i, i + 100));
  await pool(batches, 16, async (batch) => {
    await retryTransient(() => client.batch(batch.map((f) => ({ query: FOLLOWERS_CQL.insert, params: [author, f, since, ts] })), { prepare: true, logged: false }));
  });
  await pool(followers, concurrency, async (f) => {
    await retryTransient(() => client.execute(FOLLOWING_CQL.insert, [f, author, since, ts], { prepare: true }));
    await retryTransient(() => stores.readers.setLastRead(f, now));
  });
  await client.execute(FOLLOW_COUNTS_CQL.addFollowers, [types.Long.fromNumber(count), author], { prepare: true });
  return followers;
}

/** Test-side setup writes only: retry a timed-out write (upserts are idempotent) rather than fail the setup. */
async function retryTransient<T>(op: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (e) {
      const name = (e as Error).name;
      if (i >= attempts || !['OperationTimedOutError', 'ResponseError', 'NoHostAvailableError'].includes(name)) throw e;
      await new Promise((r) => setTimeout(r, 200 * i));
    }
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Kafka checks

export function kafkaClient(id: string): Kafka {
  return new Kafka({ clientId: id, brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
}

/** Records the group has not committed yet on `topics` (end offset minus committed offset, per partition). */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  let total = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  for (const t of topics) {
    const ends = await admin.fetchTopicOffsets(t);
    const done = committed.find((c) => c.topic === t)?.partitions ?? [];
    for (const e of ends) {
      const c = Number(done.find((p) => p.partition === e.partition)?.offset ?? -1);
      total += Number(e.high) - (c < 0 ? Number(e.low) : c);
    }
  }
  return total;
}

export interface GroupView {
  state: string;
  /** memberId -> clientId, and the partitions it owns, as "topic:partition". */
  members: { memberId: string; clientId: string; partitions: string[] }[];
}

export async function describeGroup(admin: Admin, groupId: string): Promise<GroupView> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0];
  if (!g) return { state: 'Unknown', members: [] };
  return {
    state: g.state,
    members: g.members.map((m) => {
      const a = m.memberAssignment?.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      const partitions = a ? Object.entries(a.assignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)) : [];
      return { memberId: m.memberId, clientId: m.clientId, partitions };
    }),
  };
}

export interface DlqEntry {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Reads the whole dead-letter topic (from the beginning) until `done(entries)` holds, then disconnects. */
export async function readDlq(kafka: Kafka, topic: string, groupId: string, done: (entries: DlqEntry[]) => boolean, timeoutMs = 60_000): Promise<DlqEntry[]> {
  const entries: DlqEntry[] = [];
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        entries.push({ key: message.key?.toString() ?? null, value: message.value, headers });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done(entries)) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await consumer.disconnect();
  }
  return entries;
}

// -----------------------------------------------------------------------------------------------------------------
// Processes

/** Resident set size of a live process in bytes (Linux /proc), or null once it is gone. */
export function rssBytes(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Second-aligned ms, so ISO `published` round-trips exactly. */
export const secondMs = (ms = Date.now()): number => Math.floor(ms / 1000) * 1000;

/** Log line for the suite's report (the counts each case checked). */
export function note(msg: string): void {
  process.stdout.write(`[faults] ${msg}\n`);
}

/** Collects contract violations during a fault, so that one run reports all of them when asserted at the end. */
export function violationLog(): { violations: string[]; check: (what: string, ok: boolean, detail: unknown) => void } {
  const violations: string[] = [];
  return {
    violations,
    check: (what, ok, detail) => {
      if (!ok) violations.push(`${what}: ${JSON.stringify(detail).slice(0, 400)}`);
    },
  };
}
