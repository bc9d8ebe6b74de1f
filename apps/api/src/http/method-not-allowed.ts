import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@app/domain';
import { sendError } from './error.filter';

/** One registered route, as a list of path segments: a string is literal, null is a `:param`, '*' the rest. */
type Pattern = readonly (string | null)[];

/**
 * The route table, as Fastify registered it (collected with `onRoute`, so it is the router's own list and
 * never a second copy to keep in step). Answers which methods serve a path.
 *
 * Invariant: `allowed(path)` lists exactly the methods of the routes whose pattern matches the path after
 * the router's own decoding (percent-decoded per segment, case-sensitive, no trailing-slash folding), so
 * a spelling the router would match for one method is matched here for every method.
 */
export class RouteTable {
  private readonly routes: { method: string; pattern: Pattern }[] = [];
  /** Methods served on every path (CORS preflight registers `OPTIONS *`): listed only where a path exists. */
  private readonly everywhere = new Set<string>();

  add(methods: string | readonly string[], url: string): void {
    const all = (typeof methods === 'string' ? [methods] : methods).map((m) => m.toUpperCase());
    if (url === '*' || url === '/*') {
      for (const m of all) this.everywhere.add(m);
      return;
    }
    const pattern = url.split('/').map((s) => (s.startsWith(':') ? null : s));
    for (const method of all) this.routes.push({ method, pattern });
  }

  /** Served methods of `rawUrl` (path and query as received), sorted, HEAD added where GET is served; [] = no route. */
  allowed(rawUrl: string): string[] {
    const segments = decodeSegments(rawUrl);
    if (segments === undefined) return [];
    const methods = new Set(this.routes.filter((r) => matches(r.pattern, segments)).map((r) => r.method));
    if (methods.size === 0) return [];
    for (const m of this.everywhere) methods.add(m);
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }
}

/** The path's segments, each percent-decoded as the router does; undefined when it cannot be decoded. */
function decodeSegments(rawUrl: string): string[] | undefined {
  const q = rawUrl.search(/[?#;]/);
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  try {
    return path.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function matches(pattern: Pattern, segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '*') return true;
    const s = segments[i];
    if (s === undefined) return false;
    if (p === null ? s.length === 0 : p !== s) return false;
  }
  return pattern.length === segments.length;
}

/** A request the router matched to no route (Fastify's 404 context has no route url). */
const unmatched = (req: FastifyRequest): boolean => req.routeOptions?.url === undefined;

/**
 * CONTRACT v1.1 §3: "A method a path does not serve: 405 with Allow". Installed on `onRequest`, after the
 * rate limiter (a 405 is charged like any request) and before any body is read.
 *
 * - Only unmatched requests are looked at; a path no method serves stays 404 `NOT_FOUND`.
 * - `/v1` needs a verified caller first (CONTRACT §3 "every /v1 request needs a verified caller"): without
 *   one the answer is 401, so the method list of a protected path is told to authenticated callers only.
 *   The Authorization header is the only credential here: `?access_token=` is a stream-route exception.
 * - `Allow` lists the served methods; HEAD where GET is served (Fastify answers HEAD for every GET route).
 */
export function installMethodNotAllowed(fastify: FastifyInstance, identify: (req: FastifyRequest) => string | undefined): RouteTable {
  const table = new RouteTable();
  fastify.addHook('onRoute', (route) => table.add(route.method, route.url ?? route.path));
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (!unmatched(req)) return done();
    const allow = table.allowed(req.url);
    if (allow.length === 0 || allow.includes(req.method)) return done();
    const path = decodeSegments(req.url) ?? [];
    if (path[1] === 'v1' && identify(req) === undefined) {
      sendError(reply, new DomainError('UNAUTHORIZED', req.headers.authorization === undefined ? 'missing bearer token' : 'invalid token'));
      return;
    }
    void reply.header('Allow', allow.join(', '));
    sendError(reply, new DomainError('METHOD_NOT_ALLOWED', `${req.method} is not served here; allowed: ${allow.join(', ')}`));
  });
  return table;
}
