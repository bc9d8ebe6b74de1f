/**
 * Fault 2: two workers share the group (6 partitions per topic) under a steady stream of activities produced
 * straight to Kafka; one is SIGKILLed: the survivor takes over all its partitions (after the session timeout) and
 * keeps consuming. Then a third worker joins: the partitions spread over two members again and the newcomer
 * consumes. The stream never pauses.
 *
 * Checked afterwards: every produced activity is in its author's feed exactly once and in each of the author's
 * followers' homes exactly once, no home holds anything it should not, nothing was dead-lettered, lag is 0.
 *
 * Quick mode: 30 authors x 3 followers, ~25 events/s. Full mode: 60 authors, ~50 events/s, and the stream runs
 * longer between the steps.
 */
import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { loadAppConfig } from '@app/config';
import { uniqueTag, waitFor } from '@app/testing';
import { Fixtures, openFixtures } from '../../apps/fanout-worker/test/fixtures';
import { portFor, startWorker, WorkerProcess } from '../../apps/fanout-worker/test/worker-process';
import { checkHomes, describeGroup, faultEnv, FULL, groupLag, note, pool, userFeedIds } from './support/faults';

jest.setTimeout(600_000);

const AUTHORS = FULL ? 60 : 30;
const FOLLOWERS_EACH = 3;
const GAP_MS = FULL ? 20 : 40;
const STEP_MS = FULL ? 15_000 : 5_000;
const tag = uniqueTag('rb');
const env = faultEnv(tag, { KAFKA_PARTITIONS: '6' });
const cfg = loadAppConfig(env);
const T = cfg.kafka.topics;
const TOPICS = [T.activities, T.follows, T.fanout];
let fx: Fixtures;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fx = await openFixtures(cfg);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await fx?.close();
});

it('loses and duplicates nothing when a worker dies and another joins under a steady stream', async () => {
  const authors = Array.from({ length: AUTHORS }, (_, i) => `${tag}_a${i}`);
  const followersOf = new Map(authors.map((a) => [a, Array.from({ length: FOLLOWERS_EACH }, (_, j) => `${a}_f${j}`)]));
  await pool(authors, 16, async (a) => {
    for (const f of followersOf.get(a) ?? []) {
      await fx.stores.graph.apply({ op: 'follow', user: f, target: a, atMs: Date.now() - 60_000 });
      await fx.stores.readers.setLastRead(f, Date.now());
    }
  });

  const [w1, w2] = await Promise.all([startWorker(env, portFor(0)), startWorker(env, portFor(1))]);
  if (!w1 || !w2) throw new Error('workers');
  workers.push(w1, w2);
  const totalPartitions = (await Promise.all(TOPICS.map((t) => fx.admin.fetchTopicOffsets(t)))).reduce((n, p) => n + p.length, 0);
  const spread = async (members: number): Promise<boolean> => {
    const g = await describeGroup(fx.admin, cfg.kafka.groupId);
    return (
      g.state === 'Stable' &&
      g.members.length === members &&
      g.members.every((m) => m.partitions.length > 0) &&
      g.members.reduce((n, m) => n + m.partitions.length, 0) === totalPartitions
    );
  };
  await waitFor('two members sharing every partition', () => spread(2), { timeoutMs: 90_000, intervalMs: 500, describe: () => describeGroup(fx.admin, cfg.kafka.groupId) });

  // The steady stream: one activity every GAP_MS, round-robin over the authors (keys spread over partitions).
  const produced: { actor: string; id: string; ms: number }[] = [];
  let streaming = true;
  const stream = (async () => {
    for (let n = 0; streaming; n++) {
      const actor = authors[n % authors.length] as string;
      const ms = Date.now();
      const fid = `s${n}`;
      await fx.produce(T.activities, actor, JSON.stringify({ actor, type: 'post', object: `note:${fid}`, foreignId: fid, published: toIso(ms) }));
      produced.push({ actor, ms, id: activityIdFromIdentity(ms, foreignIdentity(actor, fid, toIso(ms))) });
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
  })();
  const consumed = (w: WorkerProcess): Promise<number> => w.metric('tideline_records_consumed_total', { topic: T.activities });

  try {
    await waitFor('both workers consuming the stream', async () => (await consumed(w1)) > 0 && (await consumed(w2)) > 0, { timeoutMs: 60_000, intervalMs: 250 });
    await new Promise((r) => setTimeout(r, STEP_MS)); // steady state for a while (a duration, not a wait)

    const before = await describeGroup(fx.admin, cfg.kafka.groupId);
    w2.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor('the killed worker to be gone', () => w2.proc.signalCode === 'SIGKILL');
    note(`fault 2: worker 2 SIGKILLed after ${produced.length} produced; partitions before: ${before.members.map((m) => m.partitions.length).join('/')}`);

    // The survivor takes over every partition once the dead member's session expires, and keeps consuming.
    await waitFor('the survivor to own every partition', () => spread(1), { timeoutMs: 90_000, intervalMs: 500, describe: () => describeGroup(fx.admin, cfg.kafka.groupId) });
    const takeoverMs = Date.now() - killedAt;
    const afterTakeover = await consumed(w1);
    await waitFor('the survivor to catch up with the stream', async () => (await groupLag(fx.admin, cfg.kafka.groupId, TOPICS)) <= 20 && (await consumed(w1)) > afterTakeover, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    note(`fault 2: survivor owned all ${totalPartitions} partitions ${(takeoverMs / 1000).toFixed(1)} s after the kill and caught up`);

    // A third worker joins: the work spreads again.
    const w3 = await startWorker(env, portFor(2));
    workers.push(w3);
    await waitFor('two members sharing every partition again', () => spread(2), { timeoutMs: 90_000, intervalMs: 500, describe: () => describeGroup(fx.admin, cfg.kafka.groupId) });
    await waitFor('the newcomer to consume part of the stream', async () => (await consumed(w3)) >= 5, { timeoutMs: 60_000, intervalMs: 250 });
    await new Promise((r) => setTimeout(r, STEP_MS));
    const after = await describeGroup(fx.admin, cfg.kafka.groupId);
    note(`fault 2: worker 3 joined; partitions after: ${after.members.map((m) => m.partitions.length).join('/')}`);
  } finally {
    streaming = false;
    await stream;
  }

  await waitFor('group lag 0', async () => (await groupLag(fx.admin, cfg.kafka.groupId, TOPICS)) === 0, { timeoutMs: 120_000, intervalMs: 500 });
  const alive = workers.filter((w) => w !== w2);
  for (const w of alive) expect(w.proc.exitCode).toBeNull();
  const perWorker = await Promise.all(alive.map((w) => consumed(w)));

  // Author feeds: exactly the produced ids, each once.
  const byActor = new Map<string, { ids: Set<string>; ms: number[] }>();
  for (const p of produced) {
    const e = byActor.get(p.actor) ?? { ids: new Set<string>(), ms: [] };
    e.ids.add(p.id);
    e.ms.push(p.ms);
    byActor.set(p.actor, e);
  }
  let missing = 0;
  let duplicated = 0;
  let extra = 0;
  await pool(authors, 16, async (a) => {
    const want = byActor.get(a)?.ids ?? new Set<string>();
    const buckets = [...new Set((byActor.get(a)?.ms ?? [Date.now()]).map((ms) => Math.floor(ms / (30 * 86_400_000))))];
    const ids = (await Promise.all(buckets.map((b) => userFeedIds(fx.client, a, b * 30 * 86_400_000)))).flat();
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    missing += [...want].filter((id) => !counts.has(id)).length;
    duplicated += [...counts.values()].filter((n) => n > 1).length;
    extra += [...counts.keys()].filter((id) => !want.has(id)).length;
  });
  const ownerOf = new Map<string, string>();
  for (const [a, fs] of followersOf) for (const f of fs) ownerOf.set(f, a);
  const allMs = produced.map((p) => p.ms);
  const homes = await checkHomes(fx.client, [...ownerOf.keys()], (f) => byActor.get(ownerOf.get(f) as string)?.ids ?? new Set(), allMs);
  const dead = (await Promise.all(alive.map((w) => w.metric('tideline_records_dead_lettered_total')))).reduce((x, y) => x + y, 0);
  note(
    `fault 2: ${produced.length} activities produced; activities consumed per live worker ${perWorker.join(' / ')} (redeliveries included); ` +
      `author feeds missing ${missing}, duplicated ${duplicated}, extra ${extra}; ${homes.users} follower homes missing ${homes.missing}, ` +
      `duplicated ${homes.duplicated}, extra ${homes.extra}; dead-lettered ${dead}`,
  );
  expect({ missing, duplicated, extra }).toEqual({ missing: 0, duplicated: 0, extra: 0 });
  expect(homes).toEqual({ users: AUTHORS * FOLLOWERS_EACH, missing: 0, duplicated: 0, extra: 0, examples: [] });
  expect(dead).toBe(0);
});
