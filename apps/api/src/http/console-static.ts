import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@app/domain';
import { sendError } from './error.filter';

/** Where the console is served (docs/console.md). Outside /v1: public static files, no token needed. */
export const CONSOLE_PREFIX = '/console';

/**
 * The console's CSP: only this origin's scripts, styles and API; nothing inline (uPlot and Preact set styles
 * through the CSSOM, which CSP does not restrict), no framing, no <base> rewriting.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite's content-hashed output: safe to cache for a year. Everything else is revalidated every time. */
const HASHED_DIR = 'assets/';
const LONG_CACHE = 'public, max-age=31536000, immutable';

/**
 * A servable relative path: segments of `A-Z a-z 0-9 _ . -` that do not start with a dot, one `/` between them.
 * Checked on the router's decoded wildcard, so `..`, `%2e%2e`, encoded slashes or backslashes, dotfiles and
 * double encodings (a literal `%`) never reach the file system; @fastify/send's own root check stays behind it.
 */
const SAFE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const MAX_PATH = 256;

export const isSafeConsolePath = (rel: string): boolean => rel.length <= MAX_PATH && SAFE_PATH.test(rel);

/**
 * dist/console under the repository (or image) root: the first ancestor of this file holding package.json
 * (apps/api/src/http under ts-node, dist/apps/api/src/http when built). CONSOLE_DIR (AppConfig.consoleDir) overrides it.
 */
export function consoleDir(override: string | null = null): string {
  if (override !== null) return path.resolve(override);
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'console');
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('Content-Security-Policy', CONSOLE_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Frame-Options', 'DENY');
}

/**
 * The web console (apps/console, `npm run build:console` → dist/console) at /console/: plain Fastify routes, so
 * no Nest guard and no OpenAPI entry. `/console` redirects to `/console/`; `/console/` is index.html
 * (no-cache); `/console/<file>` is a built file or 404 (no SPA fallback: the console routes in the URL hash).
 * The build is looked up per request, so building while the API runs needs no restart.
 */
export function installConsoleStatic(fastify: FastifyInstance, root: string = consoleDir()): void {
  void fastify.register(async (app) => {
    // serve:false: only the sendFile decorator (this context only); the routes below decide what is served.
    await app.register(fastifyStatic, { root, serve: false, suppressWarning: true, dotfiles: 'ignore', index: false });

    app.get(CONSOLE_PREFIX, (req: FastifyRequest, reply: FastifyReply) => {
      // Keep the query; the fragment (#token=...) stays in the browser and survives the redirect.
      const q = req.url.indexOf('?');
      return reply.redirect(`${CONSOLE_PREFIX}/${q === -1 ? '' : req.url.slice(q)}`, 301);
    });

    app.get(`${CONSOLE_PREFIX}/`, (_req: FastifyRequest, reply: FastifyReply) => {
      if (!fs.existsSync(path.join(root, 'index.html'))) {
        return sendError(reply, new DomainError('NOT_FOUND', 'console not built: npm run build:console'));
      }
      return secure(reply).header('Cache-Control', 'no-cache').sendFile('index.html', { cacheControl: false });
    });

    app.get(`${CONSOLE_PREFIX}/*`, (req: FastifyRequest, reply: FastifyReply) => {
      const rel = (req.params as Record<string, string | undefined>)['*'] ?? '';
      if (!isSafeConsolePath(rel)) return reply.callNotFound();
      const cache = rel.startsWith(HASHED_DIR) ? LONG_CACHE : 'no-cache';
      return secure(reply).header('Cache-Control', cache).sendFile(rel, { cacheControl: false });
    });
  });
}
