import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BudgetGauge, FanoutMetrics } from '@app/feeds';

/** The write path's metrics (tideline_fanout_*), registered on `registry`. */
export function createFanoutMetrics(registry: Registry): FanoutMetrics {
  const registers = [registry];
  const chunkSize = new Histogram({
    name: 'tideline_fanout_chunk_size',
    help: 'Followers per fanout chunk',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers,
  });
  const delivered = new Counter({ name: 'tideline_fanout_delivered_total', help: 'Home timeline rows written by fanout', registers });
  const skipped = new Counter({ name: 'tideline_fanout_skipped_inactive_total', help: 'Followers skipped by fanout because they are inactive', registers });
  const chunkDuration = new Histogram({
    name: 'tideline_fanout_chunk_duration_seconds',
    help: 'Time to apply one fanout chunk',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const fanoutDuration = new Histogram({
    name: 'tideline_fanout_duration_seconds',
    help: 'Time to spread one activity (or delete) to its followers, by op',
    labelNames: ['op'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const lookups = new Counter({
    name: 'tideline_fanout_active_lookups_total',
    help: 'Followers checked for activity by fanout, by source: the active-reader cache or a last-read point read',
    labelNames: ['source'],
    registers,
  });
  return {
    chunkSize: (n) => chunkSize.observe(n),
    activeLookups: (cached, read) => {
      lookups.inc({ source: 'cache' }, cached);
      lookups.inc({ source: 'read' }, read);
    },
    watchBudget: (budget) => watchBudget(budget, registry),
    delivered: (written, skippedInactive) => {
      delivered.inc(written);
      skipped.inc(skippedInactive);
    },
    chunkDuration: (s) => chunkDuration.observe(s),
    fanoutDuration: (op, s) => fanoutDuration.observe({ op }, s),
  };
}

/** A gauge whose value is read at scrape time; registering the same name twice keeps the first. */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** The fanout statement budget as gauges, sampled at scrape time: its size, permits held now and at peak, waiters. */
function watchBudget(budget: BudgetGauge, registry: Registry): void {
  scrapedGauge(registry, 'tideline_fanout_statement_budget', 'Cassandra statements fanout may have in flight per worker', () => budget.limit);
  scrapedGauge(registry, 'tideline_fanout_statements_in_flight', 'Fanout statement permits held now', () => budget.inFlight);
  scrapedGauge(registry, 'tideline_fanout_statements_in_flight_peak', 'Most fanout statement permits held at once since the previous scrape', () => budget.takePeak());
  scrapedGauge(registry, 'tideline_fanout_statements_queued', 'Fanout slices waiting for statement permits', () => budget.queued);
}
