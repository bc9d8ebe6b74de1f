import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { metricSum, waitFor } from '@app/testing';

const ROOT = path.resolve(__dirname, '../../..');

export interface WorkerProcess {
  readonly port: number;
  readonly proc: ChildProcess;
  /** Everything the worker wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  metrics(): Promise<string>;
  /** Sum of the samples of `name` whose labels contain every `labels` pair. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGTERM, then waits for the exit; resolves to the exit code (null = killed by a signal). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Spawns the real worker (`apps/fanout-worker/src/main.ts` under ts-node) with `env` on top of the
 * current environment and waits until GET /health/ready answers 200.
 */
export async function startWorker(env: Record<string, string>, port: number, readyTimeoutMs = 60_000): Promise<WorkerProcess> {
  const proc = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/ts-node/dist/bin.js'),
      '-r', 'tsconfig-paths/register',
      '--transpile-only',
      'apps/fanout-worker/src/main.ts',
    ],
    { cwd: ROOT, env: { ...process.env, ...env, WORKER_HTTP_PORT: String(port), KAFKAJS_NO_PARTITIONER_WARNING: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const base = `http://127.0.0.1:${port}`;
  const metrics = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
  const worker: WorkerProcess = {
    port,
    proc,
    output: () => out,
    metrics,
    metric: async (name, labels = {}) => metricSum(await metrics(), name, labels),
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
  try {
    await waitFor(
      `worker on port ${port} to be ready`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`worker exited with ${proc.exitCode}: ${out.slice(-2000)}`);
        const res = await fetch(`${base}/health/ready`);
        return res.status === 200;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 250 },
    );
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n--- worker output ---\n${out.slice(-3000)}`);
  }
  return worker;
}

/** A free-enough port per test file: distinct ranges keep parallel files apart. */
/**
 * Ten ports per test process, from its pid, all in 20000-32759: below the kernel's ephemeral range (32768 and up),
 * so no outgoing connection of any process can be holding one when a server wants to listen on it.
 */
export const portFor = (offset: number): number => 20_000 + (process.pid % 1_276) * 10 + offset;
