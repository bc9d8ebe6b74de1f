import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LogFn, stdTimeFunctions } from 'pino';
import { startTime } from 'pino-http';
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

/** A request slower than this is logged at info even when it succeeded (pretty format). */
export const SLOW_REQUEST_MS = 1_000;

type LoggedRequest = IncomingMessage & { originalUrl?: string };
type LoggedResponse = ServerResponse & { [startTime]?: number };

/**
 * The level of one request's line in the pretty format: 5xx (or a failed response) error, 4xx warn, slow
 * info, every other success debug, so that at LOG_LEVEL=info a quiet terminal shows only what went wrong.
 */
export function prettyRequestLevel(status: number, ms: number, failed: boolean): 'error' | 'warn' | 'info' | 'debug' {
  if (failed || status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return ms > SLOW_REQUEST_MS ? 'info' : 'debug';
}

/** `GET /v1/feeds/home/demo 200 4ms`, the URL scrubbed of tokens. */
export function requestLine(req: LoggedRequest, status: number, ms: number): string {
  return `${req.method ?? '?'} ${scrubUrl(req.originalUrl ?? req.url ?? '')} ${status} ${ms}ms`;
}

/** Nest's start-up inventory: a line per module loaded and per route mapped. */
const BOOTSTRAP_CONTEXTS: ReadonlySet<unknown> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);
export const isBootstrapInventory = (first: unknown): boolean =>
  typeof first === 'object' && first !== null && BOOTSTRAP_CONTEXTS.has((first as { context?: unknown }).context);

/** pino-pretty (a worker-thread transport): one short coloured line per event, `10:31:02 api  <message>`. */
const prettyTransport = {
  target: 'pino-pretty',
  options: {
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    // Request and response objects stay out of the line; the message carries method, URL, status, time.
    ignore: 'pid,hostname,service,req,res,responseTime,context,reqId',
    messageFormat: '{service}  {msg}',
  },
};

/**
 * nestjs-pino parameters: level from LOG_LEVEL, the service name on every line, secrets redacted (the
 * same redaction and serializers in both formats: pretty only changes how a line is printed). `json`:
 * one JSON line per event on stdout, ISO time, level as a label, every request logged. `pretty`:
 * pino-pretty lines, and requests leveled by prettyRequestLevel. Health and metrics scrapes are never
 * request-logged (they would drown everything else).
 */
export function pinoParams(cfg: AppConfig, service: ServiceName): Params {
  const pretty = cfg.logFormat === 'pretty';
  // Pretty (development) lines at info leave out Nest's start-up inventory (one line per module and route).
  const quietBootstrap = pretty && !['debug', 'trace'].includes(cfg.logLevel);
  const elapsed = (res: LoggedResponse): number => Date.now() - (res[startTime] ?? Date.now());
  return {
    pinoHttp: {
      level: cfg.logLevel,
      base: { service, pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      ...(quietBootstrap
        ? {
            hooks: {
              logMethod(this: unknown, args: Parameters<LogFn>, method: LogFn): void {
                if (isBootstrapInventory(args[0])) return;
                method.apply(this, args);
              },
            },
          }
        : {}),
      // pino refuses custom level formatters with a transport; pino-pretty prints the level itself.
      ...(pretty ? { transport: prettyTransport } : { formatters: { level: (label: string) => ({ level: label }) } }),
      ...(pretty
        ? {
            customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) => prettyRequestLevel(res.statusCode, elapsed(res), err !== undefined),
            customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number) => requestLine(req, res.statusCode, ms),
            customErrorMessage: (req: IncomingMessage, res: ServerResponse, err: Error) => `${requestLine(req, res.statusCode, elapsed(res))} ${err.message}`,
          }
        : {}),
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
        ignore: (req: LoggedRequest) => QUIET_PATHS.some((p) => (req.originalUrl ?? req.url ?? '').startsWith(p)),
      },
    },
  };
}
