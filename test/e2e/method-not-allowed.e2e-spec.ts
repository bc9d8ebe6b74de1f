import { Stack, startStack } from './support/stack';

/** CONTRACT v1.1: a method a path does not serve answers 405 with `Allow`; /v1 still needs a verified caller first. */
describe('405 Method Not Allowed', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ RATE_LIMIT_PER_MINUTE: '1000000' });
  }, 180_000);
  afterAll(async () => s?.close());

  const allowOf = (h: Headers): string[] => (h.get('allow') ?? '').split(',').map((m) => m.trim()).filter(Boolean).sort();

  it('answers 405 with the methods the path serves, for a verified caller', async () => {
    const u = s.user('mna');
    const cases: [string, string, string[]][] = [
      ['PATCH', '/v1/activities', ['POST']],
      ['GET', '/v1/activities', ['POST']],
      ['PUT', `/v1/feeds/home/${u}`, ['GET', 'HEAD']],
      ['POST', `/v1/users/${u}/followers`, ['GET', 'HEAD']],
      ['POST', `/v1/users/${u}/following/x`, ['DELETE', 'PUT']],
      ['GET', `/v1/feeds/notifications/${u}/seen`, ['POST']],
    ];
    for (const [method, path, served] of cases) {
      const r = await s.call(method, path, u);
      expect([method, path, r.status, (r.body as { error?: string }).error]).toEqual([method, path, 405, 'METHOD_NOT_ALLOWED']);
      // OPTIONS is listed too when CORS is on (the default); every served method must be there, the asked one not.
      const allow = allowOf(r.headers);
      expect(allow).toEqual(expect.arrayContaining(served));
      expect(allow).not.toContain(method);
    }
  });

  it('treats a percent-encoded spelling of a path like the path itself', async () => {
    const r = await s.call('PATCH', '/v1/%61ctivities', s.user('enc'));
    expect(r.status).toBe(405);
    expect(allowOf(r.headers)).toContain('POST');
  });

  it('tells a stranger nothing about /v1 methods: 401 without the Allow header, forged or missing token alike', async () => {
    const forged: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }, { authorization: `Bearer ${s.token('x', { secret: 'wrong-secret-wrong-secret-wrong-secret' })}` }];
    for (const headers of forged) {
      const r = await s.call('PATCH', '/v1/activities', undefined, undefined, headers);
      expect(r.status).toBe(401);
      expect(r.headers.get('allow')).toBeNull();
    }
    // A token in the query does not count outside the stream routes.
    const q = await s.call('PATCH', `/v1/activities?access_token=${s.token('x')}`);
    expect(q.status).toBe(401);
  });

  it('keeps 404 for paths no method serves, however long, and answers the public routes with 405 too', async () => {
    const u = s.user('nf');
    expect((await s.call('GET', '/v1/nothing-here', u)).status).toBe(404);
    expect((await s.call('PATCH', `/v1/${'a/'.repeat(2_000)}`, u)).status).toBe(404);
    const live = await s.call('POST', '/health/live');
    expect(live.status).toBe(405);
    expect(allowOf(live.headers)).toEqual(expect.arrayContaining(['GET', 'HEAD']));
  });
});
