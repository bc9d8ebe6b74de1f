import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { metricSum, waitFor } from '@app/testing';
import { runCli } from '../src/cli';

export const ROOT = path.resolve(__dirname, '../../..');

/** One CLI run in-process with `env` on top of process.env: exit code, stdout, stderr, stdout parsed when JSON. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  json<T = Record<string, unknown>>(): T;
}

export async function cli(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), stderrIsTTY: false, env });
  return { code, out, err, json: <T>() => JSON.parse(out) as T };
}

/** The real fanout worker (apps/fanout-worker/src/main.ts under ts-node) as a child process, ready when /health/ready is 200. */
export interface Worker {
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
  readonly proc: ChildProcess;
}

export async function spawnWorker(env: Record<string, string>, port: number): Promise<Worker> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'node_modules/ts-node/dist/bin.js'), '-r', 'tsconfig-paths/register', '--transpile-only', 'apps/fanout-worker/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, WORKER_HTTP_PORT: String(port), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'the worker to be ready',
      async () => {
        if (proc.exitCode !== null) throw new Error(`worker exited with ${proc.exitCode}: ${log.slice(-2000)}`);
        return (await fetch(`${base}/health/ready`)).status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${log.slice(-3000)}`);
  }
  return {
    proc,
    metric: async (name, labels = {}) => metricSum(await (await fetch(`${base}/metrics`)).text(), name, labels),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Ports per test process below the ephemeral range (as the worker's own tests pick them), offset 7-9 for this file. */
export const cliPort = (offset: number): number => 20_000 + (process.pid % 1_276) * 10 + 7 + offset;
