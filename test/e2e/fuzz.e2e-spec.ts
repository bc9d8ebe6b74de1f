import { Stack, startStack } from './support/stack';
import { prng } from '@app/testing';

/**
 * Fuzzes every operation in the OpenAPI document (/docs-json) with random and malformed path
 * parameters, query strings, bodies and tokens. Whatever the input, the API answers with a status
 * below 500, in the contract's error shape, and never leaks a stack trace.
 */
const REQUESTS_PER_OPERATION = Number(process.env.TIDELINE_FUZZ_REQUESTS ?? 40);

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

describe('fuzzing the OpenAPI surface', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ RATE_LIMIT_PER_MINUTE: '1000000' });
  }, 180_000);
  afterAll(async () => s?.close());

  it('serves the OpenAPI 3 document and Swagger UI', async () => {
    const doc = await fetch(`${s.api}/docs-json`);
    expect(doc.status).toBe(200);
    const body = (await doc.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(body.openapi).toMatch(/^3\./);
    for (const p of ['/v1/activities', '/v1/feeds/home/{userId}', '/v1/feeds/notifications/{userId}', '/v1/users/{userId}/following/{targetId}']) {
      expect(Object.keys(body.paths)).toContain(p);
    }
    expect((await fetch(`${s.api}/docs`)).status).toBe(200);
  });

  it('never answers 5xx or leaks a stack trace', async () => {
    const rnd = prng(20261127);
    const doc = (await (await fetch(`${s.api}/docs-json`)).json()) as OpenApi;
    const me = s.user('fuzzer');
    const strings = [
      me, s.user('other'), '', ' ', 'a'.repeat(129), 'a'.repeat(5000), '../../etc/passwd', '%00', '%ZZ', '☃', '😀'.repeat(40), 'null', 'undefined',
      '0', '-1', '1e309', "'; DROP TABLE activities; --", '<script>', '%2F%2F', '__proto__', 'constructor', 'a b', '\\u0000',
    ];
    const values = (): unknown => {
      const pick = rnd.int(14);
      switch (pick) {
        case 0: return null;
        case 1: return rnd.int(1e9) - 5e8;
        case 2: return rnd.next() * 1e308;
        case 3: return true;
        case 4: return [];
        case 5: return {};
        case 6: return rnd.pick(strings);
        case 7: return 'x'.repeat(rnd.int(20_000));
        case 8: return [rnd.pick(strings), 1, null];
        case 9: return { nested: { deeper: [1, { a: rnd.pick(strings) }] } };
        case 10: return new Date(rnd.int(2 ** 42)).toISOString();
        case 11: return '2024-02-30T25:61:00Z';
        case 12: return JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
        default: return me;
      }
    };
    const deep = (n: number): unknown => (n === 0 ? 1 : { a: deep(n - 1) });
    const bodies = (): string | undefined => {
      switch (rnd.int(9)) {
        case 0: return undefined;
        case 1: return '{"actor":';
        case 2: return '\u0000\u0001\u0002garbage';
        case 3: return JSON.stringify(deep(2000));
        case 4: return JSON.stringify(Array.from({ length: 50 }, values));
        case 5: return JSON.stringify({ actor: me, type: rnd.pick(['post', '', 'x'.repeat(65)]), object: values(), published: values(), to: values(), extra: values(), foreignId: values() });
        case 6: return JSON.stringify({ groups: values() });
        case 7: return JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, () => [String(rnd.pick(strings)), values()])));
        default: return String(values());
      }
    };
    const queries = (): string => {
      const parts: string[] = [];
      if (rnd.chance(0.5)) parts.push(`limit=${encodeURIComponent(String(values()))}`);
      if (rnd.chance(0.5)) parts.push(`cursor=${encodeURIComponent(String(rnd.pick([...strings, 'eyJ.abc', 'a.b.c', 'W10.AAAAAAAAAAAAAAAAAAAAAA'])))}`);
      if (rnd.chance(0.2)) parts.push('limit=1&limit=2');
      if (rnd.chance(0.1)) parts.push('cursor[]=x');
      return parts.length ? `?${parts.join('&')}` : '';
    };
    const tokens = (): Record<string, string> => {
      switch (rnd.int(6)) {
        case 0: return {};
        case 1: return { authorization: 'Bearer garbage' };
        case 2: return { authorization: `Bearer ${s.token(me, { expSeconds: -10 })}` };
        case 3: return { authorization: `Bearer ${s.token(me, { secret: 'not-the-secret-at-all!!' })}` };
        case 4: return { authorization: `Bearer ${s.token(me, { scope: 'admin' })}` };
        default: return { authorization: `Bearer ${s.token(me)}` };
      }
    };

    const failures: string[] = [];
    let count = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (template.endsWith('/stream')) continue; // endless responses; covered by the API tests
        for (let i = 0; i < REQUESTS_PER_OPERATION; i++) {
          const path = template.replace(/\{(\w+)\}/g, () => encodeURIComponent(String(rnd.chance(0.6) ? me : rnd.pick(strings))));
          const body = method === 'get' ? undefined : bodies();
          const headers: Record<string, string> = { ...tokens(), ...(body !== undefined ? { 'content-type': rnd.pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) } : {}) };
          const res = await fetch(`${s.api}${path}${queries()}`, { method: method.toUpperCase(), headers, body });
          const text = await res.text();
          count++;
          const leak = /\bat \S+ \(|node_modules|Error: /.test(text);
          let shaped = true;
          if (res.status >= 400) {
            try {
              const e = JSON.parse(text) as { statusCode?: unknown; error?: unknown; message?: unknown };
              shaped = e.statusCode === res.status && typeof e.error === 'string' && typeof e.message === 'string';
            } catch {
              shaped = false;
            }
          }
          if (res.status >= 500 || leak || !shaped) failures.push(`${method.toUpperCase()} ${path} -> ${res.status} ${text.slice(0, 200)}`);
        }
      }
    }
    expect(count).toBeGreaterThan(200);
    expect(failures).toEqual([]);
  });
});
