/**
 * Fault 1: a worker is SIGKILLed in the middle of fanning one activity out to 50,000 active followers
 * (FANOUT_CHUNK_SIZE=1000, so 50 chunks on the fanout topic); a new worker finishes the job.
 *
 * Quick mode: one kill, after the first worker wrote 20,000 home rows.
 * Full mode (TIDELINE_FAULTS_FULL=1): three successive workers are killed (after their 1st, 20,000th and
 * 20,000th row: early, middle and late in the fanout) before a fourth one finishes.
 *
 * Checked afterwards: every follower's home timeline holds the activity exactly once (50,000 CQL partition reads),
 * the author's user feed and home hold it once, the group's lag is 0.
 */
import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { loadAppConfig } from '@app/config';
import { uniqueTag, waitFor } from '@app/testing';
import { Fixtures, openFixtures } from '../../apps/fanout-worker/test/fixtures';
import { portFor, startWorker, WorkerProcess } from '../../apps/fanout-worker/test/worker-process';
import { checkHomes, createFollowers, faultEnv, FULL, groupLag, homeIds, note, secondMs, userFeedIds } from './support/faults';

jest.setTimeout(FULL ? 900_000 : 420_000);

const FOLLOWERS = 50_000;
const KILL_AFTER_ROWS = FULL ? [1, 20_000, 20_000] : [20_000];
const overrides = { FANOUT_CHUNK_SIZE: '1000', FANOUT_HIGH_FOLLOWER_THRESHOLD: '1000000', KAFKA_PARTITIONS: '3' };
const tag = uniqueTag('fk');
const env = faultEnv(tag, overrides);
const cfg = loadAppConfig(env);
const T = cfg.kafka.topics;
let fx: Fixtures;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fx = await openFixtures(cfg);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await fx?.close();
});

it(`finishes a 50,000-follower fanout after ${KILL_AFTER_ROWS.length} worker SIGKILL(s), every delivery exactly once`, async () => {
  const author = `${tag}_author`;
  const t0 = Date.now();
  const followers = await createFollowers(fx.client, fx.stores, author, `${tag}_f`, FOLLOWERS);
  note(`fault 1: ${FOLLOWERS} active followers created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  let worker = await startWorker(env, portFor(0));
  workers.push(worker);
  const ms = secondMs();
  const id = activityIdFromIdentity(ms, foreignIdentity(author, 'kill-1', toIso(ms)));
  await fx.produce(T.activities, author, JSON.stringify({ actor: author, type: 'post', object: 'note:kill', foreignId: 'kill-1', published: toIso(ms) }));

  const delivered = (w: WorkerProcess): Promise<number> => w.metric('tideline_fanout_delivered_total');
  for (const [i, rows] of KILL_AFTER_ROWS.entries()) {
    const victim = worker;
    await waitFor(`worker ${i + 1} to write ${rows} home rows`, async () => (await delivered(victim)) >= rows, {
      timeoutMs: 180_000,
      intervalMs: 50,
      describe: async () => ({ delivered: await delivered(victim).catch(() => -1), output: victim.output().slice(-1500) }),
    });
    const before = await delivered(victim);
    victim.proc.kill('SIGKILL');
    await waitFor('the killed worker to be gone', () => victim.proc.signalCode === 'SIGKILL');
    note(`fault 1: worker ${i + 1} SIGKILLed after writing ${before} home rows`);
    // The partially applied chunks are not committed: whoever gets their partitions next redoes them.
    worker = await startWorker(env, portFor(i + 1));
    workers.push(worker);
  }

  const topics = [T.activities, T.follows, T.fanout];
  await waitFor('the new worker to finish the fanout (group lag 0)', async () => (await groupLag(fx.admin, cfg.kafka.groupId, topics)) === 0, {
    timeoutMs: 240_000,
    intervalMs: 500,
    describe: async () => ({ lag: await groupLag(fx.admin, cfg.kafka.groupId, topics), out: worker.output().slice(-1500) }),
  });
  const finisherRows = await delivered(worker);
  expect(finisherRows).toBeGreaterThan(0); // the replacement did part of the work
  expect(worker.proc.exitCode).toBeNull(); // and is still running

  const report = await checkHomes(fx.client, followers, () => new Set([id]), [ms], new Set([id]));
  note(`fault 1: checked ${report.users} follower homes: missing ${report.missing}, duplicated ${report.duplicated}, extra ${report.extra}; finisher wrote ${finisherRows} rows`);
  expect(report).toEqual({ users: FOLLOWERS, missing: 0, duplicated: 0, extra: 0, examples: [] });
  expect((await userFeedIds(fx.client, author, ms)).filter((x) => x === id)).toHaveLength(1);
  expect((await homeIds(fx.client, author, ms)).filter((x) => x === id)).toHaveLength(1);
});
