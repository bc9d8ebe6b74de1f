import { metricSum, waitFor } from '@app/testing';
import { Stack, startStack } from './support/stack';
import { abortedStream, openSse, SseClient } from './support/sse';

/**
 * Server-sent-event streams against the real stack (docs/api.md §3): setup that a client abandons
 * leaves nothing behind, a per-user quota, slow readers are cut off, a delete never overtakes its
 * activity, every event has an id, opening a home stream counts as reading, and the stream token never
 * reaches the logs.
 */
const LIVE_REFRESH_MS = 3_000;

describe('SSE streams', () => {
  let s: Stack;
  const open: SseClient[] = [];

  beforeAll(async () => {
    // info: requests are logged, so the token-scrubbing test sees real request lines.
    // LIVE_REFRESH_MS 3 s: the delete-ordering test runs across refreshes in 4 s instead of 35 s.
    s = await startStack({ RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'info', LIVE_REFRESH_MS: String(LIVE_REFRESH_MS) });
  }, 180_000);
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => s?.close());

  const gauge = async (): Promise<number> => metricSum(await (await fetch(`${s.api}/metrics`)).text(), 'tideline_sse_connections');
  const noStreams = (): Promise<number> => waitFor('every stream to be released', async () => (await gauge()) === 0 && 0, { timeoutMs: 15_000, describe: gauge });
  const streamPath = (kind: 'home' | 'notifications', user: string): string => `/v1/feeds/${kind}/${user}/stream?access_token=${s.token(user)}`;
  const sse = async (kind: 'home' | 'notifications', user: string): Promise<SseClient> => {
    const c = openSse(s.api, streamPath(kind, user));
    open.push(c);
    await waitFor(`${kind} stream of ${user} to open`, () => c.text().includes(': connected') || (c.status() >= 400 && c.text().includes('}')), { timeoutMs: 15_000, describe: () => c.head() });
    return c;
  };
  const post = async (actor: string, object: string, extra?: Record<string, unknown>): Promise<string> => {
    const r = await s.call('POST', '/v1/activities', actor, { actor, type: 'post', object, ...(extra ? { extra } : {}) });
    expect(r.status).toBe(202);
    return (r.body as { id: string }).id;
  };

  it('leaves no hub entry and no heartbeat timer behind when clients abort while the stream is being set up', async () => {
    await noStreams();
    const u = s.user('aborter');
    // Aborts spread over the setup (auth, registration, marking the reader active): whatever stage a
    // connection reached, its close undoes it. Hub entry and heartbeat are released by the same close,
    // so the gauge (read from the hub's index) returning to 0 covers both.
    for (let round = 0; round < 6; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => abortedStream(s.api, streamPath(i % 2 ? 'home' : 'notifications', u), i % 5 === 0 ? 0 : i * 2)));
    }
    await noStreams();
    // The user's quota is intact: nothing leaked counts against it.
    const c = await sse('home', u);
    expect(c.status()).toBe(200);
  });

  it(`refuses a user's 6th stream with 429 TOO_MANY_STREAMS and Retry-After, while other users' streams open`, async () => {
    const u = s.user('greedy');
    const mine: SseClient[] = [];
    for (let i = 0; i < 5; i++) mine.push(await sse(i % 2 ? 'notifications' : 'home', u));
    for (const c of mine) expect(c.status()).toBe(200);
    const sixth = await sse('home', u);
    expect(sixth.status()).toBe(429);
    expect(sixth.head()).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(sixth.text()).toContain('"TOO_MANY_STREAMS"');
    // Another user is unaffected.
    expect((await sse('home', s.user('modest'))).status()).toBe(200);
    // Closing one frees its slot.
    mine[0]?.close();
    await waitFor('a slot to free', async () => {
      const again = openSse(s.api, streamPath('home', u));
      open.push(again);
      await waitFor('an answer', () => again.status() !== 0, { timeoutMs: 10_000 });
      return again.status() === 200;
    }, { timeoutMs: 15_000 });
  });

  it('sends every activity before its delete on a stream, each event with an id of its own', async () => {
    const hal = s.user('hal');
    const ivy = s.user('ivy');
    await s.call('GET', `/v1/feeds/home/${hal}`, hal);
    expect((await s.call('PUT', `/v1/users/${hal}/following/${ivy}`, hal)).status).toBe(204);
    await s.quiesce();
    const c = await sse('home', hal);
    const ids: string[] = [];
    // Rounds of post-then-delete-at-once pairs, for longer than the hub's refresh of mutes (LIVE_REFRESH_MS: the
    // moment delivering an activity has to wait for Cassandra, which is when a delete could overtake it).
    const started = Date.now();
    while (Date.now() - started < LIVE_REFRESH_MS + 1_000) {
      const round = await Promise.all(
        Array.from({ length: 3 }, async (_, i) => {
          const id = await post(ivy, `pair-${ids.length}-${i}`);
          expect((await s.call('DELETE', `/v1/activities/${id}`, ivy)).status).toBe(202);
          return id;
        }),
      );
      ids.push(...round);
      await s.quiesce();
    }
    await waitFor('the last deletes to arrive', () => ids.slice(-3).every((id) => c.events().some((e) => e.event === 'delete' && e.subject === id)), { timeoutMs: 15_000 });
    const events = c.events();
    const order = events.map((e) => `${e.event}:${e.subject}`);
    for (const id of ids) {
      const a = order.indexOf(`activity:${id}`);
      const d = order.indexOf(`delete:${id}`);
      expect({ id, deleteArrived: d >= 0 }).toEqual({ id, deleteArrived: true });
      // An activity may never be shown (deleted before fanout); if it is, it comes first.
      if (a >= 0) expect({ id, activityBeforeDelete: a < d }).toEqual({ id, activityBeforeDelete: true });
      expect(order.lastIndexOf(`activity:${id}`)).toBeLessThan(d);
    }
    // Every event has an SSE id (its stream position), no two alike; a delete's data is just the id.
    expect(events.every((e) => typeof e.id === 'string' && e.id.length > 0)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events) if (e.event === 'delete') expect(JSON.parse(e.data ?? '{}')).toEqual({ id: e.subject });
  });

  it('delivers the next post of a followee live to a user who only opened the home stream (never fetched a page)', async () => {
    const newbie = s.user('newbie');
    const star = s.user('star');
    expect((await s.call('PUT', `/v1/users/${newbie}/following/${star}`, newbie)).status).toBe(204);
    await s.quiesce();
    const c = await sse('home', newbie);
    const id = await post(star, 'hello-newbie');
    await waitFor('the post on the stream', () => c.events().some((e) => e.event === 'activity' && e.subject === id), { timeoutMs: 20_000, describe: () => c.text().slice(-300) });
  });

  it('gives notification group events a stream-position id', async () => {
    const nora = s.user('nora');
    const fan = s.user('fan');
    await s.call('GET', `/v1/feeds/notifications/${nora}`, nora);
    const c = await sse('notifications', nora);
    expect((await s.call('POST', '/v1/activities', fan, { actor: fan, type: 'like', object: 'photo-1', to: [nora] })).status).toBe(202);
    await waitFor('a group event', () => c.events().some((e) => e.event === 'group'), { timeoutMs: 20_000, describe: () => c.text().slice(-300) });
    const e = c.events().find((x) => x.event === 'group');
    const g = JSON.parse(e?.data ?? '{}') as { id: string; actors: string[] };
    expect(g.actors).toContain(fan);
    expect(e?.id).toMatch(/^-?\d+(\.-?\d+)*$/);
  });

  describe('reconnecting with Last-Event-ID', () => {
    const resume = async (user: string, lastEventId: string): Promise<SseClient> => {
      const c = openSse(s.api, streamPath('home', user), { 'last-event-id': lastEventId });
      open.push(c);
      await waitFor('the resumed stream to open', () => c.text().includes(': connected'), { timeoutMs: 15_000, describe: () => c.head() });
      return c;
    };

    it('gets exactly what it missed, in order: posts and deletes made while it was away, nothing it had seen', async () => {
      const rea = s.user('rea');
      const src = s.user('src');
      await s.call('GET', `/v1/feeds/home/${rea}`, rea);
      expect((await s.call('PUT', `/v1/users/${rea}/following/${src}`, rea)).status).toBe(204);
      await s.quiesce();
      const first = await sse('home', rea);
      const seen = await post(src, 'seen-before-drop');
      await waitFor('the first post on the stream', () => first.events().some((e) => e.subject === seen), { timeoutMs: 20_000, describe: () => first.text().slice(-300) });
      const lastId = first.lastId() as string;
      first.close();
      // Away: two posts, and the one it had seen is deleted.
      const missed1 = await post(src, 'while-away-1');
      const missed2 = await post(src, 'while-away-2');
      expect((await s.call('DELETE', `/v1/activities/${seen}`, src)).status).toBe(202);
      await s.quiesce();
      const again = await resume(rea, lastId);
      const want = [`activity:${missed1}`, `activity:${missed2}`, `delete:${seen}`];
      const got = (): string[] => again.events().map((e) => `${e.event}:${e.subject}`);
      await waitFor('the missed events', () => want.every((w) => got().includes(w)), { timeoutMs: 20_000, describe: () => got().join(' ') });
      // In the order they happened, and nothing from before the drop again.
      expect(got().filter((g) => want.includes(g))).toEqual(want);
      expect(got()).not.toContain(`activity:${seen}`);
    });

    it('a quiet stream resumes from the position id the server sent it, so nothing posted in the gap is lost', async () => {
      const qui = s.user('qui');
      const src = s.user('qsrc');
      await s.call('GET', `/v1/feeds/home/${qui}`, qui);
      expect((await s.call('PUT', `/v1/users/${qui}/following/${src}`, qui)).status).toBe(204);
      await s.quiesce();
      const first = await sse('home', qui);
      // No event yet, but the connected block carries a position.
      const lastId = first.lastId();
      expect(lastId).toBeDefined();
      first.close();
      const gap = await post(src, 'in-the-gap');
      await s.quiesce();
      const again = await resume(qui, lastId as string);
      await waitFor('the post made in the gap', () => again.events().some((e) => e.event === 'activity' && e.subject === gap), { timeoutMs: 20_000, describe: () => again.text().slice(-300) });
    });

    it('an id it cannot resume from (forged, over-long, from another topic) gets a reset event, and the stream stays open', async () => {
      const rex = s.user('rex');
      for (const forged of ['x', '999999999999', '1.2.3.4.5.6.7.8', '-9', 'a'.repeat(5_000)]) {
        const c = await resume(rex, forged);
        await waitFor(`reset for ${forged.slice(0, 20)}`, () => c.events().some((e) => e.event === 'reset'), { timeoutMs: 10_000, describe: () => c.text().slice(-300) });
        expect(c.status()).toBe(200);
        expect(c.ended()).toBe(false);
        c.close();
      }
    });
  });

  it('closes a stream whose client stops reading, and keeps serving the one that reads', async () => {
    await noStreams();
    const slowU = s.user('slow');
    const fastU = s.user('fast');
    const loud = s.user('loud');
    for (const u of [slowU, fastU]) {
      await s.call('GET', `/v1/feeds/home/${u}`, u);
      expect((await s.call('PUT', `/v1/users/${u}/following/${loud}`, u)).status).toBe(204);
    }
    await s.quiesce();
    const slow = await sse('home', slowU);
    const fast = await sse('home', fastU);
    slow.stopReading();
    expect(await gauge()).toBe(2);
    // ~8 KiB per event: far more than socket buffers plus the 1 MiB the API may hold for one client.
    const blob = 'x'.repeat(7_900);
    const posted: string[] = [];
    let slowGone = false;
    for (let batch = 0; batch < 60 && !slowGone; batch++) {
      posted.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => post(loud, `big-${batch}-${i}`, { blob })))));
      await s.quiesce();
      slowGone = (await gauge()) === 1;
    }
    await waitFor('the slow stream to be closed', async () => (await gauge()) === 1, { timeoutMs: 20_000, describe: gauge });
    // The reading client got everything, in order, and is still open.
    const last = posted[posted.length - 1] as string;
    await waitFor('the fast stream to get the last post', () => fast.events().some((e) => e.subject === last), { timeoutMs: 30_000 });
    expect(fast.ended()).toBe(false);
    expect(s.apiOutput()).toMatch(/slow stream closed/);
  });

  it('never writes a stream token to the logs, however the access_token parameter is spelled', async () => {
    const spellings: [string, (t: string) => string][] = [
      ['plain', (t) => `access_token=${t}`],
      ['encoded underscore', (t) => `access%5Ftoken=${t}`],
      ['encoded lower-case hex', (t) => `access%5ftoken=${t}`],
      ['repeated', (t) => `access_token=${t}&access_token=${t}`],
      ['upper case', (t) => `ACCESS_TOKEN=${t}`],
      ['after another parameter', (t) => `x=1&access_token=${t}`],
      ['after a semicolon', (t) => `x=1;access_token=${t}`],
      ['encoded value', (t) => `access_token=${encodeURIComponent(t)}`],
      ['hidden in another value', (t) => `x=${encodeURIComponent(`1;access_token=${t}`)}`],
    ];
    const tokens: string[] = [];
    const paths: string[] = [];
    for (const [name, q] of spellings) {
      const user = s.user(`log-${name.replace(/\W/g, '')}`);
      const t = s.token(user);
      tokens.push(t);
      const path = `/v1/feeds/home/${user}/stream`;
      paths.push(path);
      const c = openSse(s.api, `${path}?${q(t)}`);
      open.push(c);
      await waitFor(`an answer to ${name}`, () => c.status() !== 0, { timeoutMs: 10_000 });
      c.close();
    }
    // A request is logged when it ends: wait for every one of them.
    await waitFor('every stream request to be logged', () => paths.every((p) => s.apiOutput().includes(p)), { timeoutMs: 15_000 });
    const out = s.apiOutput();
    for (const t of tokens) {
      // Neither the token nor its signature (the secret part) appears anywhere.
      expect(out).not.toContain(t);
      expect(out).not.toContain(t.split('.')[2] as string);
    }
  });

});
describe('SSE stream lifetime (STREAM_MAX_SECONDS)', () => {
  // Its own stack, after the one above is closed: stacks of one test process share their ports.
  const open: SseClient[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  let short: Stack;
  beforeAll(async () => {
    short = await startStack({ RATE_LIMIT_PER_MINUTE: '1000000', STREAM_MAX_SECONDS: '2' });
  }, 180_000);
  afterAll(async () => short?.close());

  it('ends a stream cleanly after its lifetime, leaves nothing in the hub, and the client resumes from its last id', async () => {
    const reader = short.user('life');
    const src = short.user('lsrc');
    expect((await short.call('PUT', `/v1/users/${reader}/following/${src}`, reader)).status).toBe(204);
    await short.quiesce();
    const path = `/v1/feeds/home/${reader}/stream?access_token=${short.token(reader)}`;
    const opened = Date.now();
    const first = openSse(short.api, path);
    open.push(first);
    await waitFor('the server to end the stream', () => first.finished(), { timeoutMs: 15_000, describe: () => first.text().slice(-200) });
    // At most 2 s less a random tenth: never before 1.8 s.
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1_800);
    expect(first.status()).toBe(200);
    expect(first.text()).toContain(': connected');
    const gaugeOf = async (): Promise<number> => metricSum(await (await fetch(`${short.api}/metrics`)).text(), 'tideline_sse_connections');
    await waitFor('the hub entry to be released', async () => (await gaugeOf()) === 0, { timeoutMs: 10_000, describe: gaugeOf });
    const gap = (await short.call('POST', '/v1/activities', src, { actor: src, type: 'post', object: 'after-the-end' })).body as { id: string };
    await short.quiesce();
    const again = openSse(short.api, path, { 'last-event-id': first.lastId() as string });
    open.push(again);
    await waitFor('the post made after the end, on the resumed stream', () => again.events().some((e) => e.event === 'activity' && e.subject === gap.id), { timeoutMs: 20_000, describe: () => again.text().slice(-300) });
  });
});
