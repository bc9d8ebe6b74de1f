import type { IncomingMessage } from 'node:http';
import { stdTimeFunctions } from 'pino';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import type { ServiceName } from './observability.options';

/** Removes `access_token` (SSE clients pass their JWT in the query) from a logged URL. */
export function scrubUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[Redacted]');
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
        req: (req: { url?: string }) => {
          if (typeof req.url === 'string') req.url = scrubUrl(req.url);
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
