/**
 * Home reads by kind of reader against an already loaded benchmark graph, with whichever apps
 * BENCH_APPS_DIR points at (default: this checkout's build). It measures one version against the graph
 * that version's own loader wrote, with the same readers and load as `npm run bench`'s read phase:
 *
 *   node scripts/with-infra.mjs npx ts-node -r tsconfig-paths/register --transpile-only bench/read-kinds.ts <graph fingerprint>
 *
 * (the fingerprint is printed by `npm run bench` as "Graph <fingerprint>: ..."; the graph must be loaded.)
 */
import 'reflect-metadata';
import { buildGraph } from './lib/graph';
import { parseOptions } from './lib/options';
import { startService } from './lib/procs';
import { prepareReaders, runRead, targetsOf } from './lib/read';
import { fmtNum } from './lib/util';

const SECRET = 'bench-secret-0123456789abcdef';

async function main(): Promise<void> {
  const [fingerprint, ...rest] = process.argv.slice(2);
  if (!fingerprint) throw new Error('usage: bench/read-kinds.ts <graph fingerprint> [bench options]');
  const opts = parseOptions(rest);
  const g = buildGraph(opts, fingerprint);
  const env = { CASSANDRA_KEYSPACE: 'tideline_bench', MIGRATE_ON_START: 'false', AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000', FANOUT_HIGH_FOLLOWER_THRESHOLD: String(opts.threshold), KAFKA_TOPIC_LIVE: `tideline.live.kinds${Date.now().toString(36)}` };
  const api = await startService('api', 'api', env, 3990);
  try {
    const prep = await prepareReaders(g, api, SECRET, opts.readers, opts.seed, 25);
    const seconds = Math.max(4, Math.round(opts.readSeconds / 3));
    const mix = await runRead(api, prep.targets, prep.mix, opts.readConnections, opts.readSeconds, opts.seed);
    process.stdout.write(`mix: ${fmtNum(mix.requestsPerSec)} req/s, p50 ${mix.latencyMs.p50} ms, p99 ${mix.latencyMs.p99} ms\n`);
    for (const kind of ['firstPage', 'followsCelebrity', 'deepPage'] as const) {
      const r = await runRead(api, targetsOf(prep.targets, kind), prep.mix, opts.readConnections, seconds, opts.seed);
      process.stdout.write(`${kind}: ${fmtNum(r.requestsPerSec)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms (${r.non2xx} non-2xx)\n`);
    }
  } finally {
    await api.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
