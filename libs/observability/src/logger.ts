import type { IncomingMessage } from 'node:http';
import { stdTimeFunctions } from 'pino';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import type { ServiceName } from './observability.options';

const REDACTED = '[Redacted]';

/** A query key as Fastify's parser (fast-querystring) decodes it: `+` is a space, then percent-decoding. */
function decodeKey(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // fast-querystring keeps a key it cannot decode as it is.
    return spaced;
  }
}

/** True for every key that is, or could be taken for, `access_token` (compared case-insensitively). */
const isTokenKey = (key: string): boolean => key.trim().toLowerCase() === 'access_token';

/**
 * Removes the value of every query parameter whose key decodes to `access_token` (SSE clients pass their
 * JWT in the query) from a logged URL. The query is split as the parser splits it (after the first `?`,
 * on `&`, a `#` being part of a value) and each key decoded the same way, so no spelling the parser
 * would accept (`access%5Ftoken`, `access_token` repeated, `+`) survives; case is ignored to be safe.
 */
export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q + 1)}${scrubPairs(url.slice(q + 1))}`;
}

const NESTED_TOKEN = /access_token\s*=/i;

/** `k=v` pairs separated by `&` or `;`: the value of every token-like key replaced. */
function scrubPairs(query: string): string {
  // Splitting on `;` too scrubs more than the parser would accept, never less (a token a client put
  // after a `;` does not authenticate, but is still a secret).
  const parts = query.split(/([&;])/);
  for (let i = 0; i < parts.length; i += 2) {
    const pair = parts[i] ?? '';
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    // A value that itself decodes to a `access_token=` list (`x=1%3Baccess_token%3D...`) goes too.
    if (isTokenKey(decodeKey(key)) || (eq >= 0 && NESTED_TOKEN.test(decodeKey(pair.slice(eq + 1))))) parts[i] = `${key}=${REDACTED}`;
  }
  return parts.join('');
}

/** A parsed query object with every token-like key's value redacted (for the logged `req.query`). */
export function scrubQuery(query: unknown): unknown {
  if (query === null || typeof query !== 'object') return query;
  const out: Record<string, unknown> = {};
  // A value can hold a whole `k=v` list (`?x=1;access_token=...` parses as x = "1;access_token=...").
  const inner = (v: unknown): unknown => (typeof v === 'string' ? scrubPairs(v) : Array.isArray(v) ? v.map(inner) : v);
  for (const [k, v] of Object.entries(query as Record<string, unknown>)) out[k] = isTokenKey(k) ? REDACTED : inner(v);
  return out;
}

const QUIET_PATHS = ['/health/', '/metrics'];

/**
 * nestjs-pino parameters: JSON lines on stdout (no pretty printer), level from LOG_LEVEL, ISO time,
 * level as a label, the service name on every line, secrets redacted. Health and metrics scrapes are
 * not request-logged (they would drown everything else).
 */
export function pinoParams(cfg: AppConfig, service: ServiceName): Params {
  return {
    pinoHttp: {
      level: cfg.logLevel,
      base: { service, pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.query.access_token', 'access_token', '*.access_token'],
        censor: '[Redacted]',
      },
      serializers: {
        // pino-http hands custom serializers the already-serialized request object.
        req: (req: { url?: string; query?: unknown }) => {
          if (typeof req.url === 'string') req.url = scrubUrl(req.url);
          if (req.query !== undefined) req.query = scrubQuery(req.query);
          return req;
        },
      },
      autoLogging: {
        // Under Fastify the middleware sees a prefix-stripped `url`; `originalUrl` is the full path.
        ignore: (req: IncomingMessage & { originalUrl?: string }) => QUIET_PATHS.some((p) => (req.originalUrl ?? req.url ?? '').startsWith(p)),
      },
    },
  };
}
