import { spawn } from 'node:child_process';
import path from 'node:path';
import { Stack, startStack } from './support/stack';

/** POST /dev/tokens from an attacker's side: absent unless DEV_TOKENS=true, and never more than the body asks. */

const spellings = ['/dev/tokens', '/dev/tokens/', '/DEV/tokens', '/dev/%74okens', '//dev/tokens', '/dev/tokens?x=1', '/v1/dev/tokens'];

interface Minted {
  token: string;
  sub: string;
  admin: boolean;
  expiresAt: string;
}
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('POST /dev/tokens with DEV_TOKENS off (the default)', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({}, { workers: 0 });
  }, 180_000);
  afterAll(async () => s?.close());

  it('answers every spelling and every body exactly as an unknown path does (404 NOT_FOUND for JSON bodies), and mints nothing', async () => {
    const bodies: unknown[] = [{ sub: 'eve', admin: true }, { sub: '' }, 'not json', undefined];
    for (const body of bodies) {
      const unknown = await s.call('POST', '/no/such/path', undefined, body);
      if (typeof body !== 'string') expect(unknown.status).toBe(404);
      for (const p of spellings) {
        const r = await s.call('POST', p, undefined, body);
        expect({ p, body, status: r.status }).toEqual({ p, body, status: unknown.status });
        expect(Object.keys(r.body as object).sort()).toEqual(Object.keys(unknown.body as object).sort());
        expect((r.body as { error: string }).error).toBe((unknown.body as { error: string }).error);
        expect(JSON.stringify(r.body)).not.toMatch(/"token"/);
      }
    }
    const form = await s.call('POST', '/dev/tokens', undefined, 'sub=eve', { 'content-type': 'application/x-www-form-urlencoded' });
    const unknownForm = await s.call('POST', '/no/such/path', undefined, 'sub=eve', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(unknownForm.status);
    // With a valid token too: being someone is no way in.
    for (const p of spellings) expect((await s.call('POST', p, s.user('alice'), { sub: s.user('alice') })).status).toBe(404);
  });

  it('is still documented in the OpenAPI document, as development only', async () => {
    const doc = (await s.call('GET', '/docs-json')).body as { paths: Record<string, Record<string, { description?: string }>> };
    expect(doc.paths['/dev/tokens']?.['post']?.description).toMatch(/development only; 404 unless DEV_TOKENS=true/);
  });
});

describe('POST /dev/tokens with DEV_TOKENS=true', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ DEV_TOKENS: 'true' }, { workers: 0 });
  }, 180_000);
  afterAll(async () => s?.close());

  it('mints a token for the asked user only, which works on /v1 (self) and is refused for others', async () => {
    const alice = s.user('alice');
    const bob = s.user('bob');
    const r = await s.call('POST', '/dev/tokens', undefined, { sub: alice });
    expect(r.status).toBe(201);
    const m = r.body as Minted;
    expect(m).toMatchObject({ sub: alice, admin: false });
    const claims = claimsOf(m.token);
    expect(claims['sub']).toBe(alice);
    expect(claims['scope']).toBeUndefined();
    expect(Date.parse(m.expiresAt)).toBe((claims['exp'] as number) * 1000);
    expect((claims['exp'] as number) - Math.floor(Date.now() / 1000)).toBeGreaterThan(3500);
    expect((claims['exp'] as number) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(3600);
    const as = (path: string): Promise<Response> => fetch(`${s.api}${path}`, { headers: { authorization: `Bearer ${m.token}` } });
    expect((await as(`/v1/feeds/home/${alice}`)).status).toBe(200);
    expect((await as(`/v1/feeds/home/${bob}`)).status).toBe(403);
    expect((await as('/v1/ops/overview')).status).toBe(403);
  });

  it('admin only when asked for with a boolean true; ttl as asked', async () => {
    const r = await s.call('POST', '/dev/tokens', undefined, { sub: 'ops', admin: true, ttlSeconds: 60 });
    expect(r.status).toBe(201);
    const m = r.body as Minted;
    expect(m.admin).toBe(true);
    expect(claimsOf(m.token)).toMatchObject({ sub: 'ops', scope: 'admin' });
    expect((claimsOf(m.token)['exp'] as number) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);
    const res = await fetch(`${s.api}/v1/feeds/home/${s.user('anyone')}`, { headers: { authorization: `Bearer ${m.token}` } });
    expect(res.status).toBe(200);
    const plain = (await s.call('POST', '/dev/tokens', undefined, { sub: 'ops', admin: false })).body as Minted;
    expect(plain.admin).toBe(false);
    expect(claimsOf(plain.token)['scope']).toBeUndefined();
  });

  it('refuses bad bodies with 400 naming the field, and never takes extra claims from the body', async () => {
    const bad: unknown[] = [
      {},
      { sub: '' },
      { sub: 'a b' },
      { sub: 'x'.repeat(129) },
      { sub: ['alice'] },
      { sub: 'alice', admin: 'true' },
      { sub: 'alice', admin: 1 },
      { sub: 'alice', ttlSeconds: 59 },
      { sub: 'alice', ttlSeconds: 86_401 },
      { sub: 'alice', ttlSeconds: 100.5 },
      { sub: 'alice', ttlSeconds: '3600' },
      { sub: 'alice', scope: 'admin' },
      { sub: 'alice', exp: 9_999_999_999 },
      '{"sub":"alice","__proto__":{"admin":true}}',
      '[]',
      'null',
      '{"sub":',
    ];
    for (const body of bad) {
      const r = await s.call('POST', '/dev/tokens', undefined, body);
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
      expect(JSON.stringify(r.body)).not.toMatch(/"token"/);
    }
    const form = await s.call('POST', '/dev/tokens', undefined, 'sub=alice', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
  });
});

describe('POST /dev/tokens is rate limited', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ DEV_TOKENS: 'true', RATE_LIMIT_PER_MINUTE: '5' }, { workers: 0 });
  }, 180_000);
  afterAll(async () => s?.close());

  it('per client address like every public route: minting tokens buys no extra budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await s.call('POST', '/dev/tokens', undefined, { sub: 'alice' })).status);
    expect(statuses.filter((x) => x === 201).length).toBeLessThanOrEqual(5);
    expect(statuses).toContain(429);
  });
});

describe('DEV_TOKENS in production', () => {
  it('the API refuses to start, saying why', async () => {
    const root = path.resolve(__dirname, '../..');
    const proc = spawn(process.execPath, [path.join(root, 'node_modules/ts-node/dist/bin.js'), '-r', 'tsconfig-paths/register', '--transpile-only', 'apps/api/src/main.ts'], {
      cwd: root,
      env: { ...process.env, AUTH_JWT_SECRET: 'x'.repeat(32), DEV_TOKENS: 'true', NODE_ENV: 'production', PORT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(out).toMatch(/DEV_TOKENS=true is refused when NODE_ENV=production/);
  }, 60_000);
});
