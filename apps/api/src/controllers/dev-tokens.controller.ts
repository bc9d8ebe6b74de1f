import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwtService } from '@nestjs/jwt';
import { DEV_TOKEN_TTL, DevTokenBody } from '@app/wire';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors';
import { Public } from '../http/auth';
import { DevTokenDto } from '../http/dev-tokens.dto';

/**
 * Development only (DEV_TOKENS=true, refused in production at start): mints a token for any user, so the
 * web console and local tools need no signing code. Public for the AuthGuard (it is how a caller gets a
 * token), still charged to the client address by the rate limiter like every request. Outside /v1 on
 * purpose: every /v1 route needs a verified caller. With DEV_TOKENS off, http/dev-tokens-gate.ts answers 404
 * before this handler (or its body validation) is reached.
 */
@ApiTags('development')
@Controller('dev/tokens')
export class DevTokensController {
  constructor(private readonly jwt: JwtService) {}

  @Post()
  @Public()
  @HttpCode(201)
  @ApiOperation({ summary: 'Mint a development token', description: 'development only; 404 unless DEV_TOKENS=true' })
  @ApiCreatedResponse({ type: DevTokenDto })
  @ApiErrors(BODY_ERRORS, 'NOT_FOUND', 'RATE_LIMITED')
  mint(@Body() body: DevTokenBody): DevTokenDto {
    const admin = body.admin === true;
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + (body.ttlSeconds ?? DEV_TOKEN_TTL.default);
    // Exactly the claims the body asked for (scripts/jwt.mjs makes the same ones).
    const token = this.jwt.sign({ sub: body.sub, ...(admin ? { scope: 'admin' } : {}), iat, exp }, { algorithm: 'HS256' });
    return { token, sub: body.sub, admin, expiresAt: new Date(exp * 1000).toISOString() };
  }
}
