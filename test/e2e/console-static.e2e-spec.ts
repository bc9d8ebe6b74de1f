import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rawRequest } from './support/raw-http';
import { Stack, startStack } from './support/stack';

/**
 * The web console's static files at /console/ (apps/api/src/http/console-static.ts), against a fixture build
 * (CONSOLE_DIR) so the test does not depend on `npm run build:console`: headers, caching, HEAD, no SPA fallback,
 * path traversal from a stranger's side, and that /v1 and the OpenAPI document are untouched.
 */
const SECRET = 'OUTSIDE-THE-CONSOLE-ROOT-7f3a';
const INDEX = '<!doctype html><html><head><title>fixture console</title></head><body><div id="app"></div></body></html>';
const ASSET = 'assets/index-Ab12Cd34.js';

function fixture(): { base: string; root: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tideline-console-'));
  const root = path.join(base, 'console');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), INDEX);
  fs.writeFileSync(path.join(root, ASSET), 'console.log("fixture");\n');
  fs.writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(root, '.env'), SECRET);
  // Next to the root: what a traversal would reach.
  fs.writeFileSync(path.join(base, 'outside.txt'), SECRET);
  return { base, root };
}

describe('console static files (built)', () => {
  let s: Stack;
  let dirs: { base: string; root: string };
  beforeAll(async () => {
    dirs = fixture();
    s = await startStack({ CONSOLE_DIR: dirs.root, RATE_LIMIT_PER_MINUTE: '1000000' }, { workers: 0 });
  }, 180_000);
  afterAll(async () => {
    await s?.close();
    fs.rmSync(dirs.base, { recursive: true, force: true });
  });

  it('serves index.html at /console/ with the CSP and security headers, never cached', async () => {
    const r = await rawRequest(s.api, 'GET', '/console/');
    expect(r.status).toBe(200);
    expect(r.body).toBe(INDEX);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(r.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "connect-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "script-src 'self'"]) expect(csp).toContain(d);
    expect(csp).not.toContain('unsafe-eval');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('redirects /console to /console/, keeping the query', async () => {
    const r = await rawRequest(s.api, 'GET', '/console');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/console/');
    expect((await rawRequest(s.api, 'GET', '/console?x=1')).headers['location']).toBe('/console/?x=1');
  });

  it('serves hashed assets with a long immutable cache and other files with no-cache', async () => {
    const a = await rawRequest(s.api, 'GET', `/console/${ASSET}`);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toMatch(/javascript/);
    expect(a.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(a.headers['x-content-type-options']).toBe('nosniff');
    const f = await rawRequest(s.api, 'GET', '/console/favicon.svg');
    expect(f.status).toBe(200);
    expect(f.headers['cache-control']).toBe('no-cache');
  });

  it('answers HEAD like GET without a body', async () => {
    for (const p of ['/console/', `/console/${ASSET}`]) {
      const r = await rawRequest(s.api, 'HEAD', p);
      expect([p, r.status, r.body]).toEqual([p, 200, '']);
      expect(r.headers['content-security-policy']).toBeDefined();
    }
  });

  it('has no SPA fallback: unknown files are 404 JSON', async () => {
    for (const p of ['/console/nope.js', '/console/home', '/console/assets/', '/console/assets']) {
      const r = await s.call('GET', p);
      expect([p, r.status, (r.body as { error?: string }).error]).toEqual([p, 404, 'NOT_FOUND']);
    }
  });

  it('never serves a file outside the root, nor a dotfile, whatever the spelling', async () => {
    const attempts = [
      '/console/../outside.txt',
      '/console/./../outside.txt',
      '/console/%2e%2e/outside.txt',
      '/console/%2E%2E/outside.txt',
      '/console/..%2foutside.txt',
      '/console/..%2Foutside.txt',
      '/console/%2e%2e%2foutside.txt',
      '/console/assets/../../outside.txt',
      '/console/assets/..%2f..%2foutside.txt',
      '/console/assets%2f..%2f..%2foutside.txt',
      '/console/..%5coutside.txt',
      '/console/..\\outside.txt',
      '/console/%252e%252e/outside.txt',
      '/console/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/console//etc/passwd',
      '/console/%2fetc%2fpasswd',
      '/console/.env',
      '/console/%2eenv',
      '/console/assets/%00.js',
      '/console/../package.json',
      '/console/..%2f..%2f..%2f..%2fpackage.json',
    ];
    for (const p of attempts) {
      const r = await rawRequest(s.api, 'GET', p);
      expect({ p, refused: [400, 403, 404].includes(r.status) }).toEqual({ p, refused: true });
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toMatch(/root:x:0|"name": "tideline"/);
    }
  });

  it('leaves /v1 protected and the console out of the OpenAPI document', async () => {
    expect((await s.call('GET', `/v1/feeds/home/${s.user('a')}`)).status).toBe(401);
    expect((await rawRequest(s.api, 'GET', '/v1/../console/')).status).not.toBe(500);
    const doc = (await s.call('GET', '/docs-json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/console'))).toEqual([]);
  });

  it('answers a method the console does not serve with 405 and Allow', async () => {
    const r = await s.call('POST', '/console/', undefined, {});
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toMatch(/GET/);
  });
});

describe('console static files (not built)', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ CONSOLE_DIR: path.join(os.tmpdir(), 'tideline-console-missing-0b1c') }, { workers: 0 });
  }, 180_000);
  afterAll(async () => s?.close());

  it('says how to build it instead of failing', async () => {
    const r = await s.call('GET', '/console/');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ statusCode: 404, error: 'NOT_FOUND', message: 'console not built: npm run build:console' });
    expect((await s.call('GET', `/console/${ASSET}`)).status).toBe(404);
    expect((await s.call('GET', '/health/ready')).status).toBe(200);
  });
});
