import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DomainError } from '@app/domain';
import { Caller } from '@app/feeds';
import { ConsumerLagReader } from '@app/messaging-kafka';
import { MetricsService, scrapeMetrics, sumByLabels, sumHistogram, sumSamples } from '@app/observability';
import { ApiErrors, V1_ERRORS } from '../http/api-errors';
import { CurrentCaller } from '../http/auth';
import { OpsOverviewDto } from '../http/ops.dto';

/** One worker scrape: bounded in time and size, so a stuck or hostile endpoint cannot hold a request. */
const SCRAPE = { timeoutMs: 1_000, maxBytes: 4 * 1024 * 1024 };

/**
 * The operator view of the web console: consumer lag, worker liveness, cumulative counters and latency
 * histograms in one snapshot (the console derives rates from successive snapshots). Admin scope only.
 * A worker that does not answer is `up: false` (its counters are missing from the sums), never an error;
 * lag that Kafka cannot give within 2 s is 503 STORE_UNAVAILABLE (a lag of [] would read as "no lag").
 */
@ApiTags('ops')
@ApiBearerAuth()
@Controller('v1/ops')
export class OpsController {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly lag: ConsumerLagReader,
    private readonly metrics: MetricsService,
  ) {}

  @Get('overview')
  @ApiOperation({ summary: 'Operator snapshot: consumer lag, workers, counters, histograms (admin)' })
  @ApiOkResponse({ type: OpsOverviewDto })
  @ApiErrors(V1_ERRORS, 'FORBIDDEN')
  async overview(@CurrentCaller() caller: Caller): Promise<OpsOverviewDto> {
    if (!caller.admin) throw new DomainError('FORBIDDEN', 'the ops overview needs the admin scope');
    const [lag, scrapes, own] = await Promise.all([
      this.lag.read(),
      Promise.all(this.cfg.opsWorkerMetricsUrls.map((url) => scrapeMetrics(url, SCRAPE))),
      this.metrics.samples('http_request_duration_seconds'),
    ]);
    const worker = scrapes.flatMap((s) => s.samples);
    return {
      at: new Date().toISOString(),
      lag: lag.map((p) => ({ topic: p.topic, partition: p.partition, lag: p.lag })),
      workers: scrapes.map((s) => ({ url: s.url, up: s.up })),
      counters: {
        delivered: sumSamples(worker, 'tideline_fanout_delivered_total'),
        recordsConsumed: sumSamples(worker, 'tideline_records_consumed_total'),
        deadLettered: sumByLabels(worker, 'tideline_records_dead_lettered_total', ['topic', 'code']).map((g) => ({ topic: g.topic, code: g.code, count: g.value })),
      },
      histograms: {
        fanoutSeconds: this.histogram(sumHistogram(worker, 'tideline_fanout_duration_seconds')),
        apiRequestSeconds: this.histogram(sumHistogram(own, 'http_request_duration_seconds')),
      },
    };
  }

  private histogram(h: ReturnType<typeof sumHistogram>): OpsOverviewDto['histograms']['fanoutSeconds'] {
    return { count: h.count, sum: h.sum, buckets: h.buckets.map((b) => ({ le: b.le, count: b.count })) };
  }
}
