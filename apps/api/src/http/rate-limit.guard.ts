import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { DomainError } from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Caller } from '@app/feeds';

export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `rate limit exceeded; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * Per-caller token bucket (RATE_LIMIT_PER_MINUTE, refilled continuously, burst = one minute's worth).
 * The buckets live in this API instance: N instances behind a balancer allow up to N times the rate,
 * which operators size for; a shared limiter would add a round trip to every request.
 * Runs after AuthGuard, so the caller is known; anonymous routes are not limited.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private readonly burst: number;

  constructor(@Inject(APP_CONFIG) cfg: AppConfig) {
    this.burst = cfg.rateLimitPerMinute;
    this.perMs = cfg.rateLimitPerMinute / 60_000;
  }

  canActivate(ctx: ExecutionContext): boolean {
    const caller = ctx.switchToHttp().getRequest<FastifyRequest & { caller?: Caller }>().caller;
    if (!caller) return true;
    const now = Date.now();
    const b = this.buckets.get(caller.sub) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(caller.sub, b);
      throw new RateLimitedError(Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)));
    }
    b.tokens -= 1;
    this.buckets.set(caller.sub, b);
    if (this.buckets.size > 100_000) this.evictFull(now);
    return true;
  }

  /** Drops buckets that have refilled completely (they carry no information). */
  private evictFull(now: number): void {
    for (const [k, v] of this.buckets) if (v.tokens + (now - v.at) * this.perMs >= this.burst) this.buckets.delete(k);
  }
}
