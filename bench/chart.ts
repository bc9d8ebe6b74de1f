/**
 * Redraws the chart of a results file: `npx ts-node -r tsconfig-paths/register --transpile-only bench/chart.ts
 * bench/results/latest.json [out.svg]` (default: the same name with .svg).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { StepResult } from './lib/fanout';
import { chartSvg } from './lib/report';

interface Saved {
  mode: string;
  startedAt: string;
  options: { users: number };
  machine: { cpus: number; memoryGiB: number; cassandra: string };
  fanout?: { steps: StepResult[] };
  writeCeiling?: { best: { perSec: number } };
}

const [src, dst] = process.argv.slice(2);
if (!src) {
  process.stderr.write('usage: bench/chart.ts <results.json> [out.svg]\n');
  process.exit(2);
}
const r = JSON.parse(readFileSync(src, 'utf8')) as Saved;
if (!r.fanout) {
  process.stderr.write(`${src} has no fanout phase\n`);
  process.exit(1);
}
const m = r.machine;
const subtitle = `${r.mode} run ${r.startedAt.slice(0, 16)}Z, ${m.cpus} cores, ${m.memoryGiB} GiB, Cassandra ${m.cassandra}, ${r.options.users.toLocaleString('en-US')} users`;
writeFileSync(dst ?? src.replace(/\.json$/, '.svg'), chartSvg(r.fanout.steps, r.writeCeiling?.best.perSec ?? null, subtitle));
