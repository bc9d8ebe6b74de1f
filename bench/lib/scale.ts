import { scaleAuthor } from './graph';
import { cpuMeter } from './cpu';
import { BenchKafka } from './kafka';
import { metricSum, Service } from './procs';
import { jwt, mib, procMemory, round, sleep } from './util';

export interface ScalePoint {
  followers: number;
  /** POST /v1/activities → 202, as the author. */
  acceptMs: number;
  /** From the POST until the worker committed the activities record (the fanout is split into chunks). */
  handoffMs: number | null;
  /** From the POST until every follower's home row was written. */
  completeMs: number | null;
  deliveriesPerSec: number | null;
  delivered: number;
  baselineRssMiB: number;
  /** Highest RSS sampled (every 100 ms) while this fanout ran. */
  peakRssMiB: number;
  /** The process's lifetime high-water mark (VmHWM), start-up included. */
  hwmRssMiB: number;
  /** From the POST until complete (or the timeout), 100 % = one core; worker CPU time per delivered row. */
  cpu: { workerPct: number; cassandraPct: number | null; kafkaPct: number | null; machinePct: number; workerUsPerDelivery: number | null };
  /** Most fanout statement permits held at once (of `statementBudget`), and the driver's in-flight requests at most. */
  fanoutInFlightPeak: number;
  statementBudget: number;
  driverInFlightMax: number;
}

/**
 * One activity from an author with `followers` active followers, hybrid threshold lifted, on a fresh
 * worker so its peak RSS (VmHWM) belongs to this fanout alone.
 */
export async function scalePoint(
  followers: number,
  startWorker: () => Promise<Service>,
  api: Service,
  secret: string,
  kafka: BenchKafka,
  topics: { activities: string; fanout: string },
  runTag: string,
  timeoutSeconds: number,
  onProgress: (delivered: number) => void,
): Promise<ScalePoint> {
  const worker = await startWorker();
  try {
    await sleep(1500); // let the consumer join and settle
    const baseline = procMemory(worker.pid)?.rss ?? 0;
    let peak = baseline;
    const author = scaleAuthor(followers);
    let inFlightPeak = 0;
    let driverMax = 0;
    let budget = 0;
    const delivered = async (): Promise<number> => {
      const m = await worker.metrics();
      inFlightPeak = Math.max(inFlightPeak, metricSum(m, 'tideline_fanout_statements_in_flight_peak'));
      driverMax = Math.max(driverMax, metricSum(m, 'tideline_cassandra_in_flight'));
      budget = metricSum(m, 'tideline_fanout_statement_budget');
      return metricSum(m, 'tideline_fanout_delivered_total');
    };
    const d0 = await delivered();
    inFlightPeak = 0;
    const meter = cpuMeter([worker.pid]);
    const c0 = meter.snap();
    const t0 = Date.now();
    const res = await fetch(`${api.base}/v1/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt(secret, author)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ actor: author, type: 'post', object: `${runTag}:scale${followers}` }),
    });
    const acceptMs = Date.now() - t0;
    if (res.status !== 202) throw new Error(`POST /v1/activities answered ${res.status}: ${await res.text()}`);
    await res.text();
    let handoffMs: number | null = null;
    let completeMs: number | null = null;
    let count = 0;
    const deadline = t0 + timeoutSeconds * 1000;
    let lastCheck = 0;
    while (Date.now() < deadline) {
      peak = Math.max(peak, procMemory(worker.pid)?.rss ?? 0);
      if (Date.now() - lastCheck >= 500) {
        lastCheck = Date.now();
        count = (await delivered()) - d0;
        onProgress(count);
        if (handoffMs === null && (await kafka.lag(topics.activities)) === 0 && count > 0) handoffMs = Date.now() - t0;
        if (count >= followers) {
          completeMs = Date.now() - t0;
          handoffMs ??= completeMs;
          break;
        }
      }
      await sleep(100);
    }
    const hwm = procMemory(worker.pid)?.hwm ?? 0;
    const c1 = meter.snap();
    const share = meter.share(c0, c1);
    return {
      followers,
      acceptMs,
      handoffMs,
      completeMs,
      deliveriesPerSec: completeMs ? round(followers / (completeMs / 1000), 0) : null,
      delivered: count,
      baselineRssMiB: mib(baseline),
      peakRssMiB: mib(peak),
      hwmRssMiB: mib(hwm),
      cpu: {
        workerPct: share.workers,
        cassandraPct: share.cassandra,
        kafkaPct: share.kafka,
        machinePct: share.machine,
        workerUsPerDelivery: count > 0 ? round(((c1.workers - c0.workers) / count) * 1e6, 0) : null,
      },
      fanoutInFlightPeak: inFlightPeak,
      statementBudget: budget,
      driverInFlightMax: driverMax,
    };
  } finally {
    await worker.stop();
  }
}
