import { createTidelineClient, HomeEvent, isTidelineError, LiveState, LiveStream, NotificationEvent, TidelineClient, TidelineClientOptions, TidelineError } from '@tideline/client';
import { waitFor } from '@app/testing';
import { Stack, startStack } from './support/stack';
import { startTcpProxy, TcpProxy } from './support/tcp-proxy';

/** A live stream read in the background: what it emitted, the states it went through, how it ended. */
function watch<E>(open: (onState: (s: LiveState) => void) => LiveStream<E>): { events: E[]; states: LiveState[]; stream: LiveStream<E>; ended: () => unknown } {
  const events: E[] = [];
  const states: LiveState[] = [];
  const stream = open((st) => states.push(st));
  let end: unknown;
  void (async () => {
    try {
      for await (const e of stream) events.push(e);
      end = 'done';
    } catch (e) {
      end = e;
    }
  })();
  return { events, states, stream, ended: () => end };
}

const caught = (p: Promise<unknown>): Promise<TidelineError> => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as TidelineError);
const activityIds = (es: HomeEvent[]): string[] => es.flatMap((e) => (e.type === 'activity' ? [e.activity.id] : []));

/** @tideline/client against the real API and worker (docs/api.md §2): typed calls, paging, errors, live streams. */
describe('typed client', () => {
  let s: Stack;
  const streams: { stream: LiveStream<unknown> }[] = [];
  beforeAll(async () => {
    s = await startStack({ RATE_LIMIT_PER_MINUTE: '1000000' });
  }, 180_000);
  afterEach(() => {
    for (const w of streams.splice(0)) w.stream.close();
  });
  afterAll(async () => s?.close());

  const as = (user: string, extra: Partial<TidelineClientOptions> = {}): TidelineClient => createTidelineClient({ baseUrl: s.api, token: s.token(user), ...extra });
  const homeIds = async (c: TidelineClient, user: string): Promise<string[]> => (await c.home(user, { limit: 100 }).first()).items.map((a) => a.id);
  const liveHome = (c: TidelineClient, user: string) => {
    const w = watch((onState) => c.homeStream(user, { onState }));
    streams.push(w);
    return w;
  };

  it('publishes, follows, mutes and deletes with typed calls', async () => {
    const [ann, ben] = [s.user('ann'), s.user('ben')];
    const a = as(ann);
    const b = as(ben);
    const published = await a.publish({ actor: ann, type: 'post', object: 'photo:1', to: [ben], extra: { n: 1 } });
    expect(published).toMatchObject({ actor: ann, type: 'post', object: 'photo:1', to: [ben], extra: { n: 1 } });
    expect(published.id).toMatch(/^[0-9A-Z]{26}$/);
    await b.follow(ben, ann);
    expect((await b.following(ben).first()).items.map((e) => e.userId)).toEqual([ann]);
    expect((await a.followers(ann).first()).items.map((e) => e.userId)).toEqual([ben]);
    await s.quiesce();
    expect(await homeIds(b, ben)).toContain(published.id);
    expect((await a.userFeed(ann).first()).items[0]?.id).toBe(published.id);

    await b.mute(ben, ann);
    expect((await b.muted(ben).first()).items.map((e) => e.userId)).toEqual([ann]);
    expect(await homeIds(b, ben)).not.toContain(published.id);
    await b.unmute(ben, ann);
    expect((await b.muted(ben).first()).items).toEqual([]);

    await a.deleteActivity(published.id);
    expect(await homeIds(b, ben)).not.toContain(published.id);
    await b.unfollow(ben, ann);
    expect((await b.following(ben).first()).items).toEqual([]);
  });

  it('walks home across pages with for await: every item once, lazily, and stops on break', async () => {
    const [cat, dan] = [s.user('cat'), s.user('dan')];
    await as(dan).follow(dan, cat);
    const posted: string[] = [];
    for (let i = 0; i < 7; i++) posted.push((await as(cat).publish({ actor: cat, type: 'post', object: `p${i}` })).id);
    await s.quiesce();
    const asked: string[] = [];
    const counting: typeof fetch = (input, init) => {
      asked.push((input as Request).url);
      return fetch(input, init);
    };
    const d = as(dan, { fetch: counting });
    const seen: string[] = [];
    for await (const a of d.home(dan, { limit: 2 })) seen.push(a.id);
    expect(new Set(seen).size).toBe(seen.length);
    // Posts within one millisecond order by their random id part: compare as sets.
    expect([...seen].sort()).toEqual([...posted].sort());
    expect(asked.length).toBeGreaterThanOrEqual(4);

    asked.length = 0;
    const firstThree: string[] = [];
    for await (const a of d.home(dan, { limit: 2 })) {
      firstThree.push(a.id);
      if (firstThree.length === 3) break;
    }
    expect(firstThree).toEqual(seen.slice(0, 3));
    expect(asked).toHaveLength(2);
  });

  it('throws TidelineError with the API code: 403 another home, 400 bad limit with fields, 404 unknown delete, 401 bad token', async () => {
    const [eve, fay] = [s.user('eve'), s.user('fay')];
    const forbidden = await caught(as(eve).home(fay).first());
    expect(isTidelineError(forbidden, 'FORBIDDEN')).toBe(true);
    expect(forbidden.status).toBe(403);
    expect(forbidden.message.length).toBeGreaterThan(0);

    const bad = await caught(as(eve).following(eve, { limit: 0 }).first());
    expect([bad.status, bad.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(bad.fields?.map((f) => f.field)).toContain('limit');

    const missing = await caught(as(eve).deleteActivity('01KBF3M7Q0ZB2C4D6E8F0G1H2J'));
    expect([missing.status, missing.code]).toEqual([404, 'NOT_FOUND']);

    const unauth = await caught(createTidelineClient({ baseUrl: s.api, token: 'not-a-jwt' }).userFeed(eve).first());
    expect([unauth.status, unauth.code]).toEqual([401, 'UNAUTHORIZED']);
    const down = await caught(createTidelineClient({ baseUrl: 'http://127.0.0.1:1' }).userFeed(eve).first());
    expect(down.code).toBe('NETWORK');
  });

  it("delivers a followee's new activity and its delete on the follower's home stream", async () => {
    const [gus, hal] = [s.user('gus'), s.user('hal')];
    await as(hal).follow(hal, gus);
    await s.quiesce();
    const w = liveHome(as(hal), hal);
    await waitFor('the stream to open', () => w.states.includes('open'), { timeoutMs: 20_000, describe: () => w.states });
    const a = await as(gus).publish({ actor: gus, type: 'post', object: 'live-1' });
    await waitFor('the activity live', () => activityIds(w.events).includes(a.id), { timeoutMs: 20_000, describe: () => w.events });
    await as(gus).deleteActivity(a.id);
    await waitFor('the delete live', () => w.events.some((e) => e.type === 'delete' && e.id === a.id), { timeoutMs: 20_000, describe: () => w.events });
    expect(w.events.map((e) => e.type)).toEqual(['activity', 'delete']);
  });

  it('delivers notification groups on the notification stream', async () => {
    const [ida, jon] = [s.user('ida'), s.user('jon')];
    const w = watch<NotificationEvent>((onState) => as(ida).notificationStream(ida, { onState }));
    streams.push(w);
    await waitFor('the stream to open', () => w.states.includes('open'), { timeoutMs: 20_000 });
    await as(jon).publish({ actor: jon, type: 'like', object: 'photo:9', to: [ida] });
    await waitFor('a group', () => w.events.find((e) => e.group.object === 'photo:9'), { timeoutMs: 20_000, describe: () => w.events });
    expect(w.events[0]?.group.actors).toEqual([jon]);
  });

  it('ends a stream with FORBIDDEN when it is not the caller\'s, without retrying', async () => {
    const w = liveHome(as(s.user('kim')), s.user('lee'));
    await waitFor('the stream to end', () => w.ended(), { timeoutMs: 10_000 });
    expect(isTidelineError(w.ended(), 'FORBIDDEN')).toBe(true);
    expect(w.states).toEqual(['connecting', 'closed']);
  });

  describe('reconnecting through a proxy that cuts every connection', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await startTcpProxy(s.api);
    });
    afterAll(async () => proxy?.close());

    /**
     * Opens `reader`'s home stream through the proxy, cuts it, publishes while no connection gets through, then
     * lets the client back in: the post must arrive once, and the stream goes on live.
     */
    const expectNoGap = async (label: string, tamper: (h: Headers) => void, reset: boolean): Promise<void> => {
      const [author, reader] = [s.user(`${label}-a`), s.user(`${label}-r`)];
      await as(reader).follow(reader, author);
      await s.quiesce();
      // Stream requests (the client passes them as URL + init) get `tamper`ed headers, and their bytes are recorded.
      const wire: string[] = [];
      const viaProxy: typeof fetch = async (input, init) => {
        if (input instanceof Request) return fetch(input, init);
        const headers = new Headers(init?.headers);
        tamper(headers);
        const res = await fetch(input, { ...init, headers });
        const decoder = new TextDecoder();
        const record = new TransformStream<Uint8Array, Uint8Array>({ transform: (chunk, c) => void (wire.push(decoder.decode(chunk, { stream: true })), c.enqueue(chunk)) });
        return res.body ? new Response(res.body.pipeThrough(record), { status: res.status, headers: res.headers }) : res;
      };
      const w = liveHome(createTidelineClient({ baseUrl: proxy.url, token: s.token(reader), fetch: viaProxy }), reader);
      await waitFor('the stream to open', () => w.states.includes('open'), { timeoutMs: 20_000, describe: () => w.states });
      const before = await as(author).publish({ actor: author, type: 'post', object: 'before' });
      await waitFor('the first post live', () => activityIds(w.events).includes(before.id), { timeoutMs: 20_000, describe: () => w.events });

      proxy.setDown(true);
      proxy.cut();
      await waitFor('the client to notice', () => w.states.includes('reconnecting'), { timeoutMs: 60_000, describe: () => w.states });
      const during = await as(author).publish({ actor: author, type: 'post', object: 'during' });
      await s.quiesce();
      await waitFor('the post in the home feed', async () => (await homeIds(as(reader), reader)).includes(during.id), { timeoutMs: 20_000 });
      expect(activityIds(w.events)).not.toContain(during.id);
      proxy.setDown(false);

      await waitFor('the missed post after reconnecting', () => activityIds(w.events).includes(during.id), { timeoutMs: 60_000, describe: () => ({ states: w.states, events: activityIds(w.events) }) });
      const after = await as(author).publish({ actor: author, type: 'post', object: 'after' });
      await waitFor('the next post live', () => activityIds(w.events).includes(after.id), { timeoutMs: 20_000, describe: () => w.events });
      expect(activityIds(w.events)).toEqual([before.id, during.id, after.id]);
      // Which way the gap was filled: replayed by the server, or (after `reset`) from the first page.
      expect(wire.join('').includes('event: reset')).toBe(reset);
    };

    it('resumes with Last-Event-ID and gets a post made while it was cut off exactly once', async () => {
      await expectNoGap('resume', () => undefined, false);
    });

    it('fills the gap from the first page when the server cannot resume (reset), still exactly once', async () => {
      await expectNoGap('reset', (h) => {
        if (h.has('last-event-id')) h.set('last-event-id', 'not-a-position');
      }, true);
    });
  });
});

describe('typed client under the rate limit', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ RATE_LIMIT_PER_MINUTE: '60' }, { workers: 0 });
  }, 180_000);
  afterAll(async () => s?.close());

  /** Spends `user`'s whole bucket (60 at once, refilled one a second). */
  const exhaust = async (user: string): Promise<void> => {
    const statuses = await Promise.all(Array.from({ length: 70 }, () => s.call('GET', `/v1/users/${user}/following`, user).then((r) => r.status)));
    expect(statuses).toContain(429);
  };

  it('throws RATE_LIMITED with retryAfterSeconds when retries are off, and waits Retry-After then succeeds when on', async () => {
    const u = s.user('busy');
    await exhaust(u);
    const statuses: number[] = [];
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      statuses.push(res.status);
      return res;
    };
    const e = await caught(createTidelineClient({ baseUrl: s.api, token: s.token(u), fetch: recording, retry: { maxRetries: 0 } }).following(u).first());
    expect(isTidelineError(e, 'RATE_LIMITED')).toBe(true);
    expect(e.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(statuses).toEqual([429]);

    await exhaust(u);
    statuses.length = 0;
    const started = Date.now();
    const page = await createTidelineClient({ baseUrl: s.api, token: s.token(u), fetch: recording, retry: { maxRetries: 5 } }).following(u).first();
    expect(page.items).toEqual([]);
    expect(statuses[0]).toBe(429);
    expect(statuses.at(-1)).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
