import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FANOUT_METRICS } from '@app/feeds';
import { HealthController } from './health.controller';
import { pinoParams } from './logger';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { OBSERVABILITY_OPTIONS, ObservabilityOptions, READINESS_CHECKS } from './observability.options';

/** Provider token: a `ConsumerMetricsSink` (pass it to ReliableConsumer and the lag monitor). */
export const CONSUMER_METRICS = Symbol('CONSUMER_METRICS');

/**
 * Logging (nestjs-pino), metrics (one prom-client registry) and health endpoints for one process.
 * Needs APP_CONFIG (AppConfigModule is global). Controllers: GET /metrics, /health/live, /health/ready.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(opts: ObservabilityOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: OBSERVABILITY_OPTIONS, useValue: opts },
      MetricsService,
      { provide: FANOUT_METRICS, useFactory: (m: MetricsService) => m.fanout, inject: [MetricsService] },
      { provide: CONSUMER_METRICS, useFactory: (m: MetricsService) => m.consumer, inject: [MetricsService] },
    ];
    if (opts.readiness) {
      providers.push({ provide: READINESS_CHECKS, inject: opts.readiness.inject, useFactory: opts.readiness.useFactory as (...deps: unknown[]) => unknown });
    }
    return {
      module: ObservabilityModule,
      imports: [
        LoggerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: (cfg: AppConfig) => pinoParams(cfg, opts.service) }),
        TerminusModule.forRoot({ logger: false }),
        ...(opts.readiness?.imports ?? []),
      ],
      controllers: [MetricsController, HealthController],
      providers,
      exports: [MetricsService, FANOUT_METRICS, CONSUMER_METRICS, LoggerModule, ...(opts.readiness ? [READINESS_CHECKS] : [])],
    };
  }
}
