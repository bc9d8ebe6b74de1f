import { Body, CanActivate, Controller, ExecutionContext, HttpCode, Inject, Injectable, NotFoundException, OnModuleInit, Post, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwtService } from '@nestjs/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DEV_TOKEN_TTL, DevTokenBody } from '@app/wire';
import { Public } from '../http/auth';
import { DevTokenDto } from '../http/dev-tokens.dto';
import { sendError } from '../http/error.filter';

const ROUTE = '/dev/tokens';
/** Nest's own not-found error for an unmatched route: the same status, body and message. */
const notFound = (req: FastifyRequest): NotFoundException => new NotFoundException(`Cannot ${req.method} ${req.url}`);

/**
 * With DEV_TOKENS off the route does not exist for a client: a request the router matched to it is
 * treated as Fastify treats an unknown path, which still parses the body (a malformed one is 400, a form
 * 415) and then answers 404. So the gate runs at preValidation, right after parsing and before any guard
 * or pipe, and answers Nest's not-found body. Rate limiting happened at onRequest, as for unknown paths.
 * DevTokensEnabled repeats the check at the handler.
 */
@Injectable()
export class DevTokensGate implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly host: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (this.cfg.devTokens) return;
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    // A media type no parser takes: an unknown path answers 404 without parsing, so this route does too.
    fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (req.routeOptions?.url === ROUTE && type !== '' && !fastify.hasContentTypeParser(type)) return sendError(reply, notFound(req));
      done();
    });
    fastify.addHook('preValidation', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      if (req.routeOptions?.url === ROUTE) return sendError(reply, notFound(req));
      done();
    });
  }
}

/** The handler-side check of the same rule (a guard runs before the body is validated). */
@Injectable()
export class DevTokensEnabled implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly cfg: AppConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (this.cfg.devTokens) return true;
    throw notFound(ctx.switchToHttp().getRequest<FastifyRequest>());
  }
}

/**
 * Development only (DEV_TOKENS=true, refused in production at start): mints a token for any user, so the
 * web console and local tools need no signing code. Public for the AuthGuard (it is how a caller gets a
 * token), still charged to the client address by the rate limiter like every request. Outside /v1 on
 * purpose: every /v1 route needs a verified caller.
 */
@ApiTags('development')
@Controller('dev/tokens')
export class DevTokensController {
  constructor(private readonly jwt: JwtService) {}

  @Post()
  @Public()
  @UseGuards(DevTokensEnabled)
  @HttpCode(201)
  @ApiOperation({ summary: 'Mint a development token', description: 'development only; 404 unless DEV_TOKENS=true' })
  @ApiCreatedResponse({ type: DevTokenDto })
  @ApiBadRequestResponse({ description: 'invalid sub, admin or ttlSeconds, or another field' })
  @ApiNotFoundResponse({ description: 'DEV_TOKENS is not true' })
  mint(@Body() body: DevTokenBody): DevTokenDto {
    const admin = body.admin === true;
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + (body.ttlSeconds ?? DEV_TOKEN_TTL.default);
    // Exactly the claims the body asked for (scripts/jwt.mjs makes the same ones).
    const token = this.jwt.sign({ sub: body.sub, ...(admin ? { scope: 'admin' } : {}), iat, exp }, { algorithm: 'HS256' });
    return { token, sub: body.sub, admin, expiresAt: new Date(exp * 1000).toISOString() };
  }
}
