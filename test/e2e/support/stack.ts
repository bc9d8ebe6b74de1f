import { createHmac } from 'node:crypto';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { measureConsumerLag } from '@app/messaging-kafka';
import { testEnv, uniqueTag, waitFor } from '@app/testing';
import { portFor, startWorker, WorkerProcess } from '../../../apps/fanout-worker/test/worker-process';

export interface Stack {
  readonly tag: string;
  readonly api: string;
  readonly env: Record<string, string>;
  readonly workers: WorkerProcess[];
  /** The API process's output so far (JSON log lines). */
  apiOutput(): string;
  /** A user id unique to this stack. */
  user(name: string): string;
  token(sub: string, opts?: { scope?: string; expSeconds?: number; secret?: string }): string;
  /** fetch against the API as `sub` (undefined = no Authorization header). */
  call(method: string, path: string, as?: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown; headers: Headers }>;
  /** Waits until every worker has nothing left to consume (consumer lag 0 on every topic). */
  quiesce(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Stacks started and not yet closed in this process. */
let running = 0;

/**
 * The real stack for one e2e test file: the API in this process (listening on an ephemeral port) and
 * `workers` fanout worker processes, all on topics, consumer group and user ids of their own, against the
 * Cassandra and Kafka that `npm test` started.
 */
export async function startStack(overrides: Record<string, string> = {}, opts: { workers?: number } = {}): Promise<Stack> {
  // Ports derive from the test process's pid (portFor), so a second stack would answer with the first's API.
  if (running > 0) throw new Error('startStack: another stack of this test file is still running; close it first (stacks share their ports)');
  const tag = uniqueTag('e');
  const env = testEnv(tag, overrides);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const workers: WorkerProcess[] = [];
  let apiProc: ApiProcess | null = null;
  const port = portFor(9);
  try {
    for (let i = 0; i < (opts.workers ?? 1); i++) workers.push(await startWorker(env, portFor(i)));
    apiProc = await startApi(env, port);
  } catch (e) {
    await Promise.all(workers.map((w) => w.stop()));
    await apiProc?.stop();
    throw e;
  }
  running++;
  const started = apiProc;
  const api = `http://127.0.0.1:${port}`;
  const secret = env['AUTH_JWT_SECRET'] as string;

  const token: Stack['token'] = (sub, o = {}) => {
    const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const head = b64({ alg: 'HS256', typ: 'JWT' });
    const claims = b64({ sub, ...(o.scope ? { scope: o.scope } : {}), exp: Math.floor(Date.now() / 1000) + (o.expSeconds ?? 3600) });
    const sig = createHmac('sha256', o.secret ?? secret).update(`${head}.${claims}`).digest('base64url');
    return `${head}.${claims}.${sig}`;
  };

  const call: Stack['call'] = async (method, path, as, body, headers = {}) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        ...(as !== undefined ? { authorization: `Bearer ${token(as, as === ADMIN ? { scope: 'admin' } : {})}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  const kafka = new Kafka({ clientId: `e2e-${tag}`, brokers: (env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = env['KAFKA_GROUP_ID'] as string;
  const topics = [env['KAFKA_TOPIC_ACTIVITIES'], env['KAFKA_TOPIC_FOLLOWS'], env['KAFKA_TOPIC_FANOUT']] as string[];
  /** Records not yet committed by the worker group, over the three topics it consumes. */
  const lag = async (): Promise<number> => (await measureConsumerLag(admin, groupId, topics)).reduce((n, p) => n + p.lag, 0);
  const quiesce: Stack['quiesce'] = async (timeoutMs = 60_000) => {
    // Offsets are committed only after a record's effects are durable, so zero lag on every topic the
    // workers consume means every accepted event has been applied.
    await waitFor('workers to drain their topics', async () => (await lag()) === 0, { timeoutMs, intervalMs: 200, describe: lag });
  };

  return {
    tag,
    api,
    env,
    workers,
    apiOutput: () => started.output(),
    user: (name) => `${tag}-${name}`,
    token,
    call,
    quiesce,
    close: async () => {
      await admin.disconnect();
      await Promise.all(workers.map((w) => w.stop()));
      await started.stop();
      running--;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/** Calls made "as ADMIN" carry a token with the admin scope. */
export const ADMIN = 'tideline-admin';

interface ApiProcess {
  readonly proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../../..');

/** Spawns the real API (apps/api/src/main.ts under ts-node) and waits for GET /health/ready = 200. */
async function startApi(env: Record<string, string>, port: number): Promise<ApiProcess> {
  const proc = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules/ts-node/dist/bin.js'), '-r', 'tsconfig-paths/register', '--transpile-only', 'apps/api/src/main.ts'],
    { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(
      `API on port ${port}`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`API exited with ${proc.exitCode}`);
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n--- API output ---\n${out.slice(-3000)}`);
  }
  return { proc, output: () => out, stop };
}
