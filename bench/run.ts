/**
 * `npm run bench [-- --quick]`: fanout and feed-read speed of Tideline, each against this machine's own
 * ceiling (the same Cassandra work done straight through cassandra-driver). See docs/benchmarks.md.
 */
import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { loadAppConfig } from '@app/config';
import { migrate } from '@app/storage-cassandra';
import { BENCH_KEYSPACE, benchClient } from './lib/cassandra';
import { Ceiling, readCeiling, writeCeiling } from './lib/ceiling';
import { FanoutResult, runFanout } from './lib/fanout';
import { buildGraph, Graph, graphFingerprint, graphStats, isLoaded, loadGraph, loadScaleGraph, LoadProgress, markLoaded } from './lib/graph';
import { BenchKafka, connectKafka } from './lib/kafka';
import { BenchOptions, parseOptions, ROOT } from './lib/options';
import { ensureBuilt, Service, startService } from './lib/procs';
import { ProfileSummary, summarizeProfile } from './lib/profile';
import { prepareReaders, ReadKind, ReadResult, runRead, targetsOf } from './lib/read';
import { chartSvg, fmtNum, fmtPct, table } from './lib/report';
import { ScalePoint, scalePoint } from './lib/scale';
import { jwt, round } from './lib/util';

const SECRET = 'bench-secret-0123456789abcdef';
const READ_LIMIT = 25;
const tty = process.stdout.isTTY === true;
const log = (m: string): void => void process.stdout.write(`${m}\n`);

function bar(format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar({ format, hideCursor: true, clearOnComplete: true, stopOnComplete: false, noTTYOutput: false }, cliProgress.Presets.shades_classic);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function loadProgress(): LoadProgress & { stop(): void } {
  let b: cliProgress.SingleBar | null = null;
  let name = '';
  let started = 0;
  return {
    start(step, total) {
      b?.stop();
      if (name) log(`  loaded ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      name = step;
      started = Date.now();
      b = bar(`  ${step.padEnd(22)} |{bar}| {percentage}% {value}/{total} rows`);
      b.start(Math.max(1, total), 0);
    },
    update(done) {
      b?.update(done);
    },
    stop() {
      b?.stop();
      if (name) log(`  loaded ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      name = '';
    },
  };
}

interface Results {
  version: 1;
  mode: BenchOptions['mode'];
  startedAt: string;
  durationSeconds: number;
  options: Record<string, unknown>;
  machine: Record<string, unknown>;
  graph: Record<string, unknown>;
  writeCeiling?: Ceiling;
  fanout?: FanoutResult;
  read?: ReadResult;
  /** Each kind of reader on its own (same connections), and the whole mix at half of `read`'s rate. */
  readByKind?: Partial<Record<ReadKind, ReadResult>>;
  readAtHalfRate?: ReadResult;
  readCeiling?: Ceiling;
  scale?: { threshold: string; points: ScalePoint[]; load: { seconds: number; statements: number; reused: boolean } };
  ratios: { fanoutToCeiling: number | null; readToCeiling: number | null; readByKindToCeiling?: Partial<Record<ReadKind, number>> };
  profile?: ProfileSummary | null;
  apiProfile?: ProfileSummary | null;
  notes: string[];
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const t0 = Date.now();
  const runTag = `r${t0.toString(36)}`;
  const sfx = `bench-${runTag}`;
  const env: Record<string, string> = {
    CASSANDRA_KEYSPACE: BENCH_KEYSPACE,
    MIGRATE_ON_START: 'false',
    KAFKA_TOPIC_ACTIVITIES: `activities.${sfx}`,
    KAFKA_TOPIC_FOLLOWS: `follows.${sfx}`,
    KAFKA_TOPIC_DLQ: `activities.dlq.${sfx}`,
    KAFKA_TOPIC_FANOUT: `tideline.fanout.${sfx}`,
    KAFKA_TOPIC_LIVE: `tideline.live.${sfx}`,
    KAFKA_GROUP_ID: `tideline-fanout.${sfx}`,
    AUTH_JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000',
    FANOUT_HIGH_FOLLOWER_THRESHOLD: String(opts.threshold),
  };
  const cfg = loadAppConfig(env);
  const topics = { activities: cfg.kafka.topics.activities, fanout: cfg.kafka.topics.fanout };
  const notes: string[] = [];
  mkdirSync(opts.outDir, { recursive: true });

  log(`Tideline benchmark (${opts.mode}), run ${runTag}: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  ensureBuilt(log);
  log(`Migrating keyspace ${BENCH_KEYSPACE}…`);
  await migrate(cfg);

  const client = benchClient(cfg.cassandra.contactPoints, cfg.cassandra.localDc);
  await client.connect();
  const cassandraVersion = (await client.execute('SELECT release_version FROM system.local', [], { prepare: false })).first()?.get('release_version') as string;
  const kafka: BenchKafka = await connectKafka(cfg.kafka.brokers, cfg.kafka.groupId);
  const cluster = await kafka.admin.describeCluster();

  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
    cassandra: cassandraVersion,
    kafkaBrokers: cluster.brokers.length,
    packages: Object.fromEntries(['cassandra-driver', 'kafkajs', '@nestjs/core', 'fastify', 'autocannon'].map((p) => [p, pkgVersion(p)])),
    note: 'shared machine: other processes (tests, other engineers) may compete for CPU; compare ratios, not absolute figures',
  };

  const results: Results = {
    version: 1,
    mode: opts.mode,
    startedAt: new Date(t0).toISOString(),
    durationSeconds: 0,
    options: { ...opts, skip: [...opts.skip] },
    machine,
    graph: {},
    ratios: { fanoutToCeiling: null, readToCeiling: null },
    notes,
  };

  const services: Service[] = [];
  let api: Service | null = null;
  const stopAll = async (): Promise<void> => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
  };
  // Ctrl-C or a SIGTERM from with-infra: stop the child apps before leaving, never orphan them.
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`\n${signal}: stopping the apps…`);
    const code = signal === 'SIGINT' ? 130 : 143;
    setTimeout(() => process.exit(code), 20_000).unref();
    void stopAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // 1. The graph.
    const fingerprint = graphFingerprint(opts, opts.fresh ? runTag : '');
    const g: Graph = buildGraph(opts, fingerprint);
    const stats = graphStats(g);
    log(
      `Graph ${fingerprint}: ${fmtNum(stats.users)} users, ${fmtNum(stats.edges)} follows (mean ${stats.meanFollowers}, median ${stats.medianFollowers}, ` +
        `max ordinary ${fmtNum(stats.maxFollowersOrdinary)}; celebrities ${stats.celebrityFollowers.map((c) => fmtNum(c)).join(', ')}), ` +
        `power law alpha=${opts.alpha}, ${fmtPct(stats.activeShare)} active readers`,
    );
    const loadStart = Date.now();
    const reused = await isLoaded(client, fingerprint);
    let loadInfo = { statements: 0, errors: 0 };
    if (reused) log('  already loaded today with the same parameters: reusing it (--fresh reloads)');
    else {
      const p = loadProgress();
      loadInfo = await loadGraph(client, g, opts.history, p);
      p.stop();
      if (loadInfo.errors > 0) notes.push(`graph load: ${loadInfo.errors} statements failed after one retry`);
      await markLoaded(client, fingerprint, stats);
    }
    const loadSeconds = round((Date.now() - loadStart) / 1000, 1);
    log(`  graph ready in ${loadSeconds} s (${fmtNum(loadInfo.statements)} statements${reused ? ', reused' : ''}; not counted in any figure)`);
    results.graph = { fingerprint, prefix: g.prefix, alpha: opts.alpha, alphaSource: 'Kwak et al., WWW 2010', threshold: opts.threshold, stats, load: { seconds: loadSeconds, ...loadInfo, reused } };

    // 2. Write ceiling (nothing else running).
    if (!opts.skip.has('ceiling')) {
      log(`\nWrite ceiling: home_timeline inserts straight through cassandra-driver, ${opts.ceilingSeconds} s per concurrency level`);
      results.writeCeiling = await writeCeiling(client, g.prefix, g.n, opts.ceilingConcurrency, opts.ceilingSeconds, (l) =>
        log(`  ${(l.mode ?? '').padEnd(7)} rows in flight ${String(l.concurrency).padStart(4)}: ${fmtNum(l.perSec)} rows/s (p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms per call)`),
      );
      log(`  best: ${fmtNum(results.writeCeiling.best.perSec)} rows/s, ${results.writeCeiling.best.mode}, ${results.writeCeiling.best.concurrency} rows in flight`);
    }

    // 3. The apps.
    const apiPort = await freePort();
    const profDir = path.join(opts.outDir, `prof-${runTag}`);
    const apiProfDir = `${profDir}-api`;
    // Profiled, the API writes its CPU profile when stopped after the read phase (then a plain one takes over).
    api = await startService('api', 'api', env, apiPort, opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${apiProfDir}`] : []);
    services.push(api);
    const startWorkers = async (extra: Record<string, string>, profile: boolean): Promise<Service[]> => {
      const ws: Service[] = [];
      for (let i = 0; i < opts.workers; i++) {
        const args = [
          ...(opts.workerHeapMb > 0 ? [`--max-old-space-size=${opts.workerHeapMb}`] : []),
          ...(profile && i === 0 ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
        ];
        const w = await startService('worker', `worker-${i}`, { ...env, ...extra }, await freePort(), args);
        ws.push(w);
        services.push(w);
      }
      return ws;
    };

    // 4. Fanout throughput and latency.
    if (!opts.skip.has('fanout')) {
      const workers = await startWorkers({}, opts.profile);
      log(`\nFanout: ${opts.workers} worker(s), rate doubles every ${opts.stepSeconds} s from ${opts.startRate} activities/s until the worker falls behind`);
      let b: cliProgress.SingleBar | null = null;
      let current = '';
      results.fanout = await runFanout({
        g,
        kafka,
        topics,
        workers,
        api,
        secret: SECRET,
        runTag,
        startRate: opts.startRate,
        maxSteps: opts.maxSteps,
        stepSeconds: opts.stepSeconds,
        drainSeconds: opts.drainSeconds,
        probes: opts.probes,
        seed: opts.seed,
        onTick: (s, label) => {
          if (!tty) return;
          if (label !== current) {
            b?.stop();
            current = label;
            b = bar(`  ${label.padEnd(28)} |{bar}| {value}s  delivered {rate}/s  lag {lag}  worker CPU {cpu}%  RSS {rss} MiB`);
            b.start(label === 'drain' ? opts.drainSeconds : opts.stepSeconds, 0, { rate: 0, lag: 0, cpu: 0, rss: 0 });
          }
          b?.increment(1, { rate: s.deliveredPerSec, lag: `${s.lagActivities}+${s.lagFanout}`, cpu: s.workerCpuPct, rss: s.workerRssMiB });
        },
        log: (m) => {
          b?.stop();
          b = null;
          current = '';
          log(m);
        },
      });
      (b as cliProgress.SingleBar | null)?.stop();
      const f = results.fanout;
      log(`  drained in ${f.drain.seconds} s (${f.drain.complete ? 'complete' : 'NOT complete'}): ${fmtNum(f.deliveredTotal)} of ${fmtNum(f.expectedDeliveries)} expected deliveries`);
      const wt = f.workerTimings;
      log(`  worker: ${wt.fanouts} fanouts, mean ${wt.meanFanoutMs} ms each; ${wt.chunks} chunks of ${wt.meanChunkSize} followers on average, mean ${wt.meanChunkMs} ms each`);
      if (!f.drain.complete) notes.push(`fanout drain did not finish within ${opts.drainSeconds} s (${f.deliveredTotal}/${f.expectedDeliveries} deliveries)`);
      for (const w of workers) {
        await w.stop();
        services.splice(services.indexOf(w), 1);
      }
      if (opts.profile) {
        results.profile = summarizeProfile(profDir);
        if (results.profile) {
          log(`\nCPU profile of the worker (${results.profile.file}, ${fmtPct(results.profile.idleShare)} idle); self time of the busy part:`);
          log(table(['area', 'self ms', 'share'], results.profile.byArea.slice(0, 8).map((a) => [a.area, fmtNum(a.selfMs), fmtPct(a.share)])));
          log('');
          log(table(['function', 'where', 'self ms', 'share'], results.profile.topFunctions.slice(0, 12).map((t) => [t.fn, t.where.slice(-60), fmtNum(t.selfMs), fmtPct(t.share)])));
        }
      }
    }

    // 5. Reads through the API and the single-partition ceiling.
    if (!opts.skip.has('read')) {
      log(`\nReads: GET /v1/feeds/home/:userId (limit ${READ_LIMIT}), ${opts.readConnections} connections for ${opts.readSeconds} s`);
      const prep = await prepareReaders(g, api, SECRET, opts.readers, opts.seed, READ_LIMIT);
      log(`  ${prep.targets.length} readers: ${prep.mix.firstPage} first page, ${prep.mix.followsCelebrity} following a celebrity, ${prep.mix.deepPage} deep-paging (page 3-5); each read once to warm up`);
      const rb = bar('  autocannon                   |{bar}| {value}s');
      rb.start(opts.readSeconds, 0);
      const timer = setInterval(() => rb.increment(1), 1000);
      try {
        results.read = await runRead(api, prep.targets, prep.mix, opts.readConnections, opts.readSeconds, opts.seed);
      } finally {
        clearInterval(timer);
        rb.stop();
      }
      const r = results.read;
      log(`  API: ${fmtNum(r.requestsPerSec)} req/s, latency p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, API CPU ${r.apiCpuPct} % of a core (${r.non2xx} non-2xx, ${r.errors} errors)`);
      if (r.non2xx > 0 || r.errors > 0) notes.push(`read test: ${r.non2xx} non-2xx responses and ${r.errors} errors`);
      const partSeconds = Math.max(4, Math.round(opts.readSeconds / 3));
      results.readByKind = {};
      for (const kind of ['firstPage', 'followsCelebrity', 'deepPage'] as const) {
        const t = targetsOf(prep.targets, kind);
        if (t.length === 0) continue;
        const k = await runRead(api, t, prep.mix, opts.readConnections, partSeconds, opts.seed);
        results.readByKind[kind] = k;
        log(`  ${kind.padEnd(16)} alone: ${fmtNum(k.requestsPerSec)} req/s, p50 ${k.latencyMs.p50} ms, p99 ${k.latencyMs.p99} ms (${t.length} readers, ${k.non2xx} non-2xx)`);
      }
      const half = r.requestsPerSec / 2;
      const h = await runRead(api, prep.targets, prep.mix, opts.readConnections, partSeconds, opts.seed, half);
      results.readAtHalfRate = h;
      log(`  mix at half that rate (${fmtNum(half)} req/s offered): ${fmtNum(h.requestsPerSec)} req/s, p50 ${h.latencyMs.p50} ms, p90 ${h.latencyMs.p90} ms, p99 ${h.latencyMs.p99} ms`);
      const levels = [8, 32, 128, 512];
      results.readCeiling = await readCeiling(client, prep.userIds, levels, Math.max(2, Math.round(opts.readSeconds / 3)), READ_LIMIT, (l) =>
        log(`  ceiling, concurrency ${String(l.concurrency).padStart(4)}: ${fmtNum(l.perSec)} reads/s (p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms)`),
      );
    }

    if (opts.profile && !opts.skip.has('read')) {
      await api.stop();
      services.splice(services.indexOf(api), 1);
      results.apiProfile = summarizeProfile(apiProfDir);
      if (results.apiProfile) {
        log(`\nCPU profile of the API over the read phase (${results.apiProfile.file}, ${fmtPct(results.apiProfile.idleShare)} idle); self time of the busy part:`);
        log(table(['area', 'self ms', 'share'], results.apiProfile.byArea.slice(0, 8).map((a) => [a.area, fmtNum(a.selfMs), fmtPct(a.share)])));
        log('');
        log(table(['function', 'where', 'self ms', 'share'], results.apiProfile.topFunctions.slice(0, 12).map((t) => [t.fn, t.where.slice(-60), fmtNum(t.selfMs), fmtPct(t.share)])));
      }
      api = await startService('api', 'api', env, apiPort);
      services.push(api);
    }

    // 6. Scale and memory: one activity to N followers, hybrid threshold lifted, fresh worker each time.
    if (!opts.skip.has('scale') && opts.scale.length > 0) {
      const counts = [...opts.scale].sort((a, b) => a - b);
      log(`\nScale: one activity to ${counts.map((c) => fmtNum(c)).join(', ')} active followers (FANOUT_HIGH_FOLLOWER_THRESHOLD lifted)`);
      const fp = `scale-${counts.join('_')}-${new Date().toISOString().slice(0, 10)}`;
      const ls = Date.now();
      const scaleReused = await isLoaded(client, fp);
      let st = { statements: 0, errors: 0 };
      if (!scaleReused) {
        const p = loadProgress();
        st = await loadScaleGraph(client, counts, p);
        p.stop();
        await markLoaded(client, fp, { counts });
      } else log('  follower sets already loaded today: reusing them');
      const scaleLoad = { seconds: round((Date.now() - ls) / 1000, 1), statements: st.statements, reused: scaleReused };
      // One post from an author without followers first: the API's producer fetches topic metadata on
      // its first send, which is not what a user waits for in the steady state.
      await fetch(`${api.base}/v1/activities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt(SECRET, 's-warmup')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ actor: 's-warmup', type: 'post', object: `${runTag}:warmup` }),
      }).then((r) => r.text());
      const points: ScalePoint[] = [];
      for (const n of counts) {
        const sb = bar(`  ${fmtNum(n).padStart(9)} followers       |{bar}| {value}/{total} delivered`);
        if (tty) sb.start(n, 0);
        const point = await scalePoint(
          n,
          async () => (await startWorkers({ FANOUT_HIGH_FOLLOWER_THRESHOLD: '1000000000' }, false))[0] as Service,
          api,
          SECRET,
          kafka,
          topics,
          runTag,
          opts.scaleTimeoutSeconds,
          (d) => tty && sb.update(Math.min(n, d)),
        );
        sb.stop();
        for (const s of services.filter((x) => x.name.startsWith('worker') && x.proc.exitCode !== null)) services.splice(services.indexOf(s), 1);
        points.push(point);
        log(
          `  ${fmtNum(n).padStart(9)} followers: accepted in ${point.acceptMs} ms, handed off in ${fmtNum(point.handoffMs)} ms, all delivered in ${fmtNum(point.completeMs)} ms ` +
            `(${fmtNum(point.deliveriesPerSec)}/s), worker RSS ${point.baselineRssMiB} → peak ${point.peakRssMiB} MiB`,
        );
        if (point.completeMs === null) notes.push(`scale ${n}: only ${point.delivered} of ${n} delivered within ${opts.scaleTimeoutSeconds} s`);
      }
      results.scale = { threshold: 'lifted (1e9)', points, load: scaleLoad };
    }
  } finally {
    await stopAll();
    try {
      await kafka.admin.deleteTopics({ topics: Object.values(cfg.kafka.topics), timeout: 10_000 });
    } catch {
      /* best effort: the topics are unique to this run */
    }
    await kafka.close();
    await client.shutdown();
  }

  // 7. Output.
  const f = results.fanout;
  const wc = results.writeCeiling?.best.perSec ?? null;
  const rc = results.readCeiling?.best.perSec ?? null;
  results.ratios = {
    fanoutToCeiling: f && wc ? round(f.capacityDeliveriesPerSec / wc, 3) : null,
    readToCeiling: results.read && rc ? round(results.read.requestsPerSec / rc, 3) : null,
    ...(results.readByKind && rc
      ? { readByKindToCeiling: Object.fromEntries(Object.entries(results.readByKind).map(([k, v]) => [k, round(v.requestsPerSec / rc, 3)])) }
      : {}),
  };
  results.durationSeconds = round((Date.now() - t0) / 1000, 0);
  (results.machine as { loadAverageAtEnd?: number[] }).loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));

  log('\n=== Results ===\n');
  log(
    table(
      ['measure', 'Tideline', 'ceiling', 'ratio'],
      [
        ['fanout deliveries/s (home rows written)', fmtNum(f?.capacityDeliveriesPerSec), fmtNum(wc), fmtPct(results.ratios.fanoutToCeiling)],
        ['home feed reads/s', fmtNum(results.read?.requestsPerSec), fmtNum(rc), fmtPct(results.ratios.readToCeiling)],
        ...Object.entries(results.readByKind ?? {}).map(([k, v]) => [`  ${k} readers alone`, fmtNum(v.requestsPerSec), fmtNum(rc), fmtPct(results.ratios.readByKindToCeiling?.[k as ReadKind] ?? null)]),
      ],
    ),
  );
  if (f) {
    log(`\nWorker kept up to ${fmtNum(f.keptUpAtDeliveriesPerSec)} offered deliveries/s; publish-to-visible over those steps: p50 ${fmtNum(f.latencyKeptUpMs.p50)} ms, p95 ${fmtNum(f.latencyKeptUpMs.p95)} ms, p99 ${fmtNum(f.latencyKeptUpMs.p99)} ms (${f.latencyKeptUpMs.n} samples)`);
    log(
      '\n' +
        table(
          ['offered act/s', 'offered deliv/s', 'delivered/s', 'kept up', 'lag at end', 'worker CPU', 'p50 ms', 'p95 ms', 'p99 ms', 'samples'],
          f.steps.map((s) => [
            s.offeredActivitiesPerSec,
            fmtNum(s.offeredDeliveriesPerSec),
            fmtNum(s.deliveredPerSec),
            s.keptUp ? 'yes' : 'no',
            `${s.lagAtEnd.activities}+${s.lagAtEnd.fanout}`,
            `${s.workerCpuPct} %`,
            fmtNum(s.latencyMs.p50),
            fmtNum(s.latencyMs.p95),
            fmtNum(s.latencyMs.p99),
            `${s.latencyMs.n}${s.latencyMs.missing ? ` (+${s.latencyMs.missing} unseen)` : ''}`,
          ]),
        ),
    );
  }
  if (results.read) {
    const r = results.read;
    log(`\nHome reads: ${fmtNum(r.requestsPerSec)} req/s, p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms; ceiling ${fmtNum(rc)} reads/s (p50 ${results.readCeiling?.best.latencyMs.p50} ms) at concurrency ${results.readCeiling?.best.concurrency}`);
    const h = results.readAtHalfRate;
    if (h) log(`Home reads at half that rate: p50 ${h.latencyMs.p50} ms, p90 ${h.latencyMs.p90} ms, p99 ${h.latencyMs.p99} ms (${fmtNum(h.requestsPerSec)} req/s)`);
  }
  if (results.scale) {
    log(
      '\n' +
        table(
          ['followers', 'accept ms', 'handoff ms', 'complete ms', 'deliveries/s', 'RSS before MiB', 'peak RSS MiB', 'VmHWM MiB'],
          results.scale.points.map((p) => [fmtNum(p.followers), p.acceptMs, fmtNum(p.handoffMs), fmtNum(p.completeMs), fmtNum(p.deliveriesPerSec), p.baselineRssMiB, p.peakRssMiB, p.hwmRssMiB]),
        ),
    );
  }
  for (const n of notes) log(`note: ${n}`);

  const stamp = new Date(t0).toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const jsonPath = path.join(opts.outDir, `${stamp}-${opts.mode}.json`);
  const svgPath = path.join(opts.outDir, `${stamp}-${opts.mode}.svg`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  const subtitle = `${opts.mode} run ${results.startedAt.slice(0, 16)}Z, ${machine.cpus} cores, ${machine.memoryGiB} GiB, Cassandra ${cassandraVersion}, ${fmtNum(opts.users)} users`;
  if (f) writeFileSync(svgPath, chartSvg(f.steps, wc, subtitle));
  if (opts.mode === 'full') {
    writeFileSync(path.join(opts.outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (f) writeFileSync(path.join(opts.outDir, 'latest.svg'), chartSvg(f.steps, wc, subtitle));
  }
  log(`\nWrote ${path.relative(ROOT, jsonPath)}${f ? ` and ${path.relative(ROOT, svgPath)}` : ''}${opts.mode === 'full' ? ' (and latest.json/latest.svg)' : ''} in ${results.durationSeconds} s`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof Error && e.message.includes('npm run bench --')) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
