import { scaleAuthor } from './graph';
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
    const delivered = async (): Promise<number> => metricSum(await worker.metrics(), 'tideline_fanout_delivered_total');
    const d0 = await delivered();
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
    };
  } finally {
    await worker.stop();
  }
}
