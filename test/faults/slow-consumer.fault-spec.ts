/**
 * Fault 6: slow consumer. A burst of activities is produced to Kafka far faster than one worker can apply them
 * (500 authors, 2 active followers each, so every event is stored, added to its author's feed and home, and
 * delivered inline to 2 homes).
 *
 * Checked: the group's lag rises (to at least a quarter of the burst) and drains to 0; the worker's resident memory
 * stays bounded (peak below 768 MiB and below its idle size + 512 MiB); the worker never exits and keeps the same
 * group membership throughout (same member id, never dropped out of the group); tideline_consumer_lag on /metrics
 * returns to 0; and every event is in its author's feed exactly once and in both followers' homes exactly once.
 *
 * Quick mode: a 20,000-event burst. Full mode (TIDELINE_FAULTS_FULL=1): 100,000 events.
 */
import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { loadAppConfig } from '@app/config';
import { uniqueTag, waitFor } from '@app/testing';
import { Fixtures, openFixtures } from '../../apps/fanout-worker/test/fixtures';
import { portFor, startWorker, WorkerProcess } from '../../apps/fanout-worker/test/worker-process';
import { checkHomes, describeGroup, faultEnv, FULL, groupLag, note, pool, rssBytes, userFeedIds } from './support/faults';

jest.setTimeout(FULL ? 1_200_000 : 480_000);

const EVENTS = FULL ? 100_000 : 20_000;
const AUTHORS = 500;
const MiB = 1024 * 1024;
const tag = uniqueTag('sc');
const env = faultEnv(tag, { KAFKA_PARTITIONS: '6' });
const cfg = loadAppConfig(env);
const T = cfg.kafka.topics;
const TOPICS = [T.activities, T.follows, T.fanout];
let fx: Fixtures;
let worker: WorkerProcess;

beforeAll(async () => {
  fx = await openFixtures(cfg);
  worker = await startWorker(env, portFor(0));
});

afterAll(async () => {
  await worker?.stop();
  await fx?.close();
});

it(`absorbs a burst of ${EVENTS} events: lag rises and drains, memory bounded, no crash, no rejoin`, async () => {
  const authors = Array.from({ length: AUTHORS }, (_, i) => `${tag}_a${i}`);
  const followersOf = (a: string): string[] => [`${a}_f0`, `${a}_f1`];
  await pool(authors, 32, async (a) => {
    for (const f of followersOf(a)) {
      await fx.stores.graph.apply({ op: 'follow', user: f, target: a, atMs: Date.now() - 60_000 });
      await fx.stores.readers.setLastRead(f, Date.now());
    }
  });
  await waitFor('the worker to own every partition', async () => {
    const g = await describeGroup(fx.admin, cfg.kafka.groupId);
    return g.state === 'Stable' && g.members.length === 1 && (g.members[0]?.partitions.length ?? 0) > 0;
  }, { timeoutMs: 60_000, intervalMs: 250 });
  const member = (await describeGroup(fx.admin, cfg.kafka.groupId)).members[0]?.memberId;
  const idleRss = rssBytes(worker.proc.pid) ?? 0;

  // Monitor: lag, RSS, group membership, every 500 ms until stopped.
  let peakLag = 0;
  let peakRss = idleRss;
  let peakLagMetric = 0;
  const membership = new Set<string>();
  const problems: string[] = [];
  let monitoring = true;
  const monitor = (async () => {
    while (monitoring) {
      try {
        peakLag = Math.max(peakLag, await groupLag(fx.admin, cfg.kafka.groupId, TOPICS));
        const g = await describeGroup(fx.admin, cfg.kafka.groupId);
        for (const m of g.members) membership.add(m.memberId);
        if (g.members.length !== 1) problems.push(`group has ${g.members.length} members (${g.state})`);
        peakLagMetric = Math.max(peakLagMetric, await worker.metric('tideline_consumer_lag'));
      } catch (e) {
        problems.push(`monitor: ${(e as Error).message}`);
      }
      peakRss = Math.max(peakRss, rssBytes(worker.proc.pid) ?? 0);
      if (worker.proc.exitCode !== null || worker.proc.signalCode !== null) problems.push(`worker exited ${worker.proc.exitCode ?? worker.proc.signalCode}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();

  // The burst: produced in batches of 1,000 records, as fast as Kafka takes them.
  const ms = Math.floor(Date.now() / 1000) * 1000;
  const expected = new Map<string, Set<string>>(authors.map((a) => [a, new Set<string>()]));
  const producer = fx.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const t0 = Date.now();
  try {
    for (let start = 0; start < EVENTS; start += 1000) {
      const messages = [];
      for (let n = start; n < Math.min(EVENTS, start + 1000); n++) {
        const actor = authors[n % AUTHORS] as string;
        const fid = `b${n}`;
        expected.get(actor)?.add(activityIdFromIdentity(ms, foreignIdentity(actor, fid, toIso(ms))));
        messages.push({ key: actor, value: JSON.stringify({ actor, type: 'post', object: `note:${n}`, foreignId: fid, published: toIso(ms) }) });
      }
      await producer.send({ topic: T.activities, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  const producedMs = Date.now() - t0;

  try {
    await waitFor('the burst to drain (group lag 0)', async () => (await groupLag(fx.admin, cfg.kafka.groupId, TOPICS)) === 0, {
      timeoutMs: FULL ? 900_000 : 360_000,
      intervalMs: 1000,
      describe: async () => ({ lag: await groupLag(fx.admin, cfg.kafka.groupId, TOPICS), out: worker.output().slice(-1000) }),
    });
  } finally {
    monitoring = false;
    await monitor;
  }
  const drainMs = Date.now() - t0;
  // The worker's own lag gauge (sampled every 15 s) comes back to 0 as well.
  await waitFor('tideline_consumer_lag back to 0', async () => (await worker.metric('tideline_consumer_lag')) === 0, { timeoutMs: 45_000, intervalMs: 1000 });

  const feedProblems = { missing: 0, duplicated: 0, extra: 0 };
  await pool(authors, 32, async (a) => {
    const ids = await userFeedIds(fx.client, a, ms);
    const want = expected.get(a) ?? new Set();
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    feedProblems.missing += [...want].filter((id) => !counts.has(id)).length;
    feedProblems.duplicated += [...counts.values()].filter((n) => n > 1).length;
    feedProblems.extra += [...counts.keys()].filter((id) => !want.has(id)).length;
  });
  const owner = new Map(authors.flatMap((a) => followersOf(a).map((f) => [f, a] as const)));
  const homes = await checkHomes(fx.client, [...owner.keys()], (f) => expected.get(owner.get(f) as string) ?? new Set(), [ms]);
  note(
    `fault 6: ${EVENTS} events produced in ${(producedMs / 1000).toFixed(1)} s, drained after ${(drainMs / 1000).toFixed(1)} s; peak lag ${peakLag} ` +
      `(metric peak ${peakLagMetric}); worker RSS idle ${(idleRss / MiB).toFixed(0)} MiB, peak ${(peakRss / MiB).toFixed(0)} MiB; members seen ${membership.size}; ` +
      `author feeds missing ${feedProblems.missing}, duplicated ${feedProblems.duplicated}, extra ${feedProblems.extra}; ` +
      `${homes.users} homes missing ${homes.missing}, duplicated ${homes.duplicated}, extra ${homes.extra}`,
  );
  expect(problems).toEqual([]);
  expect(worker.proc.exitCode).toBeNull();
  expect([...membership]).toEqual([member]);
  expect(peakLag).toBeGreaterThanOrEqual(EVENTS / 4);
  expect(peakRss).toBeLessThan(Math.min(768 * MiB, idleRss + 512 * MiB));
  expect(feedProblems).toEqual({ missing: 0, duplicated: 0, extra: 0 });
  expect(homes).toEqual({ users: AUTHORS * 2, missing: 0, duplicated: 0, extra: 0, examples: [] });
});
