import 'reflect-metadata';
import { ExecutionContext, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { HealthController, MetricsController } from '@app/observability';
import { ApiModule } from '../src/api.module';
import { DevTokensController } from '../src/controllers/dev-tokens.controller';
import { AuthGuard } from '../src/http/auth';
import { RateLimiter } from '../src/http/rate-limit.guard';

const SECRET = 'unit-secret-0123456789';

/** Every route handler of a controller: [method name, handler]. */
function handlers(controller: Type): [string, (...args: unknown[]) => unknown][] {
  const proto = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter((k) => k !== 'constructor' && typeof proto[k] === 'function' && Reflect.getMetadata(METHOD_METADATA, proto[k] as object) !== undefined)
    .map((k) => [k, proto[k] as (...args: unknown[]) => unknown]);
}

function ctx(controller: Type, handler: (...args: unknown[]) => unknown, req: object): ExecutionContext {
  return {
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}), getNext: () => undefined }),
  } as unknown as ExecutionContext;
}

describe('AuthGuard decides by the matched handler (deny by default)', () => {
  const guard = new AuthGuard(new Reflector(), new JwtService({ secret: SECRET }), new RateLimiter({ rateLimitPerMinute: 1_000_000 } as never));
  const anonymous = (): object => ({ url: '/anything', headers: {}, query: {}, raw: { socket: { remoteAddress: '192.0.2.1' } } });
  /** The one public API controller: it is how a caller gets a token, and exists only with DEV_TOKENS=true. */
  const PUBLIC_API: readonly Type[] = [DevTokensController];
  const all = (Reflect.getMetadata('controllers', ApiModule) as Type[] | undefined) ?? [];
  const controllers = all.filter((c) => !PUBLIC_API.includes(c));

  it('finds the API controllers and their routes', () => {
    expect(controllers.length).toBeGreaterThanOrEqual(3);
    expect(controllers.flatMap((c) => handlers(c)).length).toBeGreaterThanOrEqual(15);
  });

  it('refuses every route of every API controller without a caller, whatever the URL text says', () => {
    const open: string[] = [];
    for (const c of controllers) {
      for (const [name, h] of handlers(c)) {
        const path = `${String(Reflect.getMetadata(PATH_METADATA, c))}/${String(Reflect.getMetadata(PATH_METADATA, h))}`;
        // A URL that does not start with /v1/ (as a percent-encoded spelling arrives) changes nothing.
        for (const url of ['/v1/x', '/%761/x', '/health/live']) {
          try {
            guard.canActivate(ctx(c, h, { ...anonymous(), url }));
            open.push(`${c.name}.${name} (${path}) via ${url}`);
          } catch (e) {
            expect((e as { code?: string }).code).toBe('UNAUTHORIZED');
          }
        }
      }
    }
    expect(open).toEqual([]);
  });

  it('lets the operator endpoints and POST /dev/tokens through without a caller: they are the explicit @Public() exceptions', () => {
    expect(all.filter((c) => PUBLIC_API.includes(c))).toEqual(PUBLIC_API);
    for (const c of [HealthController, MetricsController, ...PUBLIC_API] as Type[]) {
      for (const [, h] of handlers(c)) expect(guard.canActivate(ctx(c, h, anonymous()))).toBe(true);
    }
  });
});
