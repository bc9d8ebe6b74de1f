import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './options';
import { sleep } from './util';

/**
 * The apps under test: this checkout's build, or another checkout's (`BENCH_APPS_DIR=/path/to/clone`, built
 * there) to measure two versions with the same harness, graph and ceilings.
 */
const APPS_ROOT = process.env.BENCH_APPS_DIR ? path.resolve(process.env.BENCH_APPS_DIR) : ROOT;
const DIST = {
  api: path.join(APPS_ROOT, 'dist/apps/api/src/main.js'),
  worker: path.join(APPS_ROOT, 'dist/apps/fanout-worker/src/main.js'),
};

function newestMtime(dir: string): number {
  let newest = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'test') walk(p);
      } else if (e.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec|fault-spec)\.ts$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

/** Builds the apps (`npm run build`) when dist is missing or older than any source file. */
export function ensureBuilt(log: (m: string) => void): void {
  if (APPS_ROOT !== ROOT) return log(`apps under test: ${APPS_ROOT} (BENCH_APPS_DIR; built there)`);
  const built = Math.min(...Object.values(DIST).map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const sources = Math.max(newestMtime(path.join(ROOT, 'apps')), newestMtime(path.join(ROOT, 'libs')));
  if (built > 0 && built >= sources) return;
  log(built === 0 ? 'dist/ is missing: building the apps (npm run build)…' : 'dist/ is older than the sources: rebuilding (npm run build)…');
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`npm run build failed:\n${res.stdout}\n${res.stderr}`);
}

export interface Service {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly base: string;
  output(): string;
  metrics(): Promise<string>;
  stop(timeoutMs?: number): Promise<number | null>;
}

export { metricSum } from '../../libs/testing/src/prometheus';

/**
 * Starts a compiled app (`api` or `worker`) with `env` on top of the current environment and waits for
 * GET /health/ready = 200. `nodeArgs` go before the script (e.g. --cpu-prof).
 */
export async function startService(kind: 'api' | 'worker', name: string, env: Record<string, string>, port: number, nodeArgs: string[] = []): Promise<Service> {
  const portEnv = kind === 'api' ? { PORT: String(port) } : { WORKER_HTTP_PORT: String(port) };
  const proc = spawn(process.execPath, [...nodeArgs, DIST[kind]], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...portEnv, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const svc: Service = {
    name,
    proc,
    pid: proc.pid ?? -1,
    base,
    output: () => out,
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    stop: async (timeoutMs = 30_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited with ${proc.exitCode ?? proc.signalCode}:\n${out.slice(-3000)}`);
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) return svc;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} not ready within 90 s:\n${out.slice(-3000)}`);
    }
    await sleep(250);
  }
}

/** Main classes of the JVM servers the benchmark runs against (scripts/infra.mjs, docker images alike). */
const SERVER_CLASSES = { cassandra: 'org.apache.cassandra.service.CassandraDaemon', kafka: 'kafka.Kafka' } as const;

/**
 * The pid of the local Cassandra or Kafka server, found by its main class in /proc/<pid>/cmdline (the
 * servers may belong to another checkout's infra, so the pid files are not enough). Null when none runs
 * here (e.g. remote servers).
 */
export function serverPid(kind: keyof typeof SERVER_CLASSES): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(SERVER_CLASSES[kind])) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}
