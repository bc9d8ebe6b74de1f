import { createHmac } from 'node:crypto';
import { Stack, startStack } from './support/stack';
import { rawRequest } from './support/raw-http';

/**
 * The HTTP edge from an attacker's side: no spelling of a /v1 path, and no token in an odd place, reaches
 * a handler without a verified caller; and anonymous traffic is rate limited per client address.
 */

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A JWT with any header, signed HMAC-SHA256 with `secret` unless `sig` is given. */
function jwt(header: object, claims: object, secret: string, sig?: string, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const head = `${b64(header)}.${b64(claims)}`;
  return `${head}.${sig ?? createHmac(hash, secret).update(head).digest('base64url')}`;
}

describe('HTTP edge security', () => {
  let s: Stack;
  let alice: string;
  let secret: string;

  beforeAll(async () => {
    s = await startStack({}, { workers: 0 });
    alice = s.user('alice');
    secret = s.env['AUTH_JWT_SECRET'] as string;
  }, 180_000);
  afterAll(async () => s?.close());

  describe('authentication is decided by the matched route, not by the URL text', () => {
    const spellings = (u: string): string[] => [
      `/%761/feeds/user/${u}`,
      `/v%31/feeds/user/${u}`,
      `/%76%31/feeds/user/${u}`,
      `/%761/users/${u}/following`,
      `/%761/users/${u}/followers`,
      `/v1/%66eeds/user/${u}`,
      `/v1/feeds/%75ser/${u}`,
      `/v1/feeds/user/${encodeURIComponent(u).replace(/./g, (c) => `%${c.charCodeAt(0).toString(16)}`)}`,
      `/%761/feeds/home/${u}`,
      `/%761/feeds/notifications/${u}`,
      `/%761/feeds/home/${u}/stream`,
      `/%761/feeds/notifications/${u}/stream`,
      `/V1/feeds/user/${u}`,
      `/v1/FEEDS/user/${u}`,
      `/V%31/feeds/user/${u}`,
      `//v1/feeds/user/${u}`,
      `//v1//feeds/user/${u}`,
      `/v1//feeds/user/${u}`,
      `/v1/feeds//user/${u}`,
      `/v1/./feeds/user/${u}`,
      `/./v1/feeds/user/${u}`,
      `/v1/feeds/../feeds/user/${u}`,
      `/x/../v1/feeds/user/${u}`,
      `/v1/%2e/feeds/user/${u}`,
      `/v1/feeds/%2e%2e/feeds/user/${u}`,
      `/v1%2Ffeeds%2Fuser%2F${u}`,
      `/v1/feeds/user%2F${u}`,
      `/%2Fv1/feeds/user/${u}`,
      `/v1/feeds/user/${u}/`,
      `/v1/feeds/user/${u}//`,
      `/v1/feeds/user/${u};x=1`,
      `/v1;x=1/feeds/user/${u}`,
      `/v1/feeds/user/${u}?`,
      `/v1/feeds/user/${u}%3Fa=1`,
      `/v1/feeds/user/${u}%00`,
      `/v1/feeds/user/${u}%20`,
      `/v1/users/${u}/following/`,
      `/%761/activities`,
      `/v1/activities/`,
    ];

    it('never answers 2xx without a token, whatever the spelling of a /v1 path', async () => {
      const answers: string[] = [];
      for (const path of spellings(alice)) {
        for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE']) {
          const body = method === 'POST' ? JSON.stringify({ actor: alice, type: 'post', object: 'x' }) : undefined;
          const r = await rawRequest(s.api, method, path, body === undefined ? {} : { 'content-type': 'application/json' }, body);
          if (r.status < 300 || r.status >= 500) answers.push(`${method} ${path} -> ${r.status} ${r.body.slice(0, 80)}`);
        }
      }
      expect(answers).toEqual([]);
    });

    it('answers 401 for the spellings the router decodes onto a /v1 route', async () => {
      for (const path of [`/%761/feeds/user/${alice}`, `/v%31/feeds/user/${alice}`, `/%761/users/${alice}/following`, `/v1/%66eeds/user/${alice}`, `/%761/feeds/home/${alice}/stream`]) {
        const r = await rawRequest(s.api, 'GET', path);
        expect({ path, status: r.status }).toEqual({ path, status: 401 });
        expect(JSON.parse(r.body)).toMatchObject({ statusCode: 401, error: 'UNAUTHORIZED' });
      }
    });

    it('answers 401 without a token on every registered /v1 route of the OpenAPI document', async () => {
      const doc = (await (await fetch(`${s.api}/docs-json`)).json()) as OpenApi;
      const ops: [string, string][] = [];
      for (const [template, methods] of Object.entries(doc.paths)) {
        if (!template.startsWith('/v1')) continue;
        for (const m of Object.keys(methods)) ops.push([m.toUpperCase(), template]);
      }
      // Every controller route is in the document (the stream routes included).
      expect(ops.length).toBeGreaterThanOrEqual(15);
      expect(ops).toEqual(expect.arrayContaining([['GET', '/v1/feeds/home/{userId}/stream'], ['GET', '/v1/feeds/notifications/{userId}/stream'], ['POST', '/v1/activities']]));
      const bad: string[] = [];
      for (const [method, template] of ops) {
        const path = template.replace('{userId}', alice).replace('{targetId}', s.user('bob')).replace('{id}', '01J0000000000000000000000A');
        const headers: Record<string, string> = method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' };
        const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
        const r = await rawRequest(s.api, method, path, headers, body);
        if (r.status !== 401) bad.push(`${method} ${path} -> ${r.status}`);
        // A valid token in the query authenticates stream routes only.
        if (!template.endsWith('/stream')) {
          const q = await rawRequest(s.api, method, `${path}?access_token=${s.token(alice)}`, headers, body);
          if (q.status !== 401) bad.push(`${method} ${path}?access_token -> ${q.status}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it('keeps the operator endpoints public', async () => {
      expect((await rawRequest(s.api, 'GET', '/health/live')).status).toBe(200);
      expect((await rawRequest(s.api, 'GET', '/health/ready')).status).toBe(200);
      expect((await rawRequest(s.api, 'GET', '/metrics')).status).toBe(200);
      expect((await rawRequest(s.api, 'GET', '/docs-json')).status).toBe(200);
    });
  });

  describe('tokens in odd places never authenticate', () => {
    const feed = (): string => `/v1/feeds/user/${alice}`;
    const as = async (authorization: string, path = feed()): Promise<number> => (await rawRequest(s.api, 'GET', path, { authorization })).status;
    const claims = (o: object = {}): object => ({ sub: alice, exp: Math.floor(Date.now() / 1000) + 600, ...o });

    it('accepts the well-formed token (control)', async () => {
      expect(await as(`Bearer ${s.token(alice)}`)).toBe(200);
    });

    it('treats the scheme name case-insensitively (RFC 7235) but still verifies the token', async () => {
      expect(await as(`bearer ${s.token(alice)}`)).toBe(200);
      expect(await as(`bearer ${s.token(alice, { secret: 'another-secret-0123456789' })}`)).toBe(401);
    });

    it('refuses other schemes, a bare token, two tokens and stray whitespace', async () => {
      const t = s.token(alice);
      for (const h of [
        `Basic ${Buffer.from(`${alice}:x`).toString('base64')}`,
        t,
        `Token ${t}`,
        `Bearer ${t} ${t}`,
        `Bearer ${t},Bearer ${t}`,
        `Bearer ${t}, Bearer ${t}`,
        `Bearer  ${t}`,
        `Bearer`,
        `Bearer `,
        `Bearer "${t}"`,
        `Bearer ${t};`,
      ]) {
        expect({ h, status: await as(h) }).toEqual({ h, status: 401 });
      }
    });

    it('refuses alg none, other algorithms and key confusion', async () => {
      const c = claims();
      for (const t of [
        jwt({ alg: 'none', typ: 'JWT' }, c, secret, ''),
        jwt({ alg: 'NONE', typ: 'JWT' }, c, secret, ''),
        jwt({ alg: 'HS512', typ: 'JWT' }, c, secret, undefined, 'sha512'),
        jwt({ alg: 'RS256', typ: 'JWT' }, c, secret),
        jwt({ alg: 'HS256', typ: 'JWT', kid: '../../dev/null' }, c, ''),
        jwt({ typ: 'JWT' }, c, secret),
      ]) {
        expect({ t, status: await as(`Bearer ${t}`) }).toEqual({ t, status: 401 });
      }
    });

    it('refuses expired, not-yet-valid, wrongly signed, sub-less and huge tokens', async () => {
      const now = Math.floor(Date.now() / 1000);
      const tokens = [
        s.token(alice, { expSeconds: -5 }),
        jwt({ alg: 'HS256', typ: 'JWT' }, claims({ nbf: now + 3600 }), secret),
        s.token(alice, { secret: 'another-secret-0123456789' }),
        jwt({ alg: 'HS256', typ: 'JWT' }, { exp: now + 600 }, secret),
        jwt({ alg: 'HS256', typ: 'JWT' }, claims({ sub: '' }), secret),
        jwt({ alg: 'HS256', typ: 'JWT' }, claims({ sub: 42 }), secret),
        jwt({ alg: 'HS256', typ: 'JWT' }, claims({ sub: ['a', 'b'] }), secret),
        jwt({ alg: 'HS256', typ: 'JWT' }, claims({ pad: 'x'.repeat(9000) }), secret),
      ];
      for (const t of tokens) {
        const status = await as(`Bearer ${t}`);
        // 431 is Node refusing an over-long header before the app sees it: refused all the same.
        expect({ t: t.slice(0, 60), ok: status === 401 || (t.length > 8000 && status === 431) }).toEqual({ t: t.slice(0, 60), ok: true });
      }
    });

    it('on a stream: a bad header is not rescued by a good query token, and a repeated query token is no token', async () => {
      const stream = `/v1/feeds/home/${alice}/stream`;
      const good = s.token(alice);
      expect(await as(`Bearer nope`, `${stream}?access_token=${good}`)).toBe(401);
      expect((await rawRequest(s.api, 'GET', `${stream}?access_token=${good}&access_token=${good}`)).status).toBe(401);
      expect((await rawRequest(s.api, 'GET', `${stream}?access_token=`)).status).toBe(401);
      expect((await rawRequest(s.api, 'GET', `${stream}?ACCESS_TOKEN=${good}`)).status).toBe(401);
    });
  });

  describe('bodies: JSON in, nothing else (CONTRACT §3)', () => {
    const bearer = (): Record<string, string> => ({ authorization: `Bearer ${s.token(alice)}` });

    it('marks all notifications for an empty application/json body on /seen and /read ("no body = all")', async () => {
      for (const mark of ['seen', 'read']) {
        const r = await rawRequest(s.api, 'POST', `/v1/feeds/notifications/${alice}/${mark}`, { ...bearer(), 'content-type': 'application/json', 'content-length': '0' }, '');
        expect([mark, r.status, r.body]).toEqual([mark, 204, '']);
      }
    });

    it('refuses a JSON null, an array or a malformed group id on /seen and /read instead of marking everything', async () => {
      for (const mark of ['seen', 'read']) {
        for (const raw of ['null', '[]', '{"groups":"all"}', '{"groups":["not-a-group-id"]}']) {
          const r = await rawRequest(s.api, 'POST', `/v1/feeds/notifications/${alice}/${mark}`, { ...bearer(), 'content-type': 'application/json' }, raw);
          expect([mark, raw, r.status]).toEqual([mark, raw, 400]);
          expect(JSON.parse(r.body)).toMatchObject({ error: 'VALIDATION_FAILED' });
        }
      }
    });

    it('refuses a __proto__ or constructor.prototype key by name, and merges nothing', async () => {
      for (const raw of [
        `{"__proto__":{"admin":true},"actor":"${alice}","type":"post","object":"o"}`,
        `{"constructor":{"prototype":{"admin":true}},"actor":"${alice}","type":"post","object":"o"}`,
      ]) {
        const r = await rawRequest(s.api, 'POST', '/v1/activities', { ...bearer(), 'content-type': 'application/json' }, raw);
        expect(r.status).toBe(400);
        expect(JSON.parse(r.body)).toMatchObject({ error: 'VALIDATION_FAILED', message: expect.stringMatching(/__proto__|constructor\.prototype/) });
      }
      expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    });

    it('answers 415 to a form-encoded, multipart or binary activity instead of accepting it', async () => {
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', `actor=${alice}&type=post&object=o`],
        ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="actor"\r\n\r\n${alice}\r\n--x--\r\n`],
        ['application/octet-stream', 'actor'],
      ]) {
        const r = await rawRequest(s.api, 'POST', '/v1/activities', { ...bearer(), 'content-type': type as string }, body);
        expect([type, r.status]).toEqual([type, 415]);
        expect(JSON.parse(r.body)).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE' });
      }
    });

    it('still answers 400 naming the problem for broken JSON and an empty body where one is required', async () => {
      const broken = await rawRequest(s.api, 'POST', '/v1/activities', { ...bearer(), 'content-type': 'application/json' }, '{"actor":');
      expect(broken.status).toBe(400);
      expect(JSON.parse(broken.body)).toMatchObject({ error: 'VALIDATION_FAILED', message: 'body is not valid JSON' });
      const empty = await rawRequest(s.api, 'POST', '/v1/activities', { ...bearer(), 'content-type': 'application/json', 'content-length': '0' }, '');
      expect(empty.status).toBe(400);
      expect(JSON.parse(empty.body)).toMatchObject({ error: 'VALIDATION_FAILED' });
    });
  });
});

describe('rate limit on anonymous traffic', () => {
  let s: Stack;
  const BUDGET = 20;

  beforeAll(async () => {
    s = await startStack({ RATE_LIMIT_PER_MINUTE: String(BUDGET) }, { workers: 0 });
  }, 180_000);
  afterAll(async () => s?.close());

  it('limits one address with 429 and Retry-After on every kind of request, however it spells X-Forwarded-For, and leaves verified callers alone', async () => {
    const kinds: [string, string, Record<string, string>][] = [
      ['GET', `/v1/feeds/user/${s.user('a')}`, {}],
      ['GET', `/v1/feeds/user/${s.user('a')}`, { authorization: 'Bearer forged' }],
      ['GET', '/health/live', {}],
      ['GET', '/metrics', {}],
      ['GET', '/no/such/route', {}],
      ['GET', `/%761/feeds/user/${s.user('a')}`, {}],
      ['GET', '/v1/feeds/user/%zz', {}],
      ['POST', '/v1/activities', { 'content-type': 'application/json' }],
      // A body the parser refuses is refused before any guard runs: it is charged all the same.
      ['POST', '/v1/activities', { 'content-type': 'application/json', authorization: 'Bearer forged' }],
    ];
    const statuses: number[] = [];
    for (let i = 0; i < BUDGET + 5; i++) {
      const [method, path, headers] = kinds[i % kinds.length] as [string, string, Record<string, string>];
      const r = await rawRequest(s.api, method, path, { ...headers, 'x-forwarded-for': `10.0.${i}.1` }, method === 'POST' ? '{not json' : undefined);
      statuses.push(r.status);
    }
    expect(statuses).toContain(429);
    // Once spent, the budget is spent for every kind of anonymous request.
    for (const [method, path, headers] of kinds) {
      const r = await rawRequest(s.api, method, path, { ...headers, 'x-forwarded-for': '192.0.2.7' }, method === 'POST' ? '{not json' : undefined);
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 429 });
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(r.body)).toMatchObject({ statusCode: 429, error: 'RATE_LIMITED' });
    }
    // A verified caller has a budget of its own.
    expect((await s.call('GET', `/v1/feeds/user/${s.user('a')}`, s.user('reader'))).status).toBe(200);
  });

  it("charges a verified caller's requests whose body the parser refuses to that caller", async () => {
    const sloppy = s.user('sloppy');
    const statuses: number[] = [];
    for (let i = 0; i < BUDGET + 3; i++) {
      const r = await rawRequest(s.api, 'POST', '/v1/activities', { 'content-type': 'application/json', authorization: `Bearer ${s.token(sloppy)}` }, '{"actor":');
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses).toContain(429);
    // Same bucket: the caller's well-formed requests are limited now too.
    const r = await s.call('GET', `/v1/feeds/user/${sloppy}`, sloppy);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
