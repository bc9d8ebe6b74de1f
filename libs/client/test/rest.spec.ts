import { createTidelineClient, isTidelineError, TidelineError } from '@tideline/client';
import { MAX_EMPTY_PAGES } from '../src/paging';
import { act, FakeApi } from './fake-api';

const rateLimited = (seconds: string) => ({ status: 429, body: { statusCode: 429, error: 'RATE_LIMITED', message: 'slow down' }, headers: { 'retry-after': seconds } });
const caught = (p: Promise<unknown>): Promise<TidelineError> => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as TidelineError);

describe('REST calls against a fake API', () => {
  it('maps an error body to TidelineError with code, message and fields', async () => {
    const api = new FakeApi();
    const fields = [{ field: 'limit', problems: ['limit must be an integer from 1 to 100'] }];
    api.rest = [{ status: 400, body: { statusCode: 400, error: 'VALIDATION_FAILED', message: 'limit must be…', fields } }];
    const c = createTidelineClient({ baseUrl: 'http://fake', fetch: api.fetch });
    const e = await caught(c.following('u', { limit: 0 }).first());
    expect(e).toBeInstanceOf(TidelineError);
    expect({ status: e.status, code: e.code, message: e.message, fields: e.fields }).toEqual({ status: 400, code: 'VALIDATION_FAILED', message: 'limit must be…', fields });
    expect(new URL((api.requests[0] as Request).url).search).toBe('?limit=0');
  });

  it('retries a 429 after Retry-After, up to maxRetries, then throws RATE_LIMITED with retryAfterSeconds', async () => {
    const api = new FakeApi();
    api.rest = [rateLimited('0'), rateLimited('0'), { status: 204, body: '' }];
    const c = createTidelineClient({ baseUrl: 'http://fake', token: 'tok', fetch: api.fetch });
    await c.follow('u', 'v');
    expect(api.requests).toHaveLength(3);
    expect(api.requests.every((r) => r.method === 'PUT' && r.headers.get('authorization') === 'Bearer tok')).toBe(true);

    api.rest = [rateLimited('0')];
    const e = await caught(createTidelineClient({ baseUrl: 'http://fake', fetch: api.fetch, retry: { maxRetries: 1 } }).mute('u', 'v'));
    expect(isTidelineError(e, 'RATE_LIMITED') && e.retryAfterSeconds).toBe(0);
    expect(api.requests).toHaveLength(5);
  });

  it('does not wait longer than maxWaitMs: such a 429 is thrown at once', async () => {
    const api = new FakeApi();
    api.rest = [rateLimited('31')];
    const e = await caught(createTidelineClient({ baseUrl: 'http://fake', fetch: api.fetch }).unmute('u', 'v'));
    expect([e.code, e.retryAfterSeconds, api.requests.length]).toEqual(['RATE_LIMITED', 31, 1]);
  });

  it('sends the publish body as JSON and resends it unchanged on a retry', async () => {
    const api = new FakeApi();
    api.rest = [rateLimited('0'), { status: 202, body: act(1) }];
    const a = await createTidelineClient({ baseUrl: 'http://fake', fetch: api.fetch }).publish({ actor: 'x', type: 'post', object: 'o1' });
    expect(a.id).toBe('a1');
    const bodies = await Promise.all(api.requests.map((r) => r.text()));
    expect(bodies).toEqual(['{"actor":"x","type":"post","object":"o1"}', '{"actor":"x","type":"post","object":"o1"}']);
  });

  it('turns a failed fetch into NETWORK, and an answer that is not the error shape into UNEXPECTED', async () => {
    const down = createTidelineClient({ baseUrl: 'http://fake', fetch: () => Promise.reject(new TypeError('fetch failed')) });
    expect((await caught(down.deleteActivity('x'))).code).toBe('NETWORK');
    const api = new FakeApi();
    api.rest = [{ status: 502, body: '<html>bad gateway</html>' }];
    const e = await caught(createTidelineClient({ baseUrl: 'http://fake', fetch: api.fetch }).opsOverview());
    expect([e.status, e.code]).toEqual([502, 'UNEXPECTED']);
  });
});

describe('paging', () => {
  /** A feed of `n` activities served `per` at a time; cursors are offsets. Counts the pages asked for. */
  const feed = (n: number, per: number, emptyAt?: (offset: number) => boolean) => {
    const asked: (string | null)[] = [];
    const fetch = async (input: Request | string | URL): Promise<Response> => {
      const url = new URL((input as Request).url);
      const cursor = url.searchParams.get('cursor');
      asked.push(cursor);
      const at = Number(cursor ?? 0);
      if (emptyAt?.(at)) return Response.json({ items: [], next: String(at + 1) });
      const items = Array.from({ length: Math.max(0, Math.min(per, n - at)) }, (_, i) => act(at + i));
      return Response.json({ items, next: at + per < n ? String(at + per) : null });
    };
    return { asked, client: createTidelineClient({ baseUrl: 'http://fake', fetch }) };
  };

  it('follows next until null, lazily, and stops fetching on break', async () => {
    const f = feed(7, 3);
    const all: string[] = [];
    for await (const a of f.client.home('u', { limit: 3 })) all.push(a.id);
    expect(all).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    expect(f.asked).toEqual([null, '3', '6']);

    const g = feed(100, 3);
    const paged = g.client.userFeed('u');
    expect(g.asked).toEqual([]);
    for await (const a of paged) if (a.id === 'a4') break;
    expect(g.asked).toEqual([null, '3']);
  });

  it('follows empty pages with a next cursor, but not forever', async () => {
    const f = feed(6, 3, (at) => at === 3);
    const ids: string[] = [];
    for await (const a of f.client.home('u')) ids.push(a.id);
    expect(ids).toEqual(['a0', 'a1', 'a2', 'a4', 'a5']);

    const endless = feed(1_000_000, 3, (at) => at >= 3);
    const e = await caught((async () => { for await (const _ of endless.client.home('u')) void _; })());
    expect(e.code).toBe('UNEXPECTED');
    expect(endless.asked).toHaveLength(1 + MAX_EMPTY_PAGES);
  });

  it('pages() yields whole pages and first() fetches just one', async () => {
    const f = feed(5, 2);
    const sizes: number[] = [];
    for await (const p of f.client.followers('u').pages()) sizes.push(p.items.length);
    expect(sizes).toEqual([2, 2, 1]);
    expect((await f.client.followers('u', { cursor: '4' }).first()).next).toBeNull();
  });
});
