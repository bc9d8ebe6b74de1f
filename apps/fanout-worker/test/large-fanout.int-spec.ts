import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { testConfig, testEnv, uniqueTag, waitFor } from '@app/testing';
import { Fixtures, openFixtures, pool } from './fixtures';
import { portFor, startWorker, WorkerProcess } from './worker-process';

/**
 * 10,000 followers, FANOUT_CHUNK_SIZE=1000, two worker processes in one group: the chunks spread over
 * both, and every home timeline gets the activity exactly once.
 */
jest.setTimeout(180_000);

const FOLLOWERS = 10_000;
const overrides = { FANOUT_CHUNK_SIZE: '1000', FANOUT_HIGH_FOLLOWER_THRESHOLD: '100000' };
const tag = uniqueTag('big');
const env = testEnv(tag, overrides);
const cfg = testConfig(tag, overrides);
let fx: Fixtures;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fx = await openFixtures(cfg);
  workers.push(...(await Promise.all([startWorker(env, portFor(5)), startWorker(env, portFor(6))])));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await fx?.close();
});

it('fans one activity out to 10,000 followers exactly once, across two workers', async () => {
  const author = `${tag}_author`;
  const followers = Array.from({ length: FOLLOWERS }, (_, i) => `${tag}_u${i}`);
  const now = Date.now();
  await pool(followers, 256, async (f) => {
    await fx.stores.graph.apply({ op: 'follow', user: f, target: author, atMs: now - 60_000 });
    await fx.stores.readers.setLastRead(f, now);
  });
  expect(await fx.stores.graph.followerCount(author)).toBe(FOLLOWERS);

  // Both workers must own fanout partitions before the chunks are published.
  await waitFor('two members with assignments', async () => {
    const { groups } = await fx.admin.describeGroups([cfg.kafka.groupId]);
    const g = groups[0];
    return g?.state === 'Stable' && g.members.length === 2;
  });

  const ms = Math.floor(Date.now() / 1000) * 1000;
  const id = activityIdFromIdentity(ms, foreignIdentity(author, 'big-1', toIso(ms)));
  const started = Date.now();
  await fx.produce(cfg.kafka.topics.activities, author, JSON.stringify({ actor: author, type: 'post', object: 'note:big', foreignId: 'big-1', published: toIso(ms) }));

  let counts: number[] = [];
  const countAll = async (): Promise<number[]> => {
    const out = new Array<number>(FOLLOWERS).fill(0);
    await pool(followers.map((f, i) => [f, i] as const), 256, async ([f, i]) => {
      out[i] = await fx.homeRows(f, ms, id);
    });
    return out;
  };
  // Cheap progress probe first (the delivered counters), then one full CQL count per user.
  await waitFor('10,000 deliveries', async () => {
    const delivered = (await Promise.all(workers.map((w) => w.metric('tideline_fanout_delivered_total')))).reduce((a, b) => a + b, 0);
    return delivered >= FOLLOWERS;
  }, { timeoutMs: 120_000, intervalMs: 250 });
  const elapsedMs = Date.now() - started;
  counts = await countAll();
  const missing = counts.filter((c) => c === 0).length;
  const duplicated = counts.filter((c) => c > 1).length;
  expect({ missing, duplicated }).toEqual({ missing: 0, duplicated: 0 });

  const perWorker = await Promise.all(workers.map((w) => w.metric('tideline_fanout_chunk_size_count')));
  console.log(`10k fanout: ${elapsedMs} ms until all rows written; chunks per worker ${perWorker.join(' / ')}`);
  expect(perWorker.reduce((a, b) => a + b, 0)).toBe(FOLLOWERS / 1000);
  for (const n of perWorker) expect(n).toBeGreaterThan(0);
});
