// Development tokens: HS256 JWTs with the claims the API reads (docs/api.md §2.1). Shared by `npm start`
// (scripts/dev-stack.mjs) and `npm run token` (scripts/token.mjs).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where `npm start` keeps the development secret it generated (git-ignored, readable by the owner only). */
export const DEV_SECRET_FILE = process.env.TIDELINE_DEV_SECRET_FILE || path.join(REPO, '.infra', 'dev-secret');
/** User ids the API accepts (libs/domain/src/ids.ts). */
export const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** `sub` = the user; `scope: admin` lets it act for any user; `exp` after `ttlSeconds`. */
export function signToken(secret, sub, { admin = false, ttlSeconds = 30 * 86400 } = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ sub, ...(admin ? { scope: 'admin' } : {}), iat: now, exp: now + ttlSeconds });
  return `${head}.${body}.${crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

/** AUTH_JWT_SECRET, else the development secret `npm start` saved, else null. */
export function readSecret() {
  if (process.env.AUTH_JWT_SECRET) return { secret: process.env.AUTH_JWT_SECRET, from: 'AUTH_JWT_SECRET' };
  try {
    const secret = fs.readFileSync(DEV_SECRET_FILE, 'utf8').trim();
    return secret ? { secret, from: DEV_SECRET_FILE } : null;
  } catch {
    return null;
  }
}

/** The development secret, made once and kept, so tokens survive restarts of `npm start`. */
export function devSecret() {
  const known = readSecret();
  if (known && known.from !== 'AUTH_JWT_SECRET') return known.secret;
  const secret = crypto.randomBytes(24).toString('base64url');
  fs.mkdirSync(path.dirname(DEV_SECRET_FILE), { recursive: true });
  fs.writeFileSync(DEV_SECRET_FILE, `${secret}\n`, { mode: 0o600 });
  return secret;
}
