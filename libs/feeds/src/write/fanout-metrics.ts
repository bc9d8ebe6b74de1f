/** What the statement budget shows to metrics: permits held now, the peak since the last look, and waiters. */
export interface BudgetGauge {
  readonly limit: number;
  readonly inFlight: number;
  readonly queued: number;
  takePeak(): number;
}

/** What the write path reports; libs/observability implements it with prom-client. */
export interface FanoutMetrics {
  chunkSize(n: number): void;
  delivered(written: number, skippedInactive: number): void;
  chunkDuration(seconds: number): void;
  fanoutDuration(op: 'deliver' | 'remove', seconds: number): void;
  /** Followers whose activity was known without a read (cache), and those that needed one. */
  activeLookups?(cached: number, read: number): void;
  /** Called once with the worker's statement budget, so its occupancy can be sampled. */
  watchBudget?(budget: BudgetGauge): void;
}
export const FANOUT_METRICS = Symbol('FANOUT_METRICS');

export const NOOP_FANOUT_METRICS: FanoutMetrics = {
  chunkSize: () => undefined,
  delivered: () => undefined,
  chunkDuration: () => undefined,
  fanoutDuration: () => undefined,
};
