import { waitFor } from '@app/testing';
import { Page } from 'playwright-core';
import { BrowserHarness, serveHtml, StaticSite, startBrowser, startProxy } from './support/browser';
import { openSse, SseClient } from './support/sse';
import { Stack, startStack } from './support/stack';

/**
 * The API as a browser app on another origin uses it (docs/api.md §2.1, §2.5, §2.7): real Chromium, a page
 * served from a second origin (another port of 127.0.0.1), real bearer tokens. What the tests check is what
 * the browser lets the page's script do: the preflight lets PUT and DELETE through, a 429's Retry-After is
 * readable, an EventSource with `?access_token=` gets live events and resumes with Last-Event-ID, and an
 * origin missing from CORS_ORIGINS is refused by the browser.
 */

/** The page's own client, as a web app would write it: fetch with a bearer token, EventSource with `?access_token=`. */
const APP_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>tideline cross-origin client</title><link rel="icon" href="data:,"></head>
<body><script>
window.app = {
  async call(url, method, token, body) {
    try {
      const headers = { authorization: 'Bearer ' + token };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let parsed = null;
      try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
      return { ok: true, status: res.status, retryAfter: res.headers.get('retry-after'), body: parsed };
    } catch (e) {
      return { ok: false, error: e.name + ': ' + e.message };
    }
  },
  streams: {},
  open(name, url) {
    const es = new EventSource(url);
    const s = { es, opens: 0, errors: 0, events: [] };
    es.onopen = () => { s.opens++; };
    es.onerror = () => { s.errors++; };
    for (const type of ['activity', 'delete', 'reset']) {
      es.addEventListener(type, (e) => s.events.push({ type: e.type, lastEventId: e.lastEventId, data: JSON.parse(e.data) }));
    }
    this.streams[name] = s;
  },
  stream(name) {
    const s = this.streams[name];
    return { readyState: s.es.readyState, opens: s.opens, errors: s.errors, events: s.events };
  },
  close(name) { this.streams[name].es.close(); },
};
</script></body></html>`;

type CallResult = { ok: true; status: number; retryAfter: string | null; body: unknown } | { ok: false; error: string };
interface StreamState {
  readyState: number;
  opens: number;
  errors: number;
  events: { type: string; lastEventId: string; data: { id?: string } }[];
}
interface AppWindow {
  app: {
    call(url: string, method: string, token: string, body: unknown): Promise<CallResult>;
    open(name: string, url: string): void;
    stream(name: string): StreamState;
    close(name: string): void;
  };
}

/** `method path` with `as`'s bearer token, run by the page's script. */
const inPage = (page: Page, s: Stack, method: string, path: string, as: string, body?: unknown): Promise<CallResult> =>
  page.evaluate(([url, m, t, b]) => (globalThis as unknown as AppWindow).app.call(url, m, t, b), [`${s.api}${path}`, method, s.token(as), body] as const);

const streamState = (page: Page, name: string): Promise<StreamState> => page.evaluate((n) => (globalThis as unknown as AppWindow).app.stream(n), name);

describe('a browser app on another origin (real Chromium)', () => {
  let h: BrowserHarness;
  let site: StaticSite;

  beforeAll(async () => {
    h = await startBrowser();
    site = h.track(await serveHtml(APP_HTML));
  }, 60_000);
  afterAll(async () => h?.close());

  const openApp = async (at: StaticSite, api: string): Promise<{ page: Page; problems: (allowed?: RegExp[]) => string[] }> => {
    const { page, watch } = await h.newPage();
    await page.goto(at.url());
    // A real cross-origin setup: same host, another port.
    expect(new URL(page.url()).origin).not.toBe(new URL(api).origin);
    return { page, problems: (allowed) => watch.problems(allowed) };
  };

  describe('with CORS_ORIGINS=* (the default)', () => {
    let s: Stack;
    beforeAll(async () => {
      s = await startStack({ RATE_LIMIT_PER_MINUTE: '1000000' });
    }, 180_000);
    afterAll(async () => s?.close());

    it('follows, unfollows, mutes, lists mutes, publishes and deletes from the page: the preflight lets PUT and DELETE through with a bearer token', async () => {
      const { page, problems } = await openApp(site, s.api);
      const me = s.user('ann');
      const other = s.user('ben');
      const call = (method: string, path: string, body?: unknown): Promise<CallResult> => inPage(page, s, method, path, me, body);

      expect(await call('PUT', `/v1/users/${me}/following/${other}`)).toEqual({ ok: true, status: 204, retryAfter: null, body: null });
      const following = await call('GET', `/v1/users/${me}/following`);
      expect(following).toMatchObject({ ok: true, status: 200, body: { items: [{ userId: other }] } });
      expect(await call('DELETE', `/v1/users/${me}/following/${other}`)).toMatchObject({ ok: true, status: 204 });
      expect(await call('GET', `/v1/users/${me}/following`)).toMatchObject({ ok: true, status: 200, body: { items: [] } });

      expect(await call('PUT', `/v1/users/${me}/muted/${other}`)).toMatchObject({ ok: true, status: 204 });
      expect(await call('GET', `/v1/users/${me}/muted`)).toMatchObject({ ok: true, status: 200, body: { items: [{ userId: other }] } });
      expect(await call('DELETE', `/v1/users/${me}/muted/${other}`)).toMatchObject({ ok: true, status: 204 });
      expect(await call('GET', `/v1/users/${me}/muted`)).toMatchObject({ ok: true, status: 200, body: { items: [] } });

      const posted = await call('POST', '/v1/activities', { actor: me, type: 'post', object: 'from-the-browser' });
      expect(posted).toMatchObject({ ok: true, status: 202, body: { actor: me, type: 'post', object: 'from-the-browser' } });
      const id = ((posted as { body: { id: string } }).body).id;
      expect(id).toMatch(/^[0-9A-Z]{26}$/);
      expect(await call('DELETE', `/v1/activities/${id}`)).toMatchObject({ ok: true, status: 202 });

      expect(problems()).toEqual([]);
    });

    it('an EventSource with ?access_token= gets activities published afterwards, and resumes with Last-Event-ID after a network drop', async () => {
      const reader = s.user('rea');
      const author = s.user('aut');
      expect((await s.call('PUT', `/v1/users/${reader}/following/${author}`, reader)).status).toBe(204);
      // As the app does: the first page, then the stream.
      expect((await s.call('GET', `/v1/feeds/home/${reader}`, reader)).status).toBe(200);
      await s.quiesce();

      // The page reaches the API through a proxy the test can cut, as a dropped network would.
      const proxy = h.track(await startProxy(s.api));
      const streamPath = `/v1/feeds/home/${reader}/stream?access_token=${s.token(reader)}`;
      const { page, problems } = await openApp(site, proxy.url);
      // A direct stream of the same user: once it has an event, the API has it too (and can replay it).
      const observer: SseClient = openSse(s.api, streamPath);
      try {
        await waitFor('the observer stream to open', () => observer.text().includes(': connected'), { timeoutMs: 15_000, describe: () => observer.head() });
        await page.evaluate(([n, url]) => (globalThis as unknown as AppWindow).app.open(n, url), ['home', `${proxy.url}${streamPath}`] as const);
        await waitFor('the page stream to open', async () => (await streamState(page, 'home')).opens === 1, { timeoutMs: 15_000, describe: () => streamState(page, 'home') });

        const publish = async (object: string): Promise<string> => {
          const r = await s.call('POST', '/v1/activities', author, { actor: author, type: 'post', object });
          expect(r.status).toBe(202);
          return (r.body as { id: string }).id;
        };
        const pageHas = async (id: string): Promise<StreamState | false> => {
          const st = await streamState(page, 'home');
          return st.events.some((e) => e.data.id === id) && st;
        };

        const first = await publish('before-the-drop');
        const before = await waitFor('the first activity in the page', () => pageHas(first), { timeoutMs: 30_000, describe: () => streamState(page, 'home') });
        const firstEvent = before.events.find((e) => e.data.id === first);
        expect(firstEvent).toMatchObject({ type: 'activity', data: { id: first, actor: author, object: 'before-the-drop' } });
        expect(firstEvent?.lastEventId).toMatch(/\S/);

        proxy.cut();
        await waitFor('the page to notice the drop', async () => (await streamState(page, 'home')).errors >= 1, { timeoutMs: 15_000, describe: () => streamState(page, 'home') });
        const missed = await publish('during-the-drop');
        await waitFor('the API to have the missed activity', () => observer.events().some((e) => e.event === 'activity' && e.subject === missed), { timeoutMs: 30_000 });
        proxy.restore();

        // EventSource reconnects by itself (after the stream's `retry: 3000`), sending the last id it saw.
        const after = await waitFor('the missed activity in the page, replayed on reconnect', () => pageHas(missed), { timeoutMs: 30_000, describe: () => streamState(page, 'home') });
        expect(after.opens).toBe(2);
        const streamHeads = proxy.heads().filter((hd) => hd.startsWith('GET /v1/feeds/home/'));
        expect(streamHeads).toHaveLength(2);
        expect(streamHeads[0]).not.toMatch(/^last-event-id:/im);
        expect(streamHeads[1]).toMatch(new RegExp(`^last-event-id: ${escapeRegExp(firstEvent?.lastEventId ?? '?')}\\r?$`, 'im'));
        // Each activity once, in order, no reset: the resume was exact.
        expect(after.events.map((e) => `${e.type}:${e.data.id}`)).toEqual([`activity:${first}`, `activity:${missed}`]);
        expect(after.events[1]?.lastEventId).toMatch(/\S/);
        expect(after.events[1]?.lastEventId).not.toBe(firstEvent?.lastEventId);

        // The drop itself (the cut stream's network error, on the console and as a failed request) is the only
        // thing that went wrong in the page.
        expect(problems([new RegExp(`net::ERR_\\w+.*${escapeRegExp(proxy.url)}/v1/feeds/home/|${escapeRegExp(proxy.url)}/v1/feeds/home/.*net::ERR_\\w+`)])).toEqual([]);
        await page.evaluate((n) => (globalThis as unknown as AppWindow).app.close(n), 'home');
      } finally {
        observer.close();
      }
    });
  });

  describe('with CORS_ORIGINS listing other origins, and a small rate limit', () => {
    let s: Stack;
    let listed: StaticSite;
    beforeAll(async () => {
      listed = h.track(await serveHtml(APP_HTML));
      s = await startStack({ CORS_ORIGINS: `http://allowed.example,${listed.origin}`, RATE_LIMIT_PER_MINUTE: '5' }, { workers: 0 });
    }, 180_000);
    afterAll(async () => s?.close());

    it('serves a listed origin, while the browser refuses the same calls from an unlisted one: they fail in the page and never reach the API', async () => {
      const ok = await openApp(listed, s.api);
      const me = s.user('lis');
      expect(await inPage(ok.page, s, 'GET', `/v1/users/${me}/following`, me)).toMatchObject({ ok: true, status: 200, body: { items: [] } });
      expect(ok.problems()).toEqual([]);

      const other = await openApp(site, s.api);
      const blocked = [
        await inPage(other.page, s, 'GET', `/v1/users/${me}/following`, me),
        await inPage(other.page, s, 'PUT', `/v1/users/${me}/following/${s.user('tgt')}`, me),
        await inPage(other.page, s, 'POST', '/v1/activities', me, { actor: me, type: 'post', object: 'x' }),
      ];
      for (const r of blocked) expect(r).toEqual({ ok: false, error: expect.stringMatching(/^TypeError: /) as unknown });
      // The browser says why.
      expect(other.problems().some((p) => /blocked by CORS policy/.test(p))).toBe(true);
      // The preflight failed, so the PUT and the POST were never sent.
      expect((await s.call('GET', `/v1/users/${me}/following`, me)).body).toMatchObject({ items: [] });
      expect((await s.call('GET', `/v1/feeds/user/${me}`, me)).body).toMatchObject({ items: [] });
    });

    it(`lets the page's script read a 429's Retry-After`, async () => {
      const { page, problems } = await openApp(listed, s.api);
      const hammer = s.user('ham');
      const results: CallResult[] = [];
      // RATE_LIMIT_PER_MINUTE=5: a burst of 5, then 429.
      for (let i = 0; i < 10 && !results.some((r) => r.ok && r.status === 429); i++) results.push(await inPage(page, s, 'GET', `/v1/feeds/user/${hammer}`, hammer));
      const limited = results.at(-1);
      expect(limited).toMatchObject({ ok: true, status: 429, body: { statusCode: 429, error: 'RATE_LIMITED' } });
      expect(Number((limited as { retryAfter: string | null }).retryAfter)).toBeGreaterThanOrEqual(1);
      expect(results.slice(0, -1).every((r) => r.ok && r.status === 200)).toBe(true);
      // Chromium reports the 429 itself on the console; nothing else may go wrong.
      expect(problems([/status of 429/])).toEqual([]);
    });
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
