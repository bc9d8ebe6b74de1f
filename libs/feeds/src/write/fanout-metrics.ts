/** What the write path reports; libs/observability implements it with prom-client. */
export interface FanoutMetrics {
  chunkSize(n: number): void;
  delivered(written: number, skippedInactive: number): void;
  chunkDuration(seconds: number): void;
  fanoutDuration(op: 'deliver' | 'remove', seconds: number): void;
}
export const FANOUT_METRICS = Symbol('FANOUT_METRICS');

export const NOOP_FANOUT_METRICS: FanoutMetrics = {
  chunkSize: () => undefined,
  delivered: () => undefined,
  chunkDuration: () => undefined,
  fanoutDuration: () => undefined,
};
