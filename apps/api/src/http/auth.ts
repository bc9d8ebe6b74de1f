import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { FastifyRequest } from 'fastify';
import { DomainError } from '@app/domain';
import { Caller } from '@app/feeds';
import { PUBLIC_ROUTE, Public } from '@app/observability';
import { RateLimiter } from './rate-limit.guard';

const QUERY_TOKEN = 'tideline:query-token';
/** Routes without auth (health, metrics): the one exception to deny-by-default (see AuthGuard). */
export { Public };
/** Routes that also accept `?access_token=` (EventSource cannot send headers; docs/api.md §2). */
export const AcceptsQueryToken = (): MethodDecorator => SetMetadata(QUERY_TOKEN, true);

/** Longer than any token this service issues; refused before any crypto. */
const MAX_TOKEN_CHARS = 8192;

/** A request's Authorization header is verified once: the edge hook (rate-limit bucket) and the guard share the outcome. */
const HEADER_OUTCOME = Symbol('tideline:header-outcome');
type AuthedRequest = FastifyRequest & { caller?: Caller; [HEADER_OUTCOME]?: Caller | DomainError };

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<AuthedRequest>().caller;
  if (!caller) throw new DomainError('UNAUTHORIZED', 'authentication required');
  return caller;
});


/**
 * HS256 bearer tokens: `sub` is the caller, `exp` is honoured, `scope` containing `admin` may act for
 * anyone. Every failure is the same 401 shape; which check failed is in the message only.
 *
 * Deny by default: the decision comes from the handler the router matched (its `@Public()` metadata),
 * never from the text of the URL, so no spelling of a path (percent-encoding, case, slashes, dot
 * segments) reaches a handler unauthenticated. Docs are served by Fastify itself and never reach a guard.
 * A failed attempt is charged to the client address (so guessing tokens is rate limited too).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
    private readonly limiter: RateLimiter,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true) return true;
    try {
      req.caller = this.verify(req, this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN, targets) === true);
    } catch (e) {
      // RateLimitedError (429) replaces the 401 once this address has used up its budget.
      this.limiter.charge(req);
      throw e;
    }
    return true;
  }

  /**
   * The caller an Authorization header proves, or undefined: used before routing only to pick the rate
   * limit bucket (never to admit a request; canActivate does that, by the same verify()).
   */
  identify(req: FastifyRequest): string | undefined {
    if (req.headers.authorization === undefined) return undefined;
    try {
      return this.verify(req, false).sub;
    } catch {
      return undefined;
    }
  }

  private verify(req: AuthedRequest, acceptsQuery: boolean): Caller {
    if (req.headers.authorization === undefined) return this.verifyToken(req, acceptsQuery);
    let outcome = req[HEADER_OUTCOME];
    if (outcome === undefined) {
      try {
        outcome = this.verifyToken(req, false);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        outcome = e;
      }
      req[HEADER_OUTCOME] = outcome;
    }
    if (outcome instanceof DomainError) throw outcome;
    return outcome;
  }

  private verifyToken(req: AuthedRequest, acceptsQuery: boolean): Caller {
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header !== undefined) {
      // The scheme is case-insensitive (RFC 7235 §2.1); exactly one token, nothing around it.
      const m = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
      if (!m) throw new DomainError('UNAUTHORIZED', 'Authorization header must be "Bearer <JWT>"');
      token = m[1];
    } else if (acceptsQuery) {
      // Only a single string counts: a repeated parameter (an array) is no token.
      const q = (req.query as Record<string, unknown> | undefined)?.['access_token'];
      if (typeof q === 'string' && q.length > 0) token = q;
    }
    if (!token) throw new DomainError('UNAUTHORIZED', 'missing bearer token');
    if (token.length > MAX_TOKEN_CHARS) throw new DomainError('UNAUTHORIZED', 'invalid token');
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
    return { sub, admin: scope.includes('admin') };
  }
}
