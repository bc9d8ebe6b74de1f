import { activityIdFromIdentity, dayNumber, foreignIdentity, recordIdentity, toIso } from '@app/domain';
import { testConfig, testEnv, uniqueTag, waitFor } from '@app/testing';
import { Fixtures, openFixtures } from './fixtures';
import { portFor, startWorker, WorkerProcess } from './worker-process';

/**
 * The real worker process against the real Kafka and Cassandra. One worker (own topics and group via
 * testEnv) serves the whole file; FANOUT_HIGH_FOLLOWER_THRESHOLD=50 so the pull path is reachable.
 */
jest.setTimeout(120_000);

const tag = uniqueTag('fw');
const env = testEnv(tag, { FANOUT_HIGH_FOLLOWER_THRESHOLD: '50' });
const cfg = testConfig(tag, { FANOUT_HIGH_FOLLOWER_THRESHOLD: '50' });
const T = cfg.kafka.topics;
let fx: Fixtures;
let worker: WorkerProcess;

const u = (name: string): string => `${tag}_${name}`;
const fidId = (actor: string, fid: string, ms: number): string => activityIdFromIdentity(ms, foreignIdentity(actor, fid, toIso(ms)));
const activity = (actor: string, fields: Record<string, unknown> = {}): string => JSON.stringify({ actor, type: 'post', object: `note:${Math.random().toString(36).slice(2, 8)}`, ...fields });
/** Second-aligned "now" so the ISO form round-trips exactly. */
const nowMs = (): number => Math.floor(Date.now() / 1000) * 1000;

async function follow(user: string, target: string, active = true): Promise<void> {
  await fx.stores.graph.apply({ op: 'follow', user, target, atMs: Date.now() - 60_000 });
  if (active) await fx.stores.readers.setLastRead(user, Date.now());
}

beforeAll(async () => {
  fx = await openFixtures(cfg);
  worker = await startWorker(env, portFor(1));
});

afterAll(async () => {
  await worker?.stop();
  await fx?.close();
});

describe('fanout worker', () => {
  it('delivers an activity to the author feed and every active follower, once per identity', async () => {
    const author = u('a1');
    const followers = [u('f1a'), u('f1b'), u('f1c')];
    for (const f of followers) await follow(f, author);
    const ms = nowMs();
    const id = fidId(author, 'post-1', ms);
    const value = activity(author, { foreignId: 'post-1', published: toIso(ms) });

    await fx.produce(T.activities, author, value);
    await waitFor('author feed and follower homes', async () => {
      const counts = await Promise.all([fx.userFeedRows(author, ms, id), fx.homeRows(author, ms, id), ...followers.map((f) => fx.homeRows(f, ms, id))]);
      return counts.every((c) => c === 1);
    });

    // Produced again (a producer retry): same (actor, foreignId, published) ⇒ same id ⇒ still one row.
    const okBefore = await worker.metric('tideline_records_consumed_total', { topic: T.activities, outcome: 'ok' });
    await fx.produce(T.activities, author, value);
    await waitFor('the duplicate to be consumed', async () => (await worker.metric('tideline_records_consumed_total', { topic: T.activities, outcome: 'ok' })) > okBefore);
    expect(await fx.userFeedRows(author, ms, id)).toBe(1);
    for (const f of followers) expect(await fx.homeRows(f, ms, id)).toBe(1);
  });

  it('dead-letters every kind of bad record with the contract headers and goes on with the partition', async () => {
    const key = u('poison'); // one key ⇒ one partition, in order
    const author = u('a2');
    const bad: [string, Buffer | string | null][] = [
      ['NOT_JSON', 'this is {not json'],
      ['EMPTY_VALUE', ''],
      ['EMPTY_VALUE', null],
      ['INVALID_RECORD', JSON.stringify({ actor: author })],
      ['INVALID_RECORD', JSON.stringify({ actor: 'not a valid id!', type: 'post', object: 'x' })],
      ['INVALID_RECORD', JSON.stringify({ actor: author, type: 'post', object: 'x', published: 'yesterday' })],
      ['INVALID_RECORD', JSON.stringify({ actor: author, type: 'post', object: 'x', surprise: 1 })],
      ['INVALID_RECORD', JSON.stringify([1, 2, 3])],
      ['RECORD_TOO_LARGE', JSON.stringify({ actor: author, type: 'post', object: 'x', extra: { pad: 'x'.repeat(cfg.kafka.maxRecordBytes + 10) } })],
      ['UNKNOWN_OP', JSON.stringify({ op: 'update', actor: author, type: 'post', object: 'x' })],
      ['NOT_JSON', Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x37, 0x80, 0x81])],
    ];
    const sent: { code: string; offset: string; partition: number }[] = [];
    for (const [code, value] of bad) {
      const { partition, offset } = await fx.produce(T.activities, key, value);
      sent.push({ code, offset, partition });
    }
    const graphBad = await fx.produce(T.follows, key, JSON.stringify({ op: 'poke', user: author, target: u('x') }));
    // The next valid record on the same partition is still processed.
    const ms = nowMs();
    const good = { ...JSON.parse(activity(author)), actor: author, foreignId: 'after-poison', published: toIso(ms) } as Record<string, unknown>;
    await fx.produce(T.activities, key, JSON.stringify(good));
    await waitFor('the valid record after the poison', async () => (await fx.userFeedRows(author, ms, fidId(author, 'after-poison', ms))) === 1);

    const consumer = fx.kafka.consumer({ groupId: `${tag}-dlq-reader` });
    const seen = new Map<string, Record<string, string>>();
    await consumer.connect();
    await consumer.subscribe({ topics: [T.dlq], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const h = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        if (message.key?.toString() === key) seen.set(`${h['source-topic']}:${h['source-offset']}`, h);
      },
    });
    try {
      await waitFor('all poison records in the DLQ', () => seen.size >= bad.length + 1, { timeoutMs: 30_000, describe: () => [...seen.keys()] });
    } finally {
      await consumer.disconnect();
    }
    for (const s of sent) {
      const h = seen.get(`${T.activities}:${s.offset}`);
      expect(h).toBeDefined();
      expect(h?.['error-code']).toBe(s.code);
      expect(h?.['error-message']?.length).toBeGreaterThan(0);
      expect(h?.['source-partition']).toBe(String(s.partition));
    }
    expect(seen.get(`${T.follows}:${graphBad.offset}`)?.['error-code']).toBe('UNKNOWN_OP');
    expect(await worker.metric('tideline_records_dead_lettered_total', { topic: T.activities })).toBeGreaterThanOrEqual(bad.length);
  });

  it('backfills on follow, removes on unfollow, and removes a delete from feeds, homes and notifications', async () => {
    const author = u('a3');
    const fan = u('f3new');
    const old = u('f3old');
    const mentioned = u('n3');
    await follow(old, author);
    await fx.stores.readers.setLastRead(fan, Date.now());
    const ms = nowMs() - 5_000;
    const id1 = fidId(author, 'p1', ms);
    const id2 = fidId(author, 'p2', ms + 1000);
    await fx.produce(T.activities, author, activity(author, { foreignId: 'p1', published: toIso(ms) }));
    await fx.produce(T.activities, author, activity(author, { foreignId: 'p2', published: toIso(ms + 1000), to: [mentioned] }));
    await waitFor('both activities stored', async () => (await fx.userFeedRows(author, ms, id1)) + (await fx.homeRows(old, ms + 1000, id2)) === 2);

    await fx.produce(T.follows, fan, JSON.stringify({ op: 'follow', user: fan, target: author, at: toIso(Date.now()) }));
    await waitFor('follow backfill', async () => (await fx.homeRows(fan, ms, id1)) === 1 && (await fx.homeRows(fan, ms + 1000, id2)) === 1);

    await fx.produce(T.follows, fan, JSON.stringify({ op: 'unfollow', user: fan, target: author, at: toIso(Date.now() + 1) }));
    await waitFor('unfollow removal', async () => (await fx.homeRows(fan, ms, id1)) === 0 && (await fx.homeRows(fan, ms + 1000, id2)) === 0);

    const notified = async (): Promise<number> => (await fx.stores.notifications.readDay(mentioned, dayNumber(ms + 1000), 1000)).filter((n) => n.id === id2).length;
    expect(await notified()).toBe(1);
    await fx.produce(T.activities, author, JSON.stringify({ op: 'delete', id: id2, actor: author }));
    await waitFor('delete everywhere', async () => {
      const rows = await Promise.all([fx.userFeedRows(author, ms + 1000, id2), fx.homeRows(author, ms + 1000, id2), fx.homeRows(old, ms + 1000, id2), notified()]);
      return rows.every((r) => r === 0);
    });
    expect((await fx.stores.activities.get(id2))?.deleted).toBe(true);
    expect(await fx.homeRows(old, ms, id1)).toBe(1); // the other activity is untouched
  });

  it('serves a high-follower author by pull and skips inactive followers', async () => {
    const star = u('star');
    const fans = Array.from({ length: 50 }, (_, i) => u(`sf${i}`));
    await Promise.all(fans.map((f, i) => follow(f, star, i < 5)));
    const ms = nowMs();
    const id = fidId(star, 's1', ms);
    await fx.produce(T.activities, star, activity(star, { foreignId: 's1', published: toIso(ms) }));
    await waitFor('promotion to pull', async () => {
      const hf = await fx.client.execute('SELECT author_id FROM high_follower_authors WHERE author_id = ?', [star], { prepare: true });
      return hf.rowLength === 1 && (await fx.userFeedRows(star, ms, id)) === 1;
    });
    for (const f of fans.slice(0, 5)) expect(await fx.stores.graph.pulledFollows(f)).toContain(star);
    const pulled = await Promise.all(fans.map((f) => fx.stores.graph.pulledFollows(f)));
    expect(pulled.every((p) => p.includes(star))).toBe(true);
    const homes = await Promise.all(fans.map((f) => fx.homeRows(f, ms, id)));
    expect(homes.reduce((a, b) => a + b, 0)).toBe(0);

    const author = u('a5');
    const active = [u('act1'), u('act2')];
    const inactive = u('idle');
    for (const f of active) await follow(f, author, true);
    await follow(inactive, author, false);
    const ms2 = nowMs();
    const id2 = fidId(author, 'q1', ms2);
    await fx.produce(T.activities, author, activity(author, { foreignId: 'q1', published: toIso(ms2) }));
    await waitFor('active followers', async () => (await Promise.all(active.map((f) => fx.homeRows(f, ms2, id2)))).every((c) => c === 1));
    expect(await fx.homeRows(inactive, ms2, id2)).toBe(0);
  });

  it('stops on SIGTERM with exit code 0, and a redelivered record leaves one row', async () => {
    const author = u('a6');
    const fan = u('f6');
    await follow(fan, author);
    // No id and no foreignId: the id derives from (topic, partition, offset), so a replay maps to it.
    const rec = await fx.produce(T.activities, author, activity(author));
    const lookup = async (): Promise<{ id: string; ms: number } | undefined> => {
      const page = await fx.stores.timelines.readUserFeed(author, null, Date.now() - 3_600_000, 10);
      const row = page.rows[0];
      return row ? { id: row.id, ms: row.ms } : undefined;
    };
    const first = await waitFor('the record to be stored', lookup);
    expect(first.id).toBe(activityIdFromIdentity(first.ms, recordIdentity(T.activities, rec.partition, rec.offset)));

    expect(await worker.stop()).toBe(0);
    await fx.admin.resetOffsets({ groupId: cfg.kafka.groupId, topic: T.activities, earliest: true });
    worker = await startWorker(env, portFor(1));
    // A sentinel on the same key (same partition) proves the replay has passed the record.
    const ms2 = nowMs();
    await fx.produce(T.activities, author, activity(author, { foreignId: 'sentinel', published: toIso(ms2) }));
    await waitFor('the replay to pass the sentinel', async () => (await fx.homeRows(fan, ms2, fidId(author, 'sentinel', ms2))) === 1);
    expect(await fx.userFeedRows(author, first.ms, first.id)).toBe(1);
    expect(await fx.homeRows(fan, first.ms, first.id)).toBe(1);
    expect(await worker.metric('tideline_records_consumed_total', { topic: T.activities })).toBeGreaterThan(1);
  });
});
