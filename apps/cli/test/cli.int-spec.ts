// Before any decorated class loads: the config's class-transformer conversion reads design types.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { activityIdFromIdentity, bucketOf, HOME_BUCKET_MS, recordIdentity, toIso, USER_FEED_BUCKET_MS } from '@app/domain';
import { createKafka, ensureTopics } from '@app/messaging-kafka';
import { createCassandraClient, createCassandraStores, CassandraStores } from '@app/storage-cassandra';
import { testConfig, testEnv, uniqueTag, waitFor } from '@app/testing';
import { Client } from 'cassandra-driver';
import { Admin, Consumer, Kafka, Partitioners, Producer } from 'kafkajs';
import { cli, cliPort, ROOT, spawnWorker, Worker } from './support';

/**
 * `tideline` against the real Cassandra and Kafka, with topics, group and users of its own (testEnv), and the real
 * worker as a child process where records must be applied.
 */
jest.setTimeout(240_000);

const tag = uniqueTag('cli');
// Workers forget a cached "pulled" decision after 1 s, so `demote` waits 2 s instead of the default 31 s.
const env = { ...testEnv(tag), FANOUT_PULL_DECISION_CACHE_MS: '1000' };
const cfg = testConfig(tag);
const T = cfg.kafka.topics;
const u = (name: string): string => `${tag}_${name}`;

let client: Client;
let stores: CassandraStores;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let worker: Worker | null = null;
const extraConsumers: Consumer[] = [];

type Check = { name: string; verdict: string; detail: string; data?: Record<string, unknown> };
type DoctorDoc = { verdict: string; checks: Check[] };
const check = (doc: DoctorDoc, name: string): Check | undefined => doc.checks.find((c) => c.name === name);

async function rows(cql: string, params: unknown[], id?: string): Promise<number> {
  const rs = await client.execute(cql, params, { prepare: true, fetchSize: 5000 });
  return id === undefined ? rs.rows.length : rs.rows.filter((r) => r.get('id') === id).length;
}
const userFeedRows = (actor: string, ms: number, id?: string): Promise<number> => rows('SELECT id FROM user_feed WHERE actor = ? AND bucket = ?', [actor, bucketOf(ms, USER_FEED_BUCKET_MS)], id);
const homeRows = (user: string, ms: number, id?: string): Promise<number> => rows('SELECT id FROM home_timeline WHERE user_id = ? AND bucket = ?', [user, bucketOf(ms, HOME_BUCKET_MS)], id);

async function produce(topic: string, key: string, value: string, headers?: Record<string, string>): Promise<{ partition: number; offset: string }> {
  const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value, ...(headers ? { headers } : {}) }] });
  if (!meta?.baseOffset) throw new Error('no produce metadata');
  return { partition: meta.partition, offset: meta.baseOffset };
}

beforeAll(async () => {
  client = createCassandraClient(cfg.cassandra);
  await client.connect();
  stores = createCassandraStores(client, cfg);
  kafka = createKafka(cfg, 'cli-test');
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, cfg);
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  await worker?.stop();
  for (const c of extraConsumers) await c.disconnect().catch(() => undefined);
  await producer?.disconnect();
  await admin?.disconnect();
  await client?.shutdown();
});

describe('tideline doctor', () => {
  it('passes config, Cassandra, keyspace, schema, Kafka and topics; warns that no worker runs', async () => {
    const run = await cli(env, 'doctor', '--json');
    const doc = run.json<DoctorDoc>();
    expect({ code: run.code, verdict: doc.verdict }).toEqual({ code: 0, verdict: 'warn' });
    for (const name of ['config', 'cassandra', 'keyspace', 'schema', 'kafka']) expect(check(doc, name)).toMatchObject({ verdict: 'ok' });
    expect(check(doc, 'schema')?.data?.pending).toEqual([]);
    expect(check(doc, 'schema')?.data?.version).toBeGreaterThanOrEqual(4);
    expect(check(doc, `topic ${T.activities}`)).toMatchObject({ verdict: 'ok', data: { partitions: 3, replicationFactor: 1 } });
    expect(check(doc, `topic ${T.fanout}`)).toMatchObject({ verdict: 'ok', data: { partitions: 6 } });
    expect(check(doc, 'workers')).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('no worker is running') });
    const human = await cli(env, 'doctor');
    expect(human.out).toMatch(/^ok\s+schema\s+version \d+/m);
    expect(human.out).toContain('warn: ');
  });

  it('fails (exit 1) on a keyspace that does not exist and a replication factor above the brokers', async () => {
    const run = await cli({ ...env, CASSANDRA_KEYSPACE: `nope_${tag}`, KAFKA_REPLICATION_FACTOR: '3' }, 'doctor', '--json');
    const doc = run.json<DoctorDoc>();
    expect(run.code).toBe(1);
    expect(check(doc, 'keyspace')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('does not exist') });
    expect(check(doc, 'kafka')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('KAFKA_REPLICATION_FACTOR=3') });
  });

  it('warns when the group has more members than a topic has partitions', async () => {
    const group = `${tag}-crowd`;
    // Joined together, so the group settles after one rebalance instead of four.
    const crowd = Array.from({ length: 4 }, () => kafka.consumer({ groupId: group }));
    extraConsumers.push(...crowd);
    await Promise.all(
      crowd.map(async (c) => {
        await c.connect();
        await c.subscribe({ topics: [T.activities] });
        await c.run({ autoCommit: false, eachMessage: async () => undefined });
      }),
    );
    const doc = await waitFor('4 members in the group', async () => {
      const d = (await cli({ ...env, KAFKA_GROUP_ID: group }, 'doctor', '--json')).json<DoctorDoc>();
      return (check(d, 'workers')?.data?.members as unknown[] | undefined)?.length === 4 ? d : null;
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    expect(check(doc, 'workers')).toMatchObject({ verdict: 'warn', detail: expect.stringContaining(`${T.activities} has 3 partitions`) });
    for (const c of extraConsumers.splice(0)) await c.disconnect();
  });

  it('runs as `npm run -s cli -- doctor` from the clone', async () => {
    const res = await promisify(execFile)('npm', ['run', '-s', 'cli', '--', 'doctor', '--json'], { cwd: ROOT, env: { ...process.env, ...env } }).catch((e: { code: number; stdout: string }) => e);
    const doc = JSON.parse(res.stdout) as DoctorDoc;
    expect(doc.verdict).toBe('warn');
  });
});

describe('tideline dlq', () => {
  const author = u('big');
  let bigRef = '';
  let bigSource = { partition: -1, offset: '' };
  let published = '';

  it('lists and shows a record the worker dead-lettered as RECORD_TOO_LARGE under a small KAFKA_MAX_RECORD_BYTES', async () => {
    const small = { ...env, KAFKA_MAX_RECORD_BYTES: '2000' };
    worker = await spawnWorker(small, cliPort(0));
    published = toIso(Math.floor(Date.now() / 1000) * 1000);
    // Neither id nor foreignId: the activity's id derives from its (topic, partition, offset).
    bigSource = await produce(T.activities, author, JSON.stringify({ actor: author, type: 'post', object: 'note:big', published, extra: { pad: 'x'.repeat(3000) } }));
    const listed = await waitFor('the dead letter', async () => {
      const r = await cli(small, 'dlq', 'list', '--code', 'RECORD_TOO_LARGE', '--key', author, '--json');
      const doc = r.json<{ matched: number; records: { ref: string; code: string; source: Record<string, unknown> }[] }>();
      return doc.matched === 1 ? doc : null;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    await worker.stop();
    worker = null;
    const rec = listed.records[0];
    expect(rec).toMatchObject({ code: 'RECORD_TOO_LARGE', source: { topic: T.activities, partition: bigSource.partition, offset: bigSource.offset } });
    bigRef = rec?.ref ?? '';

    const shown = await cli(small, 'dlq', 'show', bigRef, '--json');
    expect(shown.code).toBe(0);
    expect(shown.json()).toMatchObject({ ref: bigRef, key: author, code: 'RECORD_TOO_LARGE', value: expect.stringContaining('note:big'), redrive: { kind: 'needs-force' } });
    const human = await cli(env, 'dlq', 'show', bigRef);
    expect(human.out).toContain('redrive:         yes');

    const missing = await cli(env, 'dlq', 'show', '0:999999', '--json');
    expect(missing.code).toBe(1);
    expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining('0:999999 is not in') } });
    const since = await cli(env, 'dlq', 'list', '--since', new Date(Date.now() + 60_000).toISOString(), '--json');
    expect(since.json()).toMatchObject({ matched: 0 });
  });

  it('refuses INVALID_RECORD and cut values, unless --force for the former; --dry-run sends nothing', async () => {
    const headers = (code: string, extra: Record<string, string> = {}): Record<string, string> => ({
      'error-code': code, 'error-message': 'test', 'source-topic': T.activities, 'source-partition': '0', 'source-offset': '0', ...extra,
    });
    const invalid = await produce(T.dlq, u('bad'), JSON.stringify({ actor: u('bad') }), headers('INVALID_RECORD'));
    const cut = await produce(T.dlq, u('cut'), 'xxxx', headers('RECORD_TOO_LARGE', { 'original-size': '99999999' }));
    const refused = await cli(env, 'dlq', 'redrive', `${invalid.partition}:${invalid.offset}`, '--json');
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({ error: { code: 'REFUSED', message: expect.stringContaining('--force to send anyway') } });
    const dry = await cli(env, 'dlq', 'redrive', `${invalid.partition}:${invalid.offset}`, `${cut.partition}:${cut.offset}`, '--force', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(dry.json<{ records: { action: string }[] }>().records.map((r) => r.action)).toEqual(['would-send', 'refused']);
    const byCode = await cli(env, 'dlq', 'redrive', '--code', 'INVALID_RECORD', '--dry-run', '--json');
    expect(byCode.json<{ records: { ref: string; action: string }[] }>().records).toEqual([expect.objectContaining({ ref: `${invalid.partition}:${invalid.offset}`, action: 'refused' })]);
  });

  it('redrives the record twice once the limit is back to default: one feed entry, with the id of its original position', async () => {
    const before = await admin.fetchTopicOffsets(T.activities);
    for (let i = 0; i < 2; i++) {
      const run = await cli(env, 'dlq', 'redrive', bigRef, '--json');
      expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: '' });
      expect(run.json()).toMatchObject({ sent: 1, records: [{ ref: bigRef, action: 'sent', to: T.activities }] });
    }
    const after = await admin.fetchTopicOffsets(T.activities);
    const added = after.reduce((n, p) => n + Number(p.high) - Number(before.find((b) => b.partition === p.partition)?.high ?? 0), 0);
    expect(added).toBe(2);

    worker = await spawnWorker(env, cliPort(1));
    const ms = Date.parse(published);
    const id = activityIdFromIdentity(ms, recordIdentity(T.activities, bigSource.partition, bigSource.offset));
    await waitFor('both redriven records consumed', async () => (await worker?.metric('tideline_records_consumed_total', { topic: T.activities, outcome: 'ok' })) === 2, { timeoutMs: 60_000 });
    expect(await userFeedRows(author, ms, id)).toBe(1);
    expect(await userFeedRows(author, ms)).toBe(1);
  });
});

describe('tideline rebuild', () => {
  it("re-materialises an inactive reader's home from their followees", async () => {
    const author = u('au');
    const reader = u('rd');
    await stores.graph.apply({ op: 'follow', user: reader, target: author, atMs: Date.now() - 60_000 });
    const ms = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    for (const n of [1, 2, 3]) await produce(T.activities, author, JSON.stringify({ actor: author, type: 'post', object: `note:${n}`, foreignId: `p${n}`, published: toIso(ms + n) }));
    await waitFor('the author feed', async () => (await userFeedRows(author, ms)) === 3, { timeoutMs: 60_000 });
    // The reader never read: fanout skipped them as inactive.
    expect(await homeRows(reader, ms)).toBe(0);

    const run = await cli(env, 'rebuild', reader, '--json');
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ user: reader, authors: 2, pulledAuthors: 0, homeLayout: expect.any(Number) });
    expect(await homeRows(reader, ms)).toBe(3);
    const state = await stores.readers.get(reader);
    expect(state.lastReadMs).not.toBeNull();
    const human = await cli(env, 'rebuild', reader);
    expect(human.out).toContain(`rebuilt the home timeline of ${reader}`);
  });
});

// The promoted author's post, served by pull: the demote test expects it in every follower's home afterwards.
let pulledPostMs = 0;

describe('tideline promote', () => {
  it('switches an author below the threshold to pull: followers get pulled_follows rows, new posts are not fanned out', async () => {
    const author = u('star');
    const fans = [u('fan1'), u('fan2'), u('fan3')];
    for (const f of fans) {
      await stores.graph.apply({ op: 'follow', user: f, target: author, atMs: Date.now() - 60_000 });
      await stores.readers.setLastRead(f, Date.now());
    }
    const run = await cli(env, 'promote', author, '--json');
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ author, mode: 'pull', alreadyPulled: false, followers: 3, threshold: cfg.policy.highFollowerThreshold });
    expect(await stores.graph.isHighFollower(author)).toBe(true);
    for (const f of fans) expect(await stores.graph.pulledFollows(f)).toEqual([author]);
    const again = await cli(env, 'promote', author);
    expect(again.out).toContain('already served by pull');

    const ms = Math.floor(Date.now() / 1000) * 1000;
    pulledPostMs = ms;
    await produce(T.activities, author, JSON.stringify({ actor: author, type: 'post', object: 'note:pulled', foreignId: 'pulled-1', published: toIso(ms) }));
    await waitFor('the author feed', async () => (await userFeedRows(author, ms)) === 1, { timeoutMs: 60_000 });
    for (const f of fans) expect(await homeRows(f, ms)).toBe(0);
  });
});

describe('tideline demote', () => {
  it("switches the promoted author back to push: the pulled post lands in every follower's home, the next one is fanned out, promote lifts the pin", async () => {
    const author = u('star');
    const fans = [u('fan1'), u('fan2'), u('fan3')];
    expect(worker).not.toBeNull();
    const ms = pulledPostMs;
    expect(await homeRows(fans[0] ?? '', ms)).toBe(0);

    const run = await cli(env, 'demote', author, '--json');
    expect({ code: run.code }).toEqual({ code: 0 });
    expect(run.json()).toEqual({ author, mode: 'push', pinned: true, alreadyPushed: false, followers: 3, activitiesCopied: 1, waitedMs: expect.any(Number), threshold: cfg.policy.highFollowerThreshold });
    // The wait is FANOUT_PULL_DECISION_CACHE_MS (1 s) + the 1 s margin, and says so on stderr.
    expect(run.json<{ waitedMs: number }>().waitedMs).toBeGreaterThanOrEqual(2_000);
    expect(run.err).toContain('waiting 2000 ms');
    expect(await stores.graph.isHighFollower(author)).toBe(false);
    expect(await stores.graph.isPushPinned(author)).toBe(true);
    for (const f of fans) {
      expect(await stores.graph.pulledFollows(f)).toEqual([]);
      expect(await homeRows(f, ms)).toBe(1);
    }
    const again = await cli(env, 'demote', author);
    expect(again.code).toBe(0);
    expect(again.out).toContain('already pinned to push');

    // The running worker's cached "pulled" has expired: the next post is pushed into every home.
    const next = ms + 1_000;
    await produce(T.activities, author, JSON.stringify({ actor: author, type: 'post', object: 'note:pushed', foreignId: 'pushed-1', published: toIso(next) }));
    for (const f of fans) await waitFor(`the pushed post in ${f}'s home`, async () => (await homeRows(f, next)) === (bucketOf(next, HOME_BUCKET_MS) === bucketOf(ms, HOME_BUCKET_MS) ? 2 : 1), { timeoutMs: 60_000 });

    const lifted = await cli(env, 'promote', author, '--json');
    expect(lifted.json()).toMatchObject({ author, mode: 'pull', alreadyPulled: false, followers: 3 });
    expect(await stores.graph.isPushPinned(author)).toBe(false);
    for (const f of fans) expect(await stores.graph.pulledFollows(f)).toEqual([author]);
  });
});

describe('tideline replay', () => {
  it('refuses while the group has members, waits with --wait until the worker stops, and moves back, never forward', async () => {
    const group = cfg.kafka.groupId;
    const busy = await cli(env, 'replay', '--to-offset', '0', '--json');
    expect(busy.code).toBe(1);
    expect(busy.json()).toMatchObject({ error: { code: 'GROUP_ACTIVE', message: expect.stringContaining('--wait') } });

    const waiting = cli(env, 'replay', '--to-offset', '0', '--wait', '--wait-timeout', '90', '--json');
    await new Promise((r) => setTimeout(r, 1_500));
    await worker?.stop();
    worker = null;
    const run = await waiting;
    expect({ code: run.code, err: run.err }).toMatchObject({ code: 0 });
    const doc = run.json<{ records: number; topics: { topic: string; steps: { partition: number; target: string; action: string }[] }[] }>();
    expect(doc.records).toBeGreaterThan(0);
    const committed = (await admin.fetchOffsets({ groupId: group, topics: [T.activities] }))[0]?.partitions ?? [];
    const low = await admin.fetchTopicOffsets(T.activities);
    for (const p of committed) {
      const step = doc.topics[0]?.steps.find((s) => s.partition === p.partition);
      if (step?.action === 'back') expect(p.offset).toBe(low.find((l) => l.partition === p.partition)?.low);
    }

    // Now at the start: a later time would move forward, so nothing changes.
    const later = await cli(env, 'replay', '--to-time', new Date().toISOString(), '--json');
    expect(later.code).toBe(0);
    expect(later.json<{ records: number; topics: { steps: { action: string }[] }[] }>()).toMatchObject({ records: 0 });
    expect(later.json<{ topics: { steps: { action: string }[] }[] }>().topics[0]?.steps.every((s) => s.action === 'unchanged')).toBe(true);
    const dry = await cli(env, 'replay', '--to-offset', '0', '--topic', 'no-such-topic', '--json');
    expect(dry.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
