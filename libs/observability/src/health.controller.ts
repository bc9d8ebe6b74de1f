import { Controller, Get, Inject } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from './public';
import { OBSERVABILITY_OPTIONS, ObservabilityOptions, READINESS_CHECKS, ReadinessCheck } from './observability.options';

class PingTimeout extends Error {}

/**
 * GET /health/live: the process is up (200 always; no dependency checks, so an orchestrator never
 * restarts a healthy process because Cassandra is down).
 * GET /health/ready: 200 when every readiness check passes within its timeout, else 503 with terminus'
 * body `{status:'error', error:{<name>:{status:'down', message}}, ...}`.
 */
@Public()
@Controller('health')
export class HealthController {
  private checks: ReadinessCheck[] | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
    @Inject(OBSERVABILITY_OPTIONS) private readonly opts: ObservabilityOptions,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const timeoutMs = this.opts.readinessTimeoutMs ?? 2000;
    return this.health.check(this.readinessChecks().map((c) => () => this.probe(c, timeoutMs)));
  }

  private async probe(check: ReadinessCheck, timeoutMs: number): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    let timer: NodeJS.Timeout | undefined;
    try {
      const ping = check.ping();
      // A ping that loses the race still settles later; swallow it so it is never unhandled.
      ping.catch(() => undefined);
      await Promise.race([
        ping,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PingTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return session.up();
    } catch (e) {
      return session.down({ message: e instanceof Error ? e.message : String(e) });
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Looked up lazily and application-wide, so READINESS_CHECKS may come from any module. */
  private readinessChecks(): ReadinessCheck[] {
    if (this.checks === null) {
      try {
        this.checks = this.moduleRef.get<ReadinessCheck[]>(READINESS_CHECKS, { strict: false });
      } catch {
        this.checks = [];
      }
    }
    return this.checks;
  }
}
