import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FanoutMetrics } from '@app/feeds';
import { createFanoutMetrics, scrapedGauge } from './fanout-metrics';
import { OBSERVABILITY_OPTIONS, ObservabilityOptions } from './observability.options';
import type { PromSample } from './prom-text';

/**
 * What ReliableConsumer and the consumer-lag monitor report. Structurally identical to
 * `ConsumerMetrics` in @app/messaging-kafka plus `lag`; declared here so this lib needs no Kafka code.
 */
export interface ConsumerMetricsSink {
  consumed(topic: string, outcome: 'ok' | 'dead_lettered'): void;
  retried(topic: string): void;
  deadLettered(topic: string, code: string): void;
  /** A record that could not be dead-lettered either (the DLQ refused it permanently); it was skipped. */
  deadLetterFailed(topic: string, code: string): void;
  /** The kafkajs consumer crashed; `restart` = how it came back ('kafkajs' restarted it, or 'ours'). */
  crashed(restart: 'kafkajs' | 'ours'): void;
  lag(topic: string, partition: number, lag: number): void;
}

/**
 * Owns the process's single prom-client Registry (never the global default registry, so several Nest
 * apps in one process — as in tests — keep separate metrics). Every metric name starts with `tideline_`
 * except `http_request_duration_seconds`, whose conventional name dashboards expect.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly fanout: FanoutMetrics;
  readonly consumer: ConsumerMetricsSink;

  constructor(@Inject(OBSERVABILITY_OPTIONS) opts: ObservabilityOptions) {
    this.registry.setDefaultLabels({ service: opts.service });
    collectDefaultMetrics({ register: this.registry, prefix: 'tideline_' });
    const registers = [this.registry];

    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });

    this.fanout = createFanoutMetrics(this.registry);

    const consumed = new Counter({ name: 'tideline_records_consumed_total', help: 'Kafka records finished, by topic and outcome', labelNames: ['topic', 'outcome'], registers });
    const retries = new Counter({ name: 'tideline_record_retries_total', help: 'Transient failures retried, by topic', labelNames: ['topic'], registers });
    const dead = new Counter({ name: 'tideline_records_dead_lettered_total', help: 'Records sent to the dead-letter topic, by source topic and error code', labelNames: ['topic', 'code'], registers });
    const deadFailed = new Counter({ name: 'tideline_dead_letter_failures_total', help: 'Records skipped because the dead-letter topic refused them permanently, by source topic and error code', labelNames: ['topic', 'code'], registers });
    const crashes = new Counter({ name: 'tideline_consumer_crashes_total', help: 'kafkajs consumer crashes, by who restarted it', labelNames: ['restart'], registers });
    const lag = new Gauge({ name: 'tideline_consumer_lag', help: 'Topic end offset minus the group committed offset', labelNames: ['topic', 'partition'], registers });
    this.consumer = {
      consumed: (topic, outcome) => consumed.inc({ topic, outcome }),
      retried: (topic) => retries.inc({ topic }),
      deadLettered: (topic, code) => dead.inc({ topic, code }),
      deadLetterFailed: (topic, code) => deadFailed.inc({ topic, code }),
      crashed: (restart) => crashes.inc({ restart }),
      lag: (topic, partition, value) => lag.set({ topic, partition: String(partition) }, value),
    };
  }

  /**
   * A gauge read when /metrics is scraped (e.g. the Cassandra driver's in-flight requests), so the hot path
   * never updates it.
   */
  gauge(name: string, help: string, read: () => number): void {
    scrapedGauge(this.registry, name, help, read);
  }

  /** Records one finished HTTP request. `route` must be the route template (bounded cardinality). */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** One metric of this process as samples (as a scrape would read them; [] if it does not exist). */
  async samples(name: string): Promise<PromSample[]> {
    const metric = await this.registry.getSingleMetric(name)?.get();
    return (metric?.values ?? []).map((v) => ({
      // Histograms and summaries name each value (`_bucket`, `_sum`, `_count`); other metrics do not.
      name: (v as { metricName?: string }).metricName ?? name,
      labels: Object.fromEntries(Object.entries(v.labels).map(([k, l]) => [k, String(l)])),
      value: v.value,
    }));
  }

  /** Prometheus text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

