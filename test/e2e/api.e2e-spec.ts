import { waitFor } from '@app/testing';
import { ADMIN, Stack, startStack } from './support/stack';

interface Page {
  items: { id: string; actor: string; object: string }[];
  next: string | null;
}

describe('REST API against the real stack', () => {
  let s: Stack;
  let alice: string, bob: string, carol: string;

  beforeAll(async () => {
    // A low per-caller limit so that the rate-limit test can reach it; no other test comes near it.
    s = await startStack({ RATE_LIMIT_PER_MINUTE: '60' });
    [alice, bob, carol] = [s.user('alice'), s.user('bob'), s.user('carol')];
  }, 120_000);
  afterAll(async () => s?.close());

  const home = async (u: string, q = ''): Promise<Page> => {
    const r = await s.call('GET', `/v1/feeds/home/${u}${q}`, u);
    expect(r.status).toBe(200);
    return r.body as Page;
  };

  describe('auth (docs/api.md §2)', () => {
    it('refuses a missing, malformed, badly signed or expired token with 401 in the error shape', async () => {
      const path = `/v1/feeds/user/${alice}`;
      const none = await s.call('GET', path);
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ statusCode: 401, error: 'UNAUTHORIZED' });
      const malformed = await s.call('GET', path, undefined, undefined, { authorization: 'Bearer not-a-jwt' });
      expect(malformed.status).toBe(401);
      const forged = await s.call('GET', path, undefined, undefined, { authorization: `Bearer ${s.token(alice, { secret: 'another-secret-0123456789' })}` });
      expect(forged.status).toBe(401);
      const expired = await s.call('GET', path, undefined, undefined, { authorization: `Bearer ${s.token(alice, { expSeconds: -60 })}` });
      expect(expired.status).toBe(401);
      expect((expired.body as { message: string }).message).toMatch(/expired/);
      const basic = await s.call('GET', path, undefined, undefined, { authorization: 'Basic YTpi' });
      expect(basic.status).toBe(401);
    });

    it("refuses another user's home and notifications with 403, and lets an admin through", async () => {
      expect((await s.call('GET', `/v1/feeds/home/${bob}`, alice)).status).toBe(403);
      expect((await s.call('GET', `/v1/feeds/notifications/${bob}`, alice)).status).toBe(403);
      expect((await s.call('POST', `/v1/feeds/notifications/${bob}/read`, alice)).status).toBe(403);
      expect((await s.call('PUT', `/v1/users/${bob}/following/${carol}`, alice)).status).toBe(403);
      expect((await s.call('POST', '/v1/activities', alice, { actor: bob, type: 'post', object: 'x' })).status).toBe(403);
      expect((await s.call('GET', `/v1/feeds/home/${bob}`, ADMIN)).status).toBe(200);
      expect((await s.call('GET', `/v1/feeds/notifications/${bob}`, ADMIN)).status).toBe(200);
    });

    it('lets any authenticated user read user feeds and follow lists', async () => {
      expect((await s.call('GET', `/v1/feeds/user/${bob}`, alice)).status).toBe(200);
      expect((await s.call('GET', `/v1/users/${bob}/followers`, alice)).status).toBe(200);
    });

    it('accepts ?access_token= on stream endpoints only', async () => {
      const t = s.token(alice);
      expect((await s.call('GET', `/v1/feeds/home/${alice}?access_token=${t}`)).status).toBe(401);
      const ctrl = new AbortController();
      const res = await fetch(`${s.api}/v1/feeds/home/${alice}/stream?access_token=${t}`, { signal: ctrl.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      ctrl.abort();
    });
  });

  describe('errors', () => {
    it('names every offending field of an invalid activity', async () => {
      const r = await s.call('POST', '/v1/activities', alice, { actor: alice, type: 'bad verb!', object: '', to: 'bob', extra: [1], nope: 1 });
      expect(r.status).toBe(400);
      const body = r.body as { error: string; fields: { field: string }[] };
      expect(body.error).toBe('VALIDATION_FAILED');
      expect(body.fields.map((f) => f.field).sort()).toEqual(expect.arrayContaining(['type', 'object', 'to', 'extra', 'nope']));
    });

    it('rejects published more than 5 minutes ahead, malformed JSON, bodies over 64 KiB, bad limits and forged cursors', async () => {
      const future = new Date(Date.now() + 10 * 60_000).toISOString();
      expect((await s.call('POST', '/v1/activities', alice, { actor: alice, type: 'post', object: 'o', published: future })).status).toBe(400);
      const bad = await s.call('POST', '/v1/activities', alice, '{"actor":');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ statusCode: 400 });
      const big = await s.call('POST', '/v1/activities', alice, { actor: alice, type: 'post', object: 'o', extra: { s: 'x'.repeat(70_000) } });
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ statusCode: 413, error: 'PAYLOAD_TOO_LARGE' });
      for (const q of ['?limit=0', '?limit=101', '?limit=abc', '?limit=1.5']) {
        expect((await s.call('GET', `/v1/feeds/user/${alice}${q}`, alice)).status).toBe(400);
      }
      const forged = await s.call('GET', `/v1/feeds/user/${alice}?cursor=eyJrIjoidXNlciJ9.AAAA`, alice);
      expect(forged.status).toBe(400);
      expect(forged.body).toMatchObject({ error: 'INVALID_CURSOR' });
      expect((await s.call('PUT', `/v1/users/${alice}/following/${alice}`, alice)).status).toBe(400);
      expect((await s.call('DELETE', '/v1/activities/01ZZZZZZZZZZZZZZZZZZZZZZZZ', alice)).status).toBe(404);
    });

    it('rate-limits per caller with 429 and Retry-After, without affecting other callers', async () => {
      const hammer = s.user('hammer');
      const statuses: number[] = [];
      for (let i = 0; i < 70; i++) statuses.push((await s.call('GET', `/v1/feeds/user/${alice}`, hammer)).status);
      expect(statuses.slice(0, 50).every((x) => x === 200)).toBe(true);
      expect(statuses).toContain(429);
      const limited = await s.call('GET', `/v1/feeds/user/${alice}`, hammer);
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ statusCode: 429, error: 'RATE_LIMITED' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await s.call('GET', `/v1/feeds/user/${alice}`, carol)).status).toBe(200);
    });

    it('answers browser preflights (CORS) and exposes Retry-After', async () => {
      const pre = await fetch(`${s.api}/v1/feeds/home/${alice}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toBeTruthy();
      const get = await fetch(`${s.api}/v1/feeds/user/${alice}`, { headers: { origin: 'https://app.example.com', authorization: `Bearer ${s.token(alice)}` } });
      expect(get.headers.get('access-control-expose-headers')).toMatch(/Retry-After/i);
    });

    it('refuses a cursor issued for another feed', async () => {
      for (let i = 0; i < 3; i++) expect((await s.call('POST', '/v1/activities', alice, { actor: alice, type: 'post', object: `c${i}` })).status).toBe(202);
      await s.quiesce();
      const first = (await s.call('GET', `/v1/feeds/user/${alice}?limit=1`, alice)).body as Page;
      expect(first.next).not.toBeNull();
      const other = await s.call('GET', `/v1/feeds/user/${bob}?cursor=${encodeURIComponent(first.next as string)}`, alice);
      expect(other.status).toBe(400);
    });
  });

  describe('feeds', () => {
    it('follow is read-your-writes; a publish reaches the follower; history comes with a follow; unfollow and delete remove', async () => {
      const dave = s.user('dave');
      const erin = s.user('erin');
      // dave has read his feed (active) before anything happens.
      await home(dave);
      expect((await s.call('PUT', `/v1/users/${dave}/following/${erin}`, dave)).status).toBe(204);
      expect((await s.call('PUT', `/v1/users/${dave}/following/${erin}`, dave)).status).toBe(204);
      const following = (await s.call('GET', `/v1/users/${dave}/following`, dave)).body as { items: { userId: string }[] };
      expect(following.items.map((i) => i.userId)).toEqual([erin]);

      const posted = await s.call('POST', '/v1/activities', erin, { actor: erin, type: 'post', object: 'hello', foreignId: 'f-1' });
      expect(posted.status).toBe(202);
      const id = (posted.body as { id: string }).id;
      await waitFor('the post in the follower home feed', async () => (await home(dave)).items.some((i) => i.id === id));

      // History comes with a follow: frank follows erin after the post.
      const frank = s.user('frank');
      await home(frank);
      await s.call('PUT', `/v1/users/${frank}/following/${erin}`, frank);
      await waitFor('backfilled history', async () => (await home(frank)).items.some((i) => i.id === id));

      // Unfollow: the history goes.
      await s.call('DELETE', `/v1/users/${frank}/following/${erin}`, frank);
      expect((await home(frank)).items.some((i) => i.id === id)).toBe(false);

      // Delete: gone everywhere.
      expect((await s.call('DELETE', `/v1/activities/${id}`, dave)).status).toBe(403);
      expect((await s.call('DELETE', `/v1/activities/${id}`, erin)).status).toBe(202);
      expect((await home(dave)).items.some((i) => i.id === id)).toBe(false);
      const user = (await s.call('GET', `/v1/feeds/user/${erin}`, dave)).body as Page;
      expect(user.items.some((i) => i.id === id)).toBe(false);
      await s.quiesce();
      // docs/api.md: deleting an already deleted activity is 202 again (a retry after a 503 must complete).
      expect((await s.call('DELETE', `/v1/activities/${id}`, erin)).status).toBe(202);
    });

    it('groups notifications, counts unseen/unread, marks them and re-opens a group on a new activity', async () => {
      const gina = s.user('gina');
      const likers = ['l1', 'l2', 'l3'].map((n) => s.user(n));
      const published = new Date().toISOString();
      for (const l of likers) {
        expect((await s.call('POST', '/v1/activities', l, { actor: l, type: 'like', object: 'post-9', to: [gina], published })).status).toBe(202);
      }
      expect((await s.call('POST', '/v1/activities', likers[0] as string, { actor: likers[0], type: 'reply', object: 'post-9', to: [gina] })).status).toBe(202);
      await s.quiesce();
      type NPage = { items: { id: string; type: string; actors: string[]; actorCount: number; activityCount: number; seen: boolean; read: boolean; latest: { actor: string } }[]; unseen: number; unread: number };
      const read = async (): Promise<NPage> => (await s.call('GET', `/v1/feeds/notifications/${gina}`, gina)).body as NPage;
      let page = await read();
      expect(page.items).toHaveLength(2);
      const like = page.items.find((g) => g.type === 'like');
      expect(like).toMatchObject({ actorCount: 3, activityCount: 3, seen: false, read: false });
      expect([...(like?.actors ?? [])].sort()).toEqual([...likers].sort());
      expect(page).toMatchObject({ unseen: 2, unread: 2 });

      expect((await s.call('POST', `/v1/feeds/notifications/${gina}/seen`, gina, { groups: [like?.id] })).status).toBe(204);
      page = await read();
      expect(page).toMatchObject({ unseen: 1, unread: 2 });
      expect((await s.call('POST', `/v1/feeds/notifications/${gina}/read`, gina)).status).toBe(204);
      page = await read();
      expect(page).toMatchObject({ unseen: 0, unread: 0 });

      // A new like re-opens the like group.
      const late = s.user('l4');
      await s.call('POST', '/v1/activities', late, { actor: late, type: 'like', object: 'post-9', to: [gina], published });
      await s.quiesce();
      page = await read();
      expect(page).toMatchObject({ unseen: 1, unread: 1 });
      expect(page.items.find((g) => g.type === 'like')).toMatchObject({ actorCount: 4, seen: false, read: false });
    });

    it('pushes a new activity and a delete to an open home stream', async () => {
      const hal = s.user('hal');
      const ivy = s.user('ivy');
      await home(hal);
      await s.call('PUT', `/v1/users/${hal}/following/${ivy}`, hal);
      await s.quiesce();
      const ctrl = new AbortController();
      const res = await fetch(`${s.api}/v1/feeds/home/${hal}/stream?access_token=${s.token(hal)}`, { signal: ctrl.signal });
      expect(res.status).toBe(200);
      let text = '';
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const pump = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            text += Buffer.from(value).toString('utf8');
          }
        } catch {
          /* aborted */
        }
      })();
      await waitFor('the stream to open', () => text.includes(': connected'));
      const posted = await s.call('POST', '/v1/activities', ivy, { actor: ivy, type: 'post', object: 'live-1' });
      const id = (posted.body as { id: string }).id;
      await waitFor('an activity event', () => text.includes('event: activity') && text.includes(id), { timeoutMs: 15_000 });
      await s.call('DELETE', `/v1/activities/${id}`, ivy);
      await waitFor('a delete event', () => text.includes('event: delete') && text.includes(`{"id":"${id}"}`), { timeoutMs: 15_000 });
      const open = async (): Promise<number> => {
        const text = await (await fetch(`${s.api}/metrics`)).text();
        return Number(/^tideline_sse_connections\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? NaN);
      };
      expect(await open()).toBeGreaterThanOrEqual(1);
      ctrl.abort();
      await pump;
      // A closed connection leaves nothing behind.
      await waitFor('the closed stream to be released', async () => (await open()) === 0);
    });
  });
});
