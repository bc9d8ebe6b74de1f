import type { InjectionToken, ModuleMetadata } from '@nestjs/common';

export type ServiceName = 'api' | 'fanout-worker';

/** A dependency the process needs to serve traffic; `ping` rejects (with a reason) when it is down. */
export interface ReadinessCheck {
  readonly name: string;
  ping(): Promise<void>;
}

/** Provider token: `ReadinessCheck[]`. */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

export interface ObservabilityOptions {
  readonly service: ServiceName;
  /**
   * Builds the readiness checks from injectables (typically CassandraHealth and KafkaHealth, which
   * their @Global modules export). Alternatively any module may provide READINESS_CHECKS itself; the
   * health controller looks the token up application-wide. Neither = no checks (always ready).
   */
  readonly readiness?: {
    readonly imports?: ModuleMetadata['imports'];
    readonly inject: InjectionToken[];
    readonly useFactory: (...deps: never[]) => ReadinessCheck[];
  };
  /** Per-check timeout of GET /health/ready; default 2000 ms. */
  readonly readinessTimeoutMs?: number;
}

export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');
