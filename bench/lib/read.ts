import autocannon from 'autocannon';
import { Graph } from './graph';
import { Service } from './procs';
import { jwt, pool, procCpuSeconds, rng, round } from './util';

export interface ReadResult {
  readers: number;
  mix: { firstPage: number; followsCelebrity: number; deepPage: number };
  connections: number;
  seconds: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU the API process used during the run, in % of one core. */
  apiCpuPct: number;
}

/** The kinds of home read measured (each also on its own, against the same ceiling). */
export type ReadKind = 'firstPage' | 'followsCelebrity' | 'deepPage';

interface Target {
  path: string;
  auth: string;
  kind: ReadKind;
}

/**
 * Builds the reader mix: active readers who follow no celebrity (first page), readers who follow at least
 * one celebrity (first page, merged with pulled feeds at read time), and deep pagers (page 3 to 5, via
 * the `next` cursors collected beforehand). Every reader reads once before the measurement, as a
 * returning reader would have: a first read after a while refreshes last-read, which is not the steady state.
 */
export async function prepareReaders(g: Graph, api: Service, secret: string, count: number, seed: number, limit: number): Promise<{ targets: Target[]; userIds: string[]; mix: ReadResult['mix'] }> {
  const rand = rng(seed + 2);
  const eligible = [...Array(g.n).keys()].filter((i) => g.active[i] && !g.isCelebrity[i] && (g.following[i] as Uint32Array).length > 0);
  const followsCeleb = eligible.filter((i) => (g.following[i] as Uint32Array).some((a) => g.isCelebrity[a] === 1));
  const plain = eligible.filter((i) => !(g.following[i] as Uint32Array).some((a) => g.isCelebrity[a] === 1));
  const pick = (from: number[], k: number): number[] => {
    const out = new Set<number>();
    while (out.size < Math.min(k, from.length)) out.add(from[Math.floor(rand() * from.length)] as number);
    return [...out];
  };
  const nCeleb = Math.round(count * 0.25);
  const nDeep = Math.round(count * 0.15);
  const celebReaders = pick(followsCeleb, nCeleb);
  const deepReaders = pick(plain.length > 0 ? plain : eligible, nDeep);
  const plainReaders = pick(plain.length > 0 ? plain : eligible, count - celebReaders.length - deepReaders.length);
  const targets: Target[] = [];
  const get = async (user: string, auth: string, cursor: string | null): Promise<string | null> => {
    const res = await fetch(`${api.base}/v1/feeds/home/${encodeURIComponent(user)}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      headers: { authorization: auth },
    });
    const body = (await res.json()) as { next?: string | null };
    return body.next ?? null;
  };
  const all = [
    ...plainReaders.map((i) => ({ i, deep: false, kind: 'firstPage' as const })),
    ...celebReaders.map((i) => ({ i, deep: false, kind: 'followsCelebrity' as const })),
    ...deepReaders.map((i) => ({ i, deep: true, kind: 'deepPage' as const })),
  ];
  await pool(all, 16, async ({ i, deep, kind }) => {
    const user = g.id(i);
    const auth = `Bearer ${jwt(secret, user)}`;
    const base = `/v1/feeds/home/${encodeURIComponent(user)}?limit=${limit}`;
    let cursor = await get(user, auth, null);
    if (!deep) {
      targets.push({ path: base, auth, kind });
      return;
    }
    const depth = 2 + Math.floor(rand() * 3); // pages 3..5
    let last: string | null = null;
    for (let d = 0; d < depth && cursor; d++) {
      last = cursor;
      cursor = d + 1 < depth ? await get(user, auth, cursor) : cursor;
    }
    targets.push({ path: last ? `${base}&cursor=${encodeURIComponent(last)}` : base, auth, kind });
  });
  return {
    targets,
    userIds: all.map(({ i }) => g.id(i)),
    mix: { firstPage: plainReaders.length, followsCelebrity: celebReaders.length, deepPage: deepReaders.length },
  };
}

/** Readers of one kind only (the mix counts them). */
export const targetsOf = (targets: readonly Target[], kind: ReadKind): Target[] => targets.filter((t) => t.kind === kind);

/**
 * autocannon over `targets` (a random one per request) for `seconds`: as fast as `connections` allow, or at
 * `rate` requests/s in all (the latency at a given load).
 */
export async function runRead(api: Service, targets: Target[], mix: ReadResult['mix'], connections: number, seconds: number, seed: number, rate?: number): Promise<ReadResult> {
  const rand = rng(seed + 3);
  const cpu0 = procCpuSeconds(api.pid) ?? 0;
  const t0 = Date.now();
  const result = await new Promise<autocannon.AutocannonResult>((resolve, reject) => {
    autocannon(
      {
        url: api.base,
        connections,
        duration: seconds,
        timeout: 10,
        ...(rate !== undefined ? { overallRate: Math.max(1, Math.round(rate)) } : {}),
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const t = targets[Math.floor(rand() * targets.length)] as Target;
              return { ...req, path: t.path, headers: { authorization: t.auth } };
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  return {
    readers: targets.length,
    mix,
    connections,
    seconds,
    requestsPerSec: round(result.requests.average, 0),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: round(result.latency.average, 1) },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    apiCpuPct: round((((procCpuSeconds(api.pid) ?? 0) - cpu0) / ((Date.now() - t0) / 1000)) * 100, 0),
  };
}
