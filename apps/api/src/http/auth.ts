import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { FastifyRequest } from 'fastify';
import { DomainError } from '@app/domain';
import { Caller } from '@app/feeds';

const PUBLIC = 'tideline:public';
const QUERY_TOKEN = 'tideline:query-token';
/** Routes without auth (health, metrics, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);
/** Routes that also accept `?access_token=` (EventSource cannot send headers; CONTRACT §3). */
export const AcceptsQueryToken = (): MethodDecorator => SetMetadata(QUERY_TOKEN, true);

type AuthedRequest = FastifyRequest & { caller?: Caller };

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<AuthedRequest>().caller;
  if (!caller) throw new DomainError('UNAUTHORIZED', 'authentication required');
  return caller;
});


/**
 * HS256 bearer tokens: `sub` is the caller, `exp` is honoured, `scope` containing `admin` may act for
 * anyone. Every failure is the same 401 shape; which check failed is in the message only.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    // Only the versioned API is authenticated; /health, /metrics and /docs are operator endpoints.
    if (!req.url.startsWith('/v1/') || this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const header = req.headers.authorization;
    let token: string | undefined;
    if (typeof header === 'string') {
      const m = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
      if (!m) throw new DomainError('UNAUTHORIZED', 'Authorization header must be "Bearer <JWT>"');
      token = m[1];
    } else if (this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN, targets)) {
      const q = (req.query as Record<string, unknown> | undefined)?.['access_token'];
      if (typeof q === 'string' && q.length > 0) token = q;
    }
    if (!token) throw new DomainError('UNAUTHORIZED', 'missing bearer token');
    let claims: Record<string, unknown>;
    try {
      claims = this.jwt.verify<Record<string, unknown>>(token, { algorithms: ['HS256'] });
    } catch (e) {
      const why = (e as Error).name === 'TokenExpiredError' ? 'token expired' : 'invalid token';
      throw new DomainError('UNAUTHORIZED', why);
    }
    const sub = claims['sub'];
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128) throw new DomainError('UNAUTHORIZED', 'token has no valid sub claim');
    const scope = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    req.caller = { sub, admin: scope.includes('admin') };
    return true;
  }
}

