import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Caller } from '@app/feeds';
import { sendError } from './error.filter';

export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `rate limit exceeded; retry in ${retryAfterSeconds} s`);
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets (`perMinute`, refilled continuously, burst = one minute's worth) for at most `capacity`
 * keys. The Map is kept in least-recently-touched order (a touch re-inserts the key at the end), so an
 * insert beyond capacity evicts exactly one entry, the first: O(1) per request, never a scan.
 * Trade-off: an evicted bucket untouched for a minute or more had refilled anyway (no information lost);
 * one touched more recently is lost only when more than `capacity` keys were active since, and then that
 * key starts again with a full burst.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Tokens left for `key` (a full burst if unknown); for tests and diagnostics. */
  peek(key: string): number {
    const b = this.buckets.get(key);
    return b ? Math.min(this.perMinute, b.tokens + (this.now() - b.at) * this.perMs) : this.perMinute;
  }

  has(key: string): boolean {
    return this.buckets.has(key);
  }

  /** Takes one token for `key`, or throws RateLimitedError (with the seconds until one is back). */
  take(key: string): void {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    // Re-insert at the end: Map iteration order is then least recently touched first.
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.capacity) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    if (b.tokens < 1) throw new RateLimitedError(Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)));
    b.tokens -= 1;
  }
}

/** Buckets kept per API instance (callers plus anonymous addresses). */
const CAPACITY = 100_000;

/** Marks a request already charged to some bucket, so that no request pays twice. */
const CHARGED = Symbol('tideline:rate-charged');
type Chargeable = FastifyRequest & { [CHARGED]?: true; caller?: Caller };

/**
 * The bucket of an anonymous client: its IPv4 address, or the /64 prefix of its IPv6 address (one host
 * commonly holds a whole /64, so per-address buckets would give it 2^64 budgets).
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail] = (address.toLowerCase().split('%')[0] ?? '').split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * The instance's one limiter (RATE_LIMIT_PER_MINUTE). Every request is charged exactly once: to its
 * verified caller, or else to its client address (failed auth, public routes, unmatched paths, bodies
 * refused by the parser). The address is the TCP peer, never X-Forwarded-For: without a configured
 * list of trusted proxies that header is whatever the client wrote, and rotating it would buy a fresh
 * budget per request (behind a balancer, anonymous clients then share the balancer's budget).
 * The buckets live in this API instance: N instances behind a balancer allow up to N times the rate,
 * which operators size for; a shared limiter would add a round trip to every request.
 */
@Injectable()
export class RateLimiter {
  readonly buckets: TokenBuckets;

  constructor(@Inject(APP_CONFIG) cfg: AppConfig) {
    this.buckets = new TokenBuckets(cfg.rateLimitPerMinute, CAPACITY);
  }

  static addressOf(req: FastifyRequest): string {
    return addressKey(req.raw.socket?.remoteAddress ?? 'unknown');
  }

  /** Charges the caller if verified, else the address; once per request. Throws RateLimitedError. */
  charge(req: FastifyRequest): void {
    const r = req as Chargeable;
    this.chargeKey(r, r.caller ? `sub:${r.caller.sub}` : undefined);
  }

  private chargeKey(r: Chargeable, key: string | undefined): void {
    if (r[CHARGED]) return;
    r[CHARGED] = true;
    this.buckets.take(key ?? `addr:${RateLimiter.addressOf(r)}`);
  }

  /**
   * Charges at the first hook, before any body is parsed (a body the parser refuses never reaches a
   * guard): to the caller an Authorization header proves (`identify`), else to the address. Only a
   * matched, bodiless request with its token in the query (a stream) is left to the guards, which know
   * whether the route accepts that token.
   */
  install(fastify: FastifyInstance, identify: (req: FastifyRequest) => string | undefined): void {
    fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const h = req.headers;
      const matched = req.routeOptions?.url !== undefined;
      const hasBody = (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
      const q = req.query as Record<string, unknown> | undefined;
      const queryToken = q !== undefined && q !== null && 'access_token' in q;
      if (matched && queryToken && h.authorization === undefined && !hasBody) return done();
      try {
        const sub = identify(req);
        this.chargeKey(req as Chargeable, sub === undefined ? undefined : `sub:${sub}`);
        done();
      } catch (e) {
        sendError(reply, e);
      }
    });
  }
}

/** Runs after AuthGuard: charges the verified caller, or the address on public routes. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly limiter: RateLimiter) {}

  canActivate(ctx: ExecutionContext): boolean {
    this.limiter.charge(ctx.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}
