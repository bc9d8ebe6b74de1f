/**
 * Fault 4: Kafka is SIGKILLed and restarted while activities are published over HTTP the whole time.
 *
 * Just before the kill a concurrent burst is accepted (so records are still unconsumed when the broker dies).
 * While Kafka is down: every POST /v1/activities answers 503 in the contract's error shape within a bounded time
 * (never a 500, never a hang); GET /health/ready of the API says 503 naming kafka; reads that need only Cassandra
 * keep answering 200. After the restart: publishing is accepted again without restarting the API, the same worker
 * process reconnects and consumes, and every activity accepted with 202 (before, or after the outage) reaches the
 * author's feed and each follower's home exactly once; nothing appears that was never attempted.
 *
 * Quick mode: down for 15 s before the restart begins. Full mode: 45 s.
 */
import { loadAppConfig } from '@app/config';
import { waitFor } from '@app/testing';
import { Fixtures, openFixtures } from '../../apps/fanout-worker/test/fixtures';
import { Stack, startStack } from '../e2e/support/stack';
import { checkHomes, FULL, groupLag, note, serverOverrides, startService, stopService, userFeedIds, violationLog } from './support/faults';
import { HttpPublisher } from './support/publisher';

jest.setTimeout(600_000);

const DOWN_MS = FULL ? 45_000 : 15_000;
const FOLLOWERS = 10;
let stack: Stack;
let publisher: HttpPublisher | undefined;
/** Contract violations seen during the outage; collected so that one run reports all of them, asserted at the end. */
const { violations, check } = violationLog();
let fx: Fixtures;
let kafkaDown = false;

beforeAll(async () => {
  stack = await startStack(serverOverrides(), { workers: 1 });
  fx = await openFixtures(loadAppConfig(stack.env));
});

afterAll(async () => {
  await publisher?.stop();
  if (kafkaDown) await startService('kafka');
  await stack?.close();
  await fx?.close();
});

/** Whether a terminus readiness body reports `name` as down. */
const downIn = (text: string, name: string): boolean => {
  try {
    return (JSON.parse(text) as { error?: Record<string, { status?: string }> }).error?.[name]?.status === 'down';
  } catch {
    return false;
  }
};

it('answers 503 while Kafka is down, reconnects after it returns, and loses nothing it accepted', async () => {
  const author = stack.user('author');
  const followers = Array.from({ length: FOLLOWERS }, (_, i) => stack.user(`f${i}`));
  for (const f of followers) {
    await fx.stores.graph.apply({ op: 'follow', user: f, target: author, atMs: Date.now() - 60_000 });
    await fx.stores.readers.setLastRead(f, Date.now());
  }
  const worker = stack.workers[0];
  if (!worker) throw new Error('no worker');
  const workerPid = worker.proc.pid;
  const cfg = loadAppConfig(stack.env);
  const topics = [cfg.kafka.topics.activities, cfg.kafka.topics.follows, cfg.kafka.topics.fanout];

  const pub = new HttpPublisher(stack, author, 'kfk');
  publisher = pub;
  pub.start();
  await waitFor('some activities accepted before the outage', () => pub.accepted().length >= 10, { timeoutMs: 30_000 });
  const burst = await pub.burst(100);
  expect(burst.filter((a) => a.status !== 202)).toEqual([]);
  const lagAtKill = await groupLag(fx.admin, cfg.kafka.groupId, topics);
  const acceptedBefore = pub.accepted().length;

  await stopService('kafka', 'kill');
  kafkaDown = true;
  const downAt = Date.now();
  note(`fault 4: Kafka killed after ${acceptedBefore} accepted activities, group lag at the kill ${lagAtKill}`);

  await waitFor('POST /v1/activities to answer 503', () => pub.attempts.some((a) => a.at > downAt && a.status === 503), { timeoutMs: 30_000, intervalMs: 200 });
  const apiReady = await fetch(`${stack.api}/health/ready`);
  const apiReadyText = await apiReady.text();
  check('API /health/ready is 503 naming kafka (not cassandra)', apiReady.status === 503 && downIn(apiReadyText, 'kafka') && !downIn(apiReadyText, 'cassandra'), { status: apiReady.status, body: apiReadyText });
  const live = await fetch(`${stack.api}/health/live`);
  check('API /health/live stays 200', live.status === 200, live.status);
  const workerReady = await fetch(`http://127.0.0.1:${worker.port}/health/ready`);
  const workerReadyText = await workerReady.text();
  check('worker /health/ready is 503 naming kafka', workerReady.status === 503 && downIn(workerReadyText, 'kafka'), { status: workerReady.status, body: workerReadyText });
  // Reads that need only Cassandra are unaffected.
  const read = await stack.call('GET', `/v1/feeds/home/${followers[0]}`, followers[0]);
  check('GET home (Cassandra only) stays 200 while Kafka is down', read.status === 200, read);

  const remaining = DOWN_MS - (Date.now() - downAt);
  if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
  const duringOutage = pub.attempts.filter((a) => a.at > downAt + 1000);
  expect(worker.proc.exitCode).toBeNull();

  const t0 = Date.now();
  await startService('kafka');
  kafkaDown = false;
  const upAt = Date.now();
  note(`fault 4: Kafka down ${((upAt - downAt) / 1000).toFixed(1)} s (restart took ${((upAt - t0) / 1000).toFixed(1)} s)`);

  await waitFor('POST accepted again after the restart', () => pub.attempts.filter((a) => a.at > upAt && a.status === 202).length >= 10, {
    timeoutMs: 90_000,
    intervalMs: 250,
    describe: () => pub.attempts.slice(-3).map((a) => ({ status: a.status, body: a.body })),
  });
  await waitFor('API readiness 200 again', async () => (await fetch(`${stack.api}/health/ready`)).status === 200, { timeoutMs: 60_000, intervalMs: 500 });
  await pub.stop();
  await stack.quiesce(180_000);
  expect(worker.proc.exitCode).toBeNull();
  expect(worker.proc.pid).toBe(workerPid);

  // During the outage: only 503s in the contract's shape, each within a bounded time.
  const statuses = new Map<number, number>();
  for (const a of pub.attempts) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  const unexpected = pub.attempts.filter((a) => a.status !== 202 && a.status !== 503);
  expect(unexpected.map((a) => ({ n: a.n, status: a.status, body: a.body, tookMs: a.tookMs }))).toEqual([]);
  for (const a of pub.attempts.filter((x) => x.status === 503)) {
    expect(a.body).toEqual({ statusCode: 503, error: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) });
  }
  expect(duringOutage.length).toBeGreaterThan(0);
  expect(duringOutage.filter((a) => a.status === 202)).toEqual([]);
  const slowest = Math.max(...pub.attempts.filter((a) => a.status === 503).map((a) => a.tookMs));
  expect(slowest).toBeLessThan(10_000);
  expect(pub.idMismatches()).toEqual([]);

  // Every accepted activity delivered exactly once; nothing that was never attempted.
  const accepted = pub.accepted();
  const ids = new Set(accepted.map((a) => a.id));
  const attempted = new Set(pub.attempts.map((a) => a.id));
  const msList = pub.attempts.map((a) => a.ms);
  const feed = (await Promise.all([...new Set(msList.map((ms) => Math.floor(ms / (30 * 86_400_000))))].map((b) => userFeedIds(fx.client, author, b * 30 * 86_400_000)))).flat();
  const counts = new Map<string, number>();
  for (const id of feed) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missingFromFeed = [...ids].filter((id) => !counts.has(id)).length;
  const duplicatedInFeed = [...counts.values()].filter((n) => n > 1).length;
  const neverAttempted = [...counts.keys()].filter((id) => !attempted.has(id)).length;
  const lateLanded = [...counts.keys()].filter((id) => attempted.has(id) && !ids.has(id)).length;
  // A 503'd publish that still reached Kafka (allowed) must then be complete everywhere: expected = what the feed has.
  const delivered = new Set([...counts.keys()].filter((id) => attempted.has(id)));
  const homes = await checkHomes(fx.client, [author, ...followers], () => delivered, msList, attempted);
  note(
    `fault 4: ${pub.attempts.length} attempts (${JSON.stringify(Object.fromEntries(statuses))}), ${accepted.length} accepted, ${duringOutage.length} during the outage ` +
      `(slowest 503 ${slowest} ms); user feed missing ${missingFromFeed}, duplicated ${duplicatedInFeed}, never attempted ${neverAttempted}, ` +
      `503'd but landed ${lateLanded}; ${homes.users} homes: missing ${homes.missing}, duplicated ${homes.duplicated}, extra ${homes.extra}`,
  );
  expect(violations).toEqual([]);
  expect({ missingFromFeed, duplicatedInFeed, neverAttempted }).toEqual({ missingFromFeed: 0, duplicatedInFeed: 0, neverAttempted: 0 });
  expect(homes).toEqual({ users: FOLLOWERS + 1, missing: 0, duplicated: 0, extra: 0, examples: [] });
});
