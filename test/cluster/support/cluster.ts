/**
 * Helpers of the cluster tier (`npm run test:cluster`, test/cluster/*.cluster-spec.ts): the 3-node Cassandra ring and
 * the 3-broker Kafka cluster of scripts/cluster.mjs (nodes on 127.0.0.2-4), the stack's env for them, and the load
 * loops (publishing over REST, reading home pages, polling readiness) whose every answer is recorded.
 */
import path from 'node:path';
import { runNodeScript, uniqueTag } from '@app/testing';
import type { Stack } from '../../e2e/support/stack';

const ROOT = path.resolve(__dirname, '../../..');

export const NODES = [1, 2, 3] as const;
export const address = (n: number): string => `127.0.0.${n + 1}`;
export const CONTACT_POINTS = NODES.map((n) => `${address(n)}:9042`).join(',');
export const BROKERS = NODES.map((n) => `${address(n)}:9092`).join(',');

/**
 * Stack env against the clusters: LOCAL_QUORUM (the stores' default) on a dc1 keyspace with RF 3 of its own,
 * migrated by the apps themselves, topics with RF 3 (the topics and group are the stack's own, from testEnv).
 */
export function clusterOverrides(): Record<string, string> {
  return {
    CASSANDRA_CONTACT_POINTS: CONTACT_POINTS,
    CASSANDRA_LOCAL_DC: 'dc1',
    CASSANDRA_REPLICATION: 'NetworkTopologyStrategy:dc1=3',
    CASSANDRA_KEYSPACE: `cluster_${uniqueTag('k')}`,
    MIGRATE_ON_START: 'true',
    KAFKA_BROKERS: BROKERS,
    KAFKA_REPLICATION_FACTOR: '3',
    RATE_LIMIT_PER_MINUTE: '1000000',
  };
}

/** Runs `node scripts/cluster.mjs <args>`; resolves with its output, rejects on a non-zero exit. */
export const cluster = (args: string[], timeoutMs?: number): Promise<string> => runNodeScript(path.join(ROOT, 'scripts/cluster.mjs'), args, ROOT, timeoutMs);

/** SIGKILLs one node; fails unless it was running. */
export async function killNode(svc: 'cassandra' | 'kafka', n: number): Promise<void> {
  const out = await cluster(['kill', svc, String(n)]);
  if (!/killing pid/.test(out)) throw new Error(`fault not injected: ${svc}-${n} was not running:\n${out}`);
}

/** Starts one node (data kept) and waits until it answers (Cassandra: until the ring is complete again). */
export async function startNode(svc: 'cassandra' | 'kafka', n: number): Promise<void> {
  await cluster(['start', svc, String(n)]);
}

export interface Sample {
  readonly at: number;
  readonly status: number;
  readonly tookMs: number;
  readonly what: string;
}

/** A loop that calls `once` again and again (with `gapMs` between calls) and records every answer. */
export class Loop {
  readonly samples: Sample[] = [];
  private running = false;
  private done: Promise<void> | null = null;

  constructor(
    private readonly once: (i: number) => Promise<{ status: number; what: string }>,
    private readonly gapMs: number,
  ) {}

  start(): this {
    this.running = true;
    this.done = (async () => {
      for (let i = 0; this.running; i++) {
        const at = Date.now();
        let status = 0;
        let what = '';
        try {
          ({ status, what } = await this.once(i));
        } catch (e) {
          what = (e as Error).message;
        }
        this.samples.push({ at, status, tookMs: Date.now() - at, what });
        if (this.running) await new Promise((r) => setTimeout(r, this.gapMs));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Samples taken in [from, to). */
  between(from: number, to = Infinity): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at < to);
  }

  statuses(from = 0, to = Infinity): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.between(from, to)) out[s.status] = (out[s.status] ?? 0) + 1;
    return out;
  }

  slowest(): Sample | undefined {
    return this.samples.reduce<Sample | undefined>((m, s) => (m === undefined || s.tookMs > m.tookMs ? s : m), undefined);
  }
}

/** Reads followers' home pages round-robin, as each follower. */
export const homeReader = (stack: Stack, followers: readonly string[], gapMs = 50): Loop =>
  new Loop(async (i) => {
    const f = followers[i % followers.length] as string;
    const res = await stack.call('GET', `/v1/feeds/home/${f}?limit=20`, f);
    return { status: res.status, what: res.status === 200 ? f : JSON.stringify(res.body).slice(0, 300) };
  }, gapMs);

/** Polls the API's GET /health/ready. */
export const readyPoller = (stack: Stack, gapMs = 250): Loop =>
  new Loop(async () => {
    const res = await fetch(`${stack.api}/health/ready`);
    const text = await res.text();
    return { status: res.status, what: res.status === 200 ? '' : text.slice(0, 300) };
  }, gapMs);

/** `ms` as seconds with one decimal, for the notes. */
export const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function note(msg: string): void {
  process.stdout.write(`[cluster] ${msg}\n`);
}
