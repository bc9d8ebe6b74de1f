import { NestFactory } from '@nestjs/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MetricsService, registerHttpMetrics } from '@app/observability';
import { ApiModule } from './api.module';
import { AuthGuard } from './http/auth';
import { sendError } from './http/error.filter';
import { consoleDir, installConsoleStatic } from './http/console-static';
import { installDevTokensGate } from './http/dev-tokens-gate';
import { installJsonBody } from './http/json-body';
import { installMethodNotAllowed } from './http/method-not-allowed';
import { buildOpenApi } from './http/openapi';
import { RateLimiter } from './http/rate-limit.guard';

/** docs/api.md §2: bodies over 64 KiB are refused with 413. */
const BODY_LIMIT = 64 * 1024;

export async function createApiApp(): Promise<NestFastifyApplication> {
  // Bound once the app exists; router errors happen before any hook, so they are charged here.
  const edge: { limiter?: RateLimiter } = {};
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: 512 },
    trustProxy: true,
    // Errors the router raises before any Nest handler (bad percent-encoding, over-long parameters) get
    // the contract's error body too.
    frameworkErrors: (err: FastifyError, req: FastifyRequest, res: FastifyReply) => {
      let e: unknown = err;
      try {
        edge.limiter?.charge(req);
      } catch (limited) {
        e = limited;
      }
      sendError(res, e);
    },
  });
  // bodyParser off: the API's own JSON-only parser (http/json-body.ts) is the only one.
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  const cfg = app.get<AppConfig>(APP_CONFIG);
  // Browsers call the API directly; tokens travel in the Authorization header (no cookies), so
  // credentials stay off and the Retry-After of a 429 is exposed to scripts.
  // Every method the API serves (docs/api.md §2.7): follow, unfollow, mute and delete need PUT and DELETE.
  if (cfg.corsOrigins !== false) {
    app.enableCors({
      origin: cfg.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
      exposedHeaders: ['Retry-After'],
      maxAge: 600,
    });
  }
  const fastify = app.getHttpAdapter().getInstance();
  installJsonBody(fastify);
  installDevTokensGate(fastify, cfg.devTokens);
  registerHttpMetrics(fastify, app.get(MetricsService));
  // Every request is rate limited: this hook charges the ones no guard will see (see RateLimiter).
  const limiter = app.get(RateLimiter);
  const auth = app.get(AuthGuard);
  limiter.install(fastify, (req) => auth.identify(req));
  edge.limiter = limiter;
  // After the limiter (a 405 is charged too), before any route is registered (it collects the route table).
  installMethodNotAllowed(fastify, (req) => auth.identify(req));
  // The web console's static files (docs/console.md): Fastify routes, no Nest guard, not in OpenAPI.
  installConsoleStatic(fastify, consoleDir(cfg.consoleDir));

  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}
