import { waitFor } from '@app/testing';
import { portFor } from '../../apps/fanout-worker/test/worker-process';
import { ADMIN, Stack, startStack } from './support/stack';

interface Overview {
  at: string;
  lag: { topic: string; partition: number; lag: number }[];
  workers: { url: string; up: boolean }[];
  counters: { delivered: number; recordsConsumed: number; deadLettered: { topic: string; code: string; count: number }[] };
  histograms: Record<'fanoutSeconds' | 'apiRequestSeconds', { count: number; sum: number; buckets: { le: number; count: number }[] }>;
}

/** GET /v1/ops/overview from the operator's side: what the console's operator view shows, and who may see it. */
describe('GET /v1/ops/overview', () => {
  let s: Stack;
  const workerUrl = `http://127.0.0.1:${portFor(0)}/metrics`;
  // Nothing listens there: an absent worker must show as down, not fail the snapshot.
  const absentUrl = `http://127.0.0.1:${portFor(7)}/metrics`;

  beforeAll(async () => {
    s = await startStack({ OPS_WORKER_METRICS_URLS: `${workerUrl},${absentUrl}` }, { workers: 1 });
  }, 180_000);
  afterAll(async () => s?.close());

  const overview = async (): Promise<Overview> => {
    const r = await s.call('GET', '/v1/ops/overview', ADMIN);
    expect(r.status).toBe(200);
    return r.body as Overview;
  };
  const totalLag = (o: Overview): number => o.lag.reduce((a, p) => a + p.lag, 0);

  it('401 without a token, 403 for a normal user, whatever the spelling', async () => {
    const alice = s.user('alice');
    for (const path of ['/v1/ops/overview', '/v1/ops/overview?admin=true&scope=admin']) {
      expect((await s.call('GET', path)).status).toBe(401);
      const r = await s.call('GET', path, alice);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ error: 'FORBIDDEN' });
    }
    // Other spellings either match no route (404) or are the same route (401/403): never the snapshot.
    for (const path of ['/v1/%6fps/overview', '/v1/ops/overview/', '/V1/ops/overview', '/v1//ops/overview', '/v1/ops/./overview']) {
      expect([401, 404]).toContain((await s.call('GET', path)).status);
      expect([403, 404]).toContain((await s.call('GET', path, alice)).status);
    }
    // A token that merely mentions admin in another claim or a wider scope string is not admin.
    const fake = s.token(alice, { scope: 'administrator read' });
    const r = await fetch(`${s.api}/v1/ops/overview`, { headers: { authorization: `Bearer ${fake}` } });
    expect(r.status).toBe(403);
  });

  it('the shape the console reads: lag per partition of the three consumed topics, workers, counters, histograms', async () => {
    await s.quiesce();
    const o = await overview();
    expect(Number.isNaN(Date.parse(o.at))).toBe(false);
    const topics = new Set(o.lag.map((p) => p.topic));
    expect(topics).toEqual(new Set([s.env['KAFKA_TOPIC_ACTIVITIES'], s.env['KAFKA_TOPIC_FOLLOWS'], s.env['KAFKA_TOPIC_FANOUT']]));
    expect(o.lag.every((p) => Number.isInteger(p.partition) && p.lag === 0)).toBe(true);
    expect(o.workers).toEqual([
      { url: workerUrl, up: true },
      { url: absentUrl, up: false },
    ]);
    // This API's own request histogram already counts the calls above; buckets are cumulative and finite.
    const h = o.histograms.apiRequestSeconds;
    expect(h.count).toBeGreaterThan(0);
    expect(h.buckets.length).toBeGreaterThan(0);
    expect(h.buckets.every((b, i, all) => Number.isFinite(b.le) && b.count <= h.count && (i === 0 || (b.le > (all[i - 1]?.le ?? 0) && b.count >= (all[i - 1]?.count ?? 0))))).toBe(true);
    expect(o.counters.deadLettered).toEqual(expect.any(Array));
  });

  it('lag rises while the worker is stopped under a burst of posts, falls to 0 after it resumes; delivered grows', async () => {
    const author = s.user('author');
    const fan = s.user('fan');
    expect((await s.call('PUT', `/v1/users/${fan}/following/${author}`, fan)).status).toBe(204);
    // Reading home makes the fan an active reader, so fanout writes to their timeline (inactive ones are skipped).
    expect((await s.call('GET', `/v1/feeds/home/${fan}`, fan)).status).toBe(200);
    await s.quiesce();
    const before = await overview();
    const worker = s.workers[0];
    const pid = worker?.proc.pid;
    if (pid === undefined) throw new Error('worker has no pid');
    process.kill(pid, 'SIGSTOP');
    try {
      const burst = 30;
      for (let i = 0; i < burst; i++) {
        expect((await s.call('POST', '/v1/activities', author, { actor: author, type: 'post', object: `burst-${i}` })).status).toBe(202);
      }
      const paused = await waitFor('lag to show the burst', async () => {
        const o = await overview();
        return totalLag(o) >= burst ? o : undefined;
      }, { timeoutMs: 20_000, intervalMs: 250 });
      // A stopped worker does not answer its scrape within 1 s: down, and the snapshot still 200.
      expect(paused.workers.find((w) => w.url === workerUrl)?.up).toBe(false);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const after = await waitFor('lag back to 0 with the worker up', async () => {
      const o = await overview();
      return totalLag(o) === 0 && o.workers.find((w) => w.url === workerUrl)?.up ? o : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    // One home row per post for the one fan (the counter may trail the commit by a moment).
    await waitFor('delivered to count the burst', async () => (await overview()).counters.delivered >= before.counters.delivered + 30, {
      timeoutMs: 10_000,
      intervalMs: 250,
    });
    expect(after.counters.recordsConsumed).toBeGreaterThan(before.counters.recordsConsumed);
    expect(after.histograms.fanoutSeconds.count).toBeGreaterThan(before.histograms.fanoutSeconds.count);
  }, 150_000);

  it('is in the OpenAPI document with its response schema', async () => {
    const doc = (await s.call('GET', '/docs-json')).body as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>> };
    const ok = doc.paths['/v1/ops/overview']?.['get']?.responses['200'];
    expect(ok?.content?.['application/json']?.schema.$ref).toBe('#/components/schemas/OpsOverviewDto');
  });
});
