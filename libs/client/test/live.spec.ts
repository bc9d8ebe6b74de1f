import { createTidelineClient, HomeEvent, isTidelineError, LiveState, TidelineClient } from '@tideline/client';
import { backoffMs } from '../src/live';
import { act, FakeApi, until } from './fake-api';

const activityEvent = (id: string, n: number): string => `id: ${id}\nevent: activity\ndata: ${JSON.stringify(act(n))}\n\n`;
const idOf = (e: HomeEvent | undefined): string | undefined => (e === undefined ? undefined : e.type === 'activity' ? e.activity.id : `-${e.id}`);

describe('live streams against a fake API', () => {
  let api: FakeApi;
  let client: TidelineClient;
  const states: LiveState[] = [];
  const fast = { minBackoffMs: 1, maxBackoffMs: 4, onState: (s: LiveState) => states.push(s) };
  beforeEach(() => {
    api = new FakeApi();
    client = createTidelineClient({ baseUrl: 'http://fake', token: () => 'tok', fetch: api.fetch });
    states.length = 0;
  });
  const stream = (n: number) => api.streams[n] as NonNullable<FakeApi['streams'][number]>;
  const opened = (n: number): Promise<void> => until(`stream ${n}`, () => api.streams.length > n);

  it('resumes with the last id (id-only blocks too) and emits what the first page has that it missed, exactly once', async () => {
    api.home = [act(1)];
    const it = client.homeStream('u', fast)[Symbol.asyncIterator]();
    const first = it.next();
    await opened(0);
    expect(stream(0).request.headers.get('authorization')).toBe('Bearer tok');
    expect(stream(0).request.headers.get('last-event-id')).toBeNull();
    stream(0).push(`retry: 1\n\n: connected\nid: p1\n\n${activityEvent('p2', 2)}: heartbeat\nid: p3\n\n`);
    expect(idOf((await first).value)).toBe('a2');
    const second = it.next();
    await until('the heartbeat read', () => states.includes('open'));
    api.home = [act(1), act(2), act(3)];
    stream(0).end();
    await opened(1);
    expect(stream(1).request.headers.get('last-event-id')).toBe('p3');
    // The server replays a3 (already on the first page) and sends a4 live.
    stream(1).push(`: connected\nid: p3\n\n${activityEvent('p4', 3)}${activityEvent('p5', 4)}`);
    expect(idOf((await second).value)).toBe('a3');
    expect(idOf((await it.next()).value)).toBe('a4');
    await it.return?.();
    expect(stream(1).aborted()).toBe(true);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open', 'closed']);
  });

  it('on a reset event fetches the first page and emits only what is new', async () => {
    api.home = [act(1)];
    const it = client.homeStream('u', fast)[Symbol.asyncIterator]();
    const next = it.next();
    await opened(0);
    stream(0).push(': connected\nid: p1\n\n');
    await until('the baseline', () => api.requests.filter((r) => !r.url.endsWith('/stream')).length === 1);
    api.home = [act(1), act(5)];
    stream(0).push('event: reset\ndata: {}\n\n');
    expect(idOf((await next).value)).toBe('a5');
    stream(0).push(activityEvent('p2', 5) + `id: p3\nevent: delete\ndata: {"id":"a1"}\n\n`);
    expect(idOf((await it.next()).value)).toBe('-a1');
    await it.return?.();
  });

  it('ends with the error on 401 or 403, without retrying', async () => {
    api.refuse = () => ({ status: 403, body: { statusCode: 403, error: 'FORBIDDEN', message: 'not yours' } });
    const err = await client.homeStream('u', fast)[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(isTidelineError(err, 'FORBIDDEN') && err.message).toBe('not yours');
    expect(api.requests).toHaveLength(1);
    expect(states).toEqual(['connecting', 'closed']);
  });

  it('waits Retry-After after 429 TOO_MANY_STREAMS and after 503, then connects', async () => {
    const refusals = [
      { status: 429, body: { statusCode: 429, error: 'TOO_MANY_STREAMS', message: 'too many' }, headers: { 'retry-after': '1' } },
      { status: 503, body: { statusCode: 503, error: 'STORE_UNAVAILABLE', message: 'later' } },
    ];
    api.refuse = (n) => refusals[n];
    const s = client.homeStream('u', fast);
    const next = s[Symbol.asyncIterator]().next();
    const started = Date.now();
    await opened(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    s.close();
    expect((await next).done).toBe(true);
  });

  it('ends when the signal aborts or close() is called, also while waiting to reconnect', async () => {
    const ac = new AbortController();
    const it = client.homeStream('u', { ...fast, signal: ac.signal })[Symbol.asyncIterator]();
    const next = it.next();
    await opened(0);
    ac.abort();
    expect((await next).done).toBe(true);
    expect(stream(0).aborted()).toBe(true);

    api.refuse = () => ({ status: 503, body: {} });
    const s = client.homeStream('u', { minBackoffMs: 60_000 });
    const waiting = s[Symbol.asyncIterator]().next();
    await until('a refused connect', () => api.requests.length === 2);
    s.close();
    expect((await waiting).done).toBe(true);
  });

  it('closes on break out of for await', async () => {
    api.home = [];
    const s = client.homeStream('u', fast);
    const got: string[] = [];
    const loop = (async () => {
      for await (const e of s) {
        got.push(idOf(e) as string);
        break;
      }
    })();
    await opened(0);
    stream(0).push(`: connected\nid: p1\n\n${activityEvent('p2', 7)}${activityEvent('p3', 8)}`);
    await loop;
    expect(got).toEqual(['a7']);
    expect(stream(0).aborted()).toBe(true);
    expect(states.at(-1)).toBe('closed');
  });
});

describe('backoffMs', () => {
  it('grows exponentially from the minimum, capped at the maximum, with jitter in between', () => {
    expect(backoffMs(1, 500, 15_000, () => 1)).toBe(500);
    expect(backoffMs(3, 500, 15_000, () => 1)).toBe(2000);
    expect(backoffMs(3, 500, 15_000, () => 0)).toBe(500);
    expect(backoffMs(20, 500, 15_000, () => 1)).toBe(15_000);
    // The server's retry: above the maximum still wins.
    expect(backoffMs(5, 20_000, 15_000, () => 0.5)).toBe(20_000);
  });
});
