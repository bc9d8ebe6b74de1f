import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JwtService } from '@nestjs/jwt';

/** `npm run token` as a user runs it; its tokens are checked the way the API checks them (HS256, the secret). */
const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'token.mjs');
const SECRET = 'token-test-secret-0123456789';
const noFile = path.join(mkdtempSync(path.join(tmpdir(), 'tl-token-')), 'absent');

function run(args: string[], env: Record<string, string> = {}) {
  const { AUTH_JWT_SECRET: _ignored, ...rest } = process.env;
  const res = spawnSync(process.execPath, [SCRIPT, ...args], { env: { ...rest, TIDELINE_DEV_SECRET_FILE: noFile, ...env }, encoding: 'utf8' });
  return { status: res.status, out: res.stdout.trim(), err: res.stderr };
}

const verify = (token: string, secret = SECRET): Record<string, unknown> => new JwtService({ secret }).verify(token, { algorithms: ['HS256'] });

describe('npm run token', () => {
  it('prints only a token for the user, valid for the API, expiring after --ttl', () => {
    const r = run(['alice', '--ttl', '600'], { AUTH_JWT_SECRET: SECRET });
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = verify(r.out);
    expect(claims).toMatchObject({ sub: 'alice' });
    expect(claims['scope']).toBeUndefined();
    expect((claims['exp'] as number) - Math.floor(Date.now() / 1000)).toBeGreaterThan(590);
    expect((claims['exp'] as number) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(600);
  });

  it('--admin adds the admin scope; the token is refused under another secret', () => {
    const r = run(['ops:1', '--admin'], { AUTH_JWT_SECRET: SECRET });
    expect(verify(r.out)).toMatchObject({ sub: 'ops:1', scope: 'admin' });
    expect(() => verify(r.out, 'another-secret-0123456789')).toThrow();
  });

  it('signs with the development secret npm start saved when AUTH_JWT_SECRET is not set', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tl-token-')), 'dev-secret');
    writeFileSync(file, `${SECRET}\n`);
    const r = run(['bob'], { TIDELINE_DEV_SECRET_FILE: file });
    expect(r.status).toBe(0);
    expect(verify(r.out)).toMatchObject({ sub: 'bob' });
  });

  it('exits 2 with a reason for a missing or invalid user, an unknown option, a bad --ttl, or no secret at all', () => {
    for (const [args, why] of [
      [[], /user id is required/],
      [['al ice'], /user id must be/],
      [['x'.repeat(129)], /user id must be/],
      [['alice', '--root'], /unknown option --root/],
      [['alice', '--ttl', '0'], /--ttl/],
    ] as const) {
      const r = run([...args], { AUTH_JWT_SECRET: SECRET });
      expect(r.status).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(why);
    }
    const none = run(['alice']);
    expect(none.status).toBe(2);
    expect(none.err).toMatch(/no secret to sign with/);
  });
});
