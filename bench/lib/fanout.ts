import os from 'node:os';
import { Graph } from './graph';
import { BenchKafka } from './kafka';
import { CpuMeter, cpuMeter, CpuShare } from './cpu';
import { metricSum, Service } from './procs';
import { fmtNum, table } from './report';
import { jwt, mib, Percentiles, procMemory, rng, round, sleep, summarize } from './util';

export interface FanoutEnv {
  readonly g: Graph;
  readonly kafka: BenchKafka;
  readonly topics: { activities: string; fanout: string };
  readonly workers: Service[];
  readonly api: Service;
  readonly secret: string;
  readonly runTag: string;
  readonly startRate: number;
  readonly maxSteps: number;
  readonly stepSeconds: number;
  readonly drainSeconds: number;
  readonly probes: number;
  readonly seed: number;
  readonly onTick: (s: TickSample, label: string) => void;
  readonly log: (m: string) => void;
}

/** CPU over a tick or a step, percent of one core: workers, the API, this benchmark process, the servers, the machine. */
export interface CpuPcts {
  workerCpuPct: number;
  apiCpuPct: number | null;
  benchCpuPct: number;
  cassandraCpuPct: number | null;
  kafkaCpuPct: number | null;
  machineCpuPct: number;
}

export interface TickSample extends CpuPcts {
  /** Seconds since the phase started. */
  t: number;
  offeredActivitiesPerSec: number;
  deliveredPerSec: number;
  lagActivities: number;
  lagFanout: number;
  workerRssMiB: number;
  /** Most fanout statement permits the worker(s) held at once during the tick (budget gauge). */
  fanoutInFlightPeak: number;
  /** Requests in flight on the workers' Cassandra driver connections, sampled at the tick. */
  driverInFlight: number;
}

export interface StepResult extends CpuPcts {
  offeredActivitiesPerSec: number;
  published: number;
  offeredDeliveriesPerSec: number;
  deliveredPerSec: number;
  keptUp: boolean;
  lagAtEnd: { activities: number; fanout: number };
  /** Worker CPU time per home row delivered in the step (µs). */
  workerCpuUsPerDelivery: number | null;
  /** Highest fanout statement permits held at once in the step, out of `statementBudget` per worker. */
  fanoutInFlightPeak: number;
  statementBudget: number;
  /** Mean of the per-second samples of the driver's in-flight requests. */
  driverInFlightMean: number;
  latencyMs: Percentiles & { missing: number };
}

export interface FanoutResult {
  steps: StepResult[];
  timeline: TickSample[];
  /** Highest step-average delivery rate, kept up or saturated: what the worker sustains. */
  capacityDeliveriesPerSec: number;
  /** Highest offered delivery rate the worker kept up with (null = not even the first step). */
  keptUpAtDeliveriesPerSec: number | null;
  /** Publish-to-visible over every step the worker kept up with. */
  latencyKeptUpMs: Percentiles;
  drain: { seconds: number; complete: boolean; deliveriesPerSec: number };
  expectedDeliveries: number;
  deliveredTotal: number;
  probeReaders: number;
  probePolls: number;
  workerPeakRssMiB: number;
  /** From the worker's own histograms: where the time of one record goes. */
  workerTimings: { fanouts: number; meanFanoutMs: number; chunks: number; meanChunkMs: number; meanChunkSize: number; recordsConsumed: number };
}

interface Pending {
  readonly publishMs: number;
  readonly step: number;
}

/**
 * Publishes activities straight to the activities topic (as any producer may, CONTRACT §4) at a rate
 * that doubles every step until the worker stops keeping up, then drains. Probe readers poll their home
 * feed through the API and time each activity from publish to first sight.
 */
export async function runFanout(e: FanoutEnv): Promise<FanoutResult> {
  const { g } = e;
  const rand = rng(e.seed + 1);
  const authors: number[] = [];
  for (let i = 0; i < g.n; i++) if (!g.isCelebrity[i]) authors.push(i);

  // Probe readers: active ordinary users following the most ordinary authors (most samples per poll).
  const candidates = [...Array(g.n).keys()].filter((i) => g.active[i] && !g.isCelebrity[i]);
  candidates.sort((a, b) => (g.following[b] as Uint32Array).length - (g.following[a] as Uint32Array).length);
  const probes = candidates.slice(0, e.probes).map((i) => ({
    index: i,
    id: g.id(i),
    token: jwt(e.secret, g.id(i)),
    followees: [...(g.following[i] as Uint32Array)].filter((a) => !g.isCelebrity[a]),
    pending: new Map<string, Pending>(),
  }));
  const probesOf = new Map<number, number[]>();
  probes.forEach((p, pi) => p.followees.forEach((a) => probesOf.set(a, [...(probesOf.get(a) ?? []), pi])));
  const samples: number[][] = [];
  let polls = 0;
  let running = true;
  let drainDeadline = Number.POSITIVE_INFINITY;

  const pollers = probes.map(async (p, pi) => {
    await sleep(pi * 23);
    while (running || p.pending.size > 0) {
      const started = Date.now();
      try {
        const res = await fetch(`${e.api.base}/v1/feeds/home/${encodeURIComponent(p.id)}?limit=100`, { headers: { authorization: `Bearer ${p.token}` } });
        const seen = Date.now();
        polls++;
        if (res.ok) {
          const body = (await res.json()) as { items: { object: string }[] };
          for (const item of body.items) {
            const hit = p.pending.get(item.object);
            if (!hit) continue;
            p.pending.delete(item.object);
            (samples[hit.step] ??= []).push(seen - hit.publishMs);
          }
        } else {
          await res.text();
        }
      } catch {
        /* the API is busy: try again */
      }
      if (!running && Date.now() > drainDeadline) break;
      await sleep(Math.max(20, 200 - (Date.now() - started)));
    }
  });

  const workerPids = e.workers.map((w) => w.pid);
  /** One scrape of every worker: delivered rows, fanout permits at peak since the last scrape, driver in flight. */
  const scrape = async (): Promise<{ delivered: number; inFlightPeak: number; driverInFlight: number; budget: number }> => {
    const texts = await Promise.all(e.workers.map((w) => w.metrics()));
    const sum = (name: string): number => texts.reduce((a, t) => a + metricSum(t, name), 0);
    return {
      delivered: sum('tideline_fanout_delivered_total'),
      inFlightPeak: sum('tideline_fanout_statements_in_flight_peak'),
      driverInFlight: sum('tideline_cassandra_in_flight'),
      budget: sum('tideline_fanout_statement_budget'),
    };
  };
  const delivered = async (): Promise<number> => (await scrape()).delivered;
  const meter: CpuMeter = cpuMeter(workerPids, e.api.pid);
  const rss = (): number => workerPids.reduce((a, pid) => a + (procMemory(pid)?.rss ?? 0), 0);

  // Warm-up: the consumer joins its group and the JIT warms; not counted.
  {
    const messages = Array.from({ length: 20 }, (_, k) => {
      const a = authors[Math.floor(rand() * authors.length)] as number;
      return { key: g.id(a), value: JSON.stringify({ actor: g.id(a), type: 'post', object: `${e.runTag}:warm${k}` }), timestamp: String(Date.now()) };
    });
    await e.kafka.producer.send({ topic: e.topics.activities, acks: -1, messages });
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      const [a, f] = await Promise.all([e.kafka.lag(e.topics.activities), e.kafka.lag(e.topics.fanout)]);
      if (a === 0 && f === 0) break;
      await sleep(250);
    }
  }
  const timeline: TickSample[] = [];
  const steps: StepResult[] = [];
  const phaseStart = Date.now();
  const delivered0 = await delivered();
  let expected = 0;
  let seq = 0;
  let peakRss = 0;
  let lastTick = { delivered: delivered0, cpu: meter.snap() };
  let currentRate = 0;
  let label = '';
  let budget = 0;

  const tick = async (): Promise<TickSample> => {
    const [m, lagA, lagF] = await Promise.all([scrape(), e.kafka.lag(e.topics.activities), e.kafka.lag(e.topics.fanout)]);
    const c = meter.snap();
    const dt = (c.at - lastTick.cpu.at) / 1000;
    const share = meter.share(lastTick.cpu, c);
    const r = rss();
    peakRss = Math.max(peakRss, r);
    budget = m.budget;
    const s: TickSample = {
      t: round((c.at - phaseStart) / 1000, 1),
      offeredActivitiesPerSec: currentRate,
      deliveredPerSec: round((m.delivered - lastTick.delivered) / dt, 0),
      lagActivities: lagA,
      lagFanout: lagF,
      workerRssMiB: mib(r),
      ...cpuPcts(share),
      fanoutInFlightPeak: m.inFlightPeak,
      driverInFlight: m.driverInFlight,
    };
    lastTick = { delivered: m.delivered, cpu: c };
    timeline.push(s);
    e.onTick(s, label);
    return s;
  };

  const pickAuthor = (): number => {
    if (g.celebrities.length > 0 && rand() < 0.01) return g.celebrities[Math.floor(rand() * g.celebrities.length)] as number;
    if (probes.length > 0 && rand() < 0.3) {
      const p = probes[Math.floor(rand() * probes.length)];
      if (p && p.followees.length > 0) return p.followees[Math.floor(rand() * p.followees.length)] as number;
    }
    return authors[Math.floor(rand() * authors.length)] as number;
  };

  try {
    for (let step = 0; step < e.maxSteps; step++) {
      const rate = e.startRate * 2 ** step;
      currentRate = rate;
      label = `step ${step + 1}: ${rate} activities/s`;
      const stepStart = Date.now();
      const d0 = await delivered();
      const c0 = meter.snap();
      const ticks0 = timeline.length;
      let published = 0;
      let offeredDeliveries = 0;
      let nextTick = stepStart + 1000;
      while (Date.now() - stepStart < e.stepSeconds * 1000) {
        const due = Math.floor((rate * (Date.now() - stepStart)) / 1000) - published;
        if (due > 0) {
          const now = Date.now();
          const messages = [];
          for (let k = 0; k < due; k++) {
            const a = pickAuthor();
            const object = `${e.runTag}:o${seq}`;
            messages.push({ key: g.id(a), value: JSON.stringify({ actor: g.id(a), type: 'post', object, foreignId: `${e.runTag}-${seq}` }), timestamp: String(now) });
            seq++;
            offeredDeliveries += g.deliveriesOf[a] as number;
            for (const pi of probesOf.get(a) ?? []) probes[pi]?.pending.set(object, { publishMs: now, step });
          }
          await e.kafka.producer.send({ topic: e.topics.activities, acks: -1, messages });
          published += due;
        }
        if (Date.now() >= nextTick) {
          nextTick += 1000;
          await tick();
        }
        await sleep(20);
      }
      expected += offeredDeliveries;
      const secs = (Date.now() - stepStart) / 1000;
      const d1 = await delivered();
      const s = await tick();
      const offeredPerSec = offeredDeliveries / secs;
      const achieved = (d1 - d0) / secs;
      const keptUp = achieved >= 0.85 * offeredPerSec && s.lagActivities <= Math.max(20, 3 * rate);
      const c1 = meter.snap();
      const share = meter.share(c0, c1);
      const stepTicks = timeline.slice(ticks0);
      steps.push({
        offeredActivitiesPerSec: rate,
        published,
        offeredDeliveriesPerSec: round(offeredPerSec, 0),
        deliveredPerSec: round(achieved, 0),
        keptUp,
        lagAtEnd: { activities: s.lagActivities, fanout: s.lagFanout },
        ...cpuPcts(share),
        workerCpuUsPerDelivery: d1 > d0 ? round(((c1.workers - c0.workers) / (d1 - d0)) * 1e6, 0) : null,
        fanoutInFlightPeak: Math.max(0, ...stepTicks.map((t) => t.fanoutInFlightPeak)),
        statementBudget: budget,
        driverInFlightMean: round(stepTicks.reduce((a, t) => a + t.driverInFlight, 0) / Math.max(1, stepTicks.length), 0),
        latencyMs: { ...summarize([]), missing: 0 },
      });
      e.log(`  ${label}: offered ${Math.round(offeredPerSec)} deliveries/s, delivered ${Math.round(achieved)}/s, lag ${s.lagActivities}+${s.lagFanout}${keptUp ? '' : '  ← saturated'}`);
      e.log(`    ${boundsLine(steps[steps.length - 1] as StepResult)}`);
      if (!keptUp) break;
    }

    // Drain: stop publishing, wait for every delivery (lag 0 and the counter at the expected total).
    currentRate = 0;
    label = 'drain';
    const drainStart = Date.now();
    const dStart = await delivered();
    drainDeadline = drainStart + e.drainSeconds * 1000;
    let complete = false;
    while (Date.now() < drainDeadline) {
      const s = await tick();
      const total = (await delivered()) - delivered0;
      if (s.lagActivities === 0 && s.lagFanout === 0 && total >= expected) {
        complete = true;
        break;
      }
      await sleep(1000);
    }
    const drainSecs = (Date.now() - drainStart) / 1000;
    const dEnd = await delivered();
    running = false;
    // Let probes look once more for anything delivered in the last second.
    await sleep(1500);
    drainDeadline = 0;
    await Promise.all(pollers);

    steps.forEach((s, i) => {
      const missing = probes.reduce((a, p) => a + [...p.pending.values()].filter((x) => x.step === i).length, 0);
      s.latencyMs = { ...summarize(samples[i] ?? []), missing };
    });
    e.log(`\n  What bounded each step (CPU: 100 % = one core; the machine has ${os.cpus().length}):\n${boundsTable(steps).replace(/^/gm, '  ')}`);
    const kept = steps.filter((s) => s.keptUp);
    const m = await (e.workers[0] as Service).metrics();
    const ratio = (name: string, labels: Record<string, string> = {}, scale = 1): number => {
      const c = metricSum(m, `${name}_count`, labels);
      return c > 0 ? round((metricSum(m, `${name}_sum`, labels) / c) * scale, 1) : NaN;
    };
    const workerTimings = {
      fanouts: metricSum(m, 'tideline_fanout_duration_seconds_count', { op: 'deliver' }),
      meanFanoutMs: ratio('tideline_fanout_duration_seconds', { op: 'deliver' }, 1000),
      chunks: metricSum(m, 'tideline_fanout_chunk_duration_seconds_count'),
      meanChunkMs: ratio('tideline_fanout_chunk_duration_seconds', {}, 1000),
      meanChunkSize: ratio('tideline_fanout_chunk_size'),
      recordsConsumed: metricSum(m, 'tideline_records_consumed_total'),
    };
    const keptSamples = steps.flatMap((s, i) => (s.keptUp ? (samples[i] ?? []) : []));
    return {
      steps,
      timeline,
      capacityDeliveriesPerSec: Math.max(0, ...steps.map((s) => s.deliveredPerSec)),
      keptUpAtDeliveriesPerSec: kept.length > 0 ? Math.max(...kept.map((s) => s.offeredDeliveriesPerSec)) : null,
      latencyKeptUpMs: summarize(keptSamples),
      drain: { seconds: round(drainSecs, 1), complete, deliveriesPerSec: round((dEnd - dStart) / Math.max(0.001, drainSecs), 0) },
      expectedDeliveries: expected,
      deliveredTotal: dEnd - delivered0,
      probeReaders: probes.length,
      probePolls: polls,
      workerPeakRssMiB: mib(peakRss),
      workerTimings,
    };
  } finally {
    running = false;
    drainDeadline = 0;
    await Promise.all(pollers);
  }
}

const cpuPcts = (c: CpuShare): CpuPcts => ({
  workerCpuPct: c.workers,
  apiCpuPct: c.api,
  benchCpuPct: c.bench,
  cassandraCpuPct: c.cassandra,
  kafkaCpuPct: c.kafka,
  machineCpuPct: c.machine,
});

const pct = (v: number | null): string => (v === null ? '-' : `${v} %`);

/** What bounded a step: who used the CPU (100 % = one core) and how many statements were in flight. */
export function boundsLine(s: StepResult): string {
  return (
    `CPU: worker ${pct(s.workerCpuPct)} (${fmtNum(s.workerCpuUsPerDelivery)} µs per delivery), Cassandra ${pct(s.cassandraCpuPct)}, Kafka ${pct(s.kafkaCpuPct)}, ` +
    `API ${pct(s.apiCpuPct)}, bench ${pct(s.benchCpuPct)}, machine ${pct(s.machineCpuPct)}; fanout statements in flight ≤ ${fmtNum(s.fanoutInFlightPeak)} of ${fmtNum(s.statementBudget)}, driver mean ${fmtNum(s.driverInFlightMean)}`
  );
}

/** The steps' CPU and concurrency figures as a table (the worker's bounds, next to its throughput). */
export function boundsTable(steps: readonly StepResult[]): string {
  return table(
    ['offered act/s', 'delivered/s', 'worker CPU', 'µs/delivery', 'Cassandra CPU', 'Kafka CPU', 'API CPU', 'bench CPU', 'machine CPU', 'fanout in flight (peak/budget)', 'driver in flight'],
    steps.map((s) => [
      s.offeredActivitiesPerSec,
      fmtNum(s.deliveredPerSec),
      pct(s.workerCpuPct),
      fmtNum(s.workerCpuUsPerDelivery),
      pct(s.cassandraCpuPct),
      pct(s.kafkaCpuPct),
      pct(s.apiCpuPct),
      pct(s.benchCpuPct),
      pct(s.machineCpuPct),
      `${fmtNum(s.fanoutInFlightPeak)}/${fmtNum(s.statementBudget)}`,
      fmtNum(s.driverInFlightMean),
    ]),
  );
}
