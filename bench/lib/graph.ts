import { createHash } from 'node:crypto';
import { Client } from 'cassandra-driver';
import { bucketOf, HOME_BUCKET_MS, HOME_LAYOUT_VERSION, newActivityId, toIso, USER_FEED_BUCKET_MS } from '@app/domain';
import {
  ACTIVITIES_CQL,
  FOLLOW_COUNTS_CQL,
  FOLLOWERS_CQL,
  FOLLOWING_CQL,
  HIGH_FOLLOWER_AUTHORS_CQL,
  HOME_TIMELINE_CQL,
  inlineBody,
  PULLED_FOLLOWS_CQL,
  USER_FEED_CQL,
  USER_STATE_CQL,
} from '@app/storage-cassandra';
import { types } from 'cassandra-driver';
import { micros, writeAll } from './cassandra';
import { BenchOptions } from './options';
import { rng } from './util';

/**
 * The synthetic social graph. Follower counts follow a truncated discrete power law
 * P(k) ∝ k^-alpha (k ≥ minFollowers, k < threshold) drawn by inverse transform from a Pareto
 * distribution; `celebrities` authors get between 1 and 2 × threshold followers instead. Followers of
 * an author are a uniform sample of the other users, so out-degrees are roughly Poisson.
 */
export interface Graph {
  readonly prefix: string;
  readonly fingerprint: string;
  readonly n: number;
  /** followers[i] = indexes of the users who follow user i. */
  readonly followers: Uint32Array[];
  /** following[i] = indexes of the users user i follows. */
  readonly following: Uint32Array[];
  readonly active: Uint8Array;
  readonly celebrities: number[];
  readonly isCelebrity: Uint8Array;
  readonly edges: number;
  /** Active followers of i (the rows one activity of i writes), 0 for celebrities (pulled). */
  readonly deliveriesOf: Uint32Array;
  id(i: number): string;
}

export function graphFingerprint(o: BenchOptions, salt = ''): string {
  const day = new Date().toISOString().slice(0, 10);
  // `rows: 4`: timeline rows carry the activity body in week buckets (schema 003/004); older graphs are reloaded.
  const key = JSON.stringify([o.users, o.alpha, o.minFollowers, o.celebrities, o.threshold, o.inactiveShare, o.seed, o.history, day, salt, { rows: 4 }]);
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function buildGraph(o: BenchOptions, fingerprint: string): Graph {
  const rand = rng(o.seed);
  const n = o.users;
  const prefix = `b${fingerprint}-`;
  const isCelebrity = new Uint8Array(n);
  const celebrities: number[] = [];
  while (celebrities.length < Math.min(o.celebrities, n)) {
    const c = Math.floor(rand() * n);
    if (!isCelebrity[c]) {
      isCelebrity[c] = 1;
      celebrities.push(c);
    }
  }
  const cap = Math.min(o.threshold, n) - 1;
  const followers: Uint32Array[] = new Array<Uint32Array>(n);
  const outDeg = new Uint32Array(n);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    let k: number;
    if (isCelebrity[i]) {
      k = Math.min(n - 1, o.threshold + Math.floor(rand() * o.threshold));
    } else {
      do {
        k = Math.floor(o.minFollowers * Math.pow(1 - rand(), -1 / (o.alpha - 1)));
      } while (k > cap);
    }
    const picked = new Set<number>();
    while (picked.size < k) {
      const f = Math.floor(rand() * n);
      if (f !== i) picked.add(f);
    }
    const arr = Uint32Array.from(picked).sort();
    followers[i] = arr;
    for (const f of arr) outDeg[f] = (outDeg[f] ?? 0) + 1;
    edges += k;
  }
  const following: Uint32Array[] = Array.from({ length: n }, (_, i) => new Uint32Array(outDeg[i] ?? 0));
  const fill = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    for (const f of followers[i] as Uint32Array) {
      (following[f] as Uint32Array)[fill[f] as number] = i;
      fill[f] = (fill[f] ?? 0) + 1;
    }
  }
  const active = new Uint8Array(n);
  for (let i = 0; i < n; i++) active[i] = rand() >= o.inactiveShare ? 1 : 0;
  const deliveriesOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (isCelebrity[i]) continue;
    let d = 0;
    for (const f of followers[i] as Uint32Array) if (active[f]) d++;
    deliveriesOf[i] = d;
  }
  return { prefix, fingerprint, n, followers, following, active, celebrities, isCelebrity, edges, deliveriesOf, id: (i) => `${prefix}${i}` };
}

export interface GraphStats {
  users: number;
  edges: number;
  meanFollowers: number;
  medianFollowers: number;
  maxFollowersOrdinary: number;
  celebrityFollowers: number[];
  activeShare: number;
  /** Share of users who follow at least one celebrity (their home merges pulled feeds). */
  followsCelebrityShare: number;
  meanDeliveriesPerActivity: number;
}

export function graphStats(g: Graph): GraphStats {
  const counts = g.followers.map((f) => f.length);
  const ordinary = counts.filter((_, i) => !g.isCelebrity[i]).sort((a, b) => a - b);
  let followsCeleb = 0;
  for (let i = 0; i < g.n; i++) if ((g.following[i] as Uint32Array).some((a) => g.isCelebrity[a] === 1)) followsCeleb++;
  let deliveries = 0;
  for (let i = 0; i < g.n; i++) deliveries += g.deliveriesOf[i] as number;
  return {
    users: g.n,
    edges: g.edges,
    meanFollowers: Math.round((g.edges / g.n) * 10) / 10,
    medianFollowers: ordinary[Math.floor(ordinary.length / 2)] ?? 0,
    maxFollowersOrdinary: ordinary[ordinary.length - 1] ?? 0,
    celebrityFollowers: g.celebrities.map((c) => (g.followers[c] as Uint32Array).length),
    activeShare: Math.round((g.active.reduce((a, b) => a + b, 0) / g.n) * 1000) / 1000,
    followsCelebrityShare: Math.round((followsCeleb / g.n) * 1000) / 1000,
    meanDeliveriesPerActivity: Math.round((deliveries / g.n) * 10) / 10,
  };
}

export const META_TABLE = 'CREATE TABLE IF NOT EXISTS bench_meta (fingerprint text PRIMARY KEY, loaded_at timestamp, info text)';

export async function isLoaded(client: Client, fingerprint: string): Promise<boolean> {
  await client.execute(META_TABLE, [], { prepare: false });
  const rs = await client.execute('SELECT loaded_at FROM bench_meta WHERE fingerprint = ?', [fingerprint], { prepare: true });
  return rs.rowLength > 0;
}

export async function markLoaded(client: Client, fingerprint: string, info: unknown): Promise<void> {
  await client.execute('INSERT INTO bench_meta (fingerprint, loaded_at, info) VALUES (?, ?, ?)', [fingerprint, new Date(), JSON.stringify(info)], { prepare: true });
}

export interface LoadProgress {
  start(step: string, total: number): void;
  update(done: number): void;
}

/**
 * Writes the graph the way the product's own tables hold it: both follow directions, the follower
 * counters, last-read times of the active readers (now minus up to two days), and the celebrities
 * already promoted to pull (high_follower_authors + pulled_follows), as the worker would leave them.
 */
export async function loadGraph(client: Client, g: Graph, history: number, progress: LoadProgress, concurrency = 384): Promise<{ statements: number; errors: number }> {
  const now = Date.now();
  const sinceMs = now - 30 * 86_400_000;
  const since = new Date(sinceMs);
  const ts = micros(sinceMs);
  let statements = 0;
  let errors = 0;
  const step = async (name: string, cql: string, total: number, rows: () => Iterable<unknown[]>, counter = false): Promise<void> => {
    progress.start(name, total);
    errors += await writeAll(client, cql, rows(), concurrency, (d) => progress.update(d), { counter });
    statements += total;
  };
  await step('followers', FOLLOWERS_CQL.insert, g.edges, function* () {
    for (let i = 0; i < g.n; i++) for (const f of g.followers[i] as Uint32Array) yield [g.id(i), g.id(f), since, ts];
  });
  await step('following', FOLLOWING_CQL.insert, g.edges, function* () {
    for (let i = 0; i < g.n; i++) for (const t of g.following[i] as Uint32Array) yield [g.id(i), g.id(t), since, ts];
  });
  const withFollowers = g.followers.filter((f) => f.length > 0).length;
  const withFollowing = g.following.filter((f) => f.length > 0).length;
  await step('follow counts', FOLLOW_COUNTS_CQL.addFollowers, withFollowers, function* () {
    for (let i = 0; i < g.n; i++) {
      const k = (g.followers[i] as Uint32Array).length;
      if (k > 0) yield [types.Long.fromNumber(k), g.id(i)];
    }
  }, true);
  await step('following counts', FOLLOW_COUNTS_CQL.addFollowing, withFollowing, function* () {
    for (let i = 0; i < g.n; i++) {
      const k = (g.following[i] as Uint32Array).length;
      if (k > 0) yield [types.Long.fromNumber(k), g.id(i)];
    }
  }, true);
  const rand = rng(7);
  const activeCount = g.active.reduce((a, b) => a + b, 0);
  await step('reader state', USER_STATE_CQL.setLastRead, activeCount, function* () {
    for (let i = 0; i < g.n; i++) {
      if (!g.active[i]) continue;
      const ms = now - Math.floor(rand() * 2 * 86_400_000);
      yield [micros(ms), new Date(ms), g.id(i)];
    }
  });
  // The history below is written in the current home layout, as a completed rebuild would have left it.
  await step('home layout', USER_STATE_CQL.setHomeLayout, activeCount, function* () {
    for (let i = 0; i < g.n; i++) if (g.active[i]) yield [HOME_LAYOUT_VERSION, g.id(i)];
  });
  const pulled = g.celebrities.reduce((a, c) => a + (g.followers[c] as Uint32Array).length, 0);
  await step('pulled follows', PULLED_FOLLOWS_CQL.insert, pulled, function* () {
    for (const c of g.celebrities) for (const f of g.followers[c] as Uint32Array) yield [g.id(f), g.id(c), ts];
  });
  await step('high-follower authors', HIGH_FOLLOWER_AUTHORS_CQL.insert, g.celebrities.length, function* () {
    for (const c of g.celebrities) yield [g.id(c), since];
  });
  // History: `history` activities per user (celebrities 5×) over the last 10 days, with the rows fanout
  // would have written: the activity, the author's user feed, and the home rows of the author and of
  // the author's active followers (celebrities are pulled, so only their user feed).
  const hist: { author: number; ms: number; id: string }[] = [];
  for (let i = 0; i < g.n; i++) {
    const k = g.isCelebrity[i] ? history * 5 : history;
    for (let j = 0; j < k; j++) {
      const ms = now - 60_000 - Math.floor(rand() * 10 * 86_400_000);
      hist.push({ author: i, ms, id: newActivityId(ms) });
    }
  }
  const unset = types.unset;
  const ttlFor = (ms: number, days: number): number => Math.max(1, Math.floor((ms + days * 86_400_000 - now) / 1000));
  // The body fanout writes into timeline rows: the activity as the API returns it.
  const bodyOf = (h: { author: number; ms: number; id: string }): string =>
    inlineBody({ id: h.id, actor: g.id(h.author), type: 'post', object: `hist:${h.id}`, published: toIso(h.ms) }) as string;
  await step('history: activities', ACTIVITIES_CQL.insert, hist.length, function* () {
    for (const h of hist) {
      yield [h.id, g.id(h.author), 'post', `hist:${h.id}`, unset, new Date(h.ms), unset, unset, unset, new Date(h.ms), ttlFor(h.ms, 365), micros(h.ms)];
    }
  });
  await step('history: user feeds', USER_FEED_CQL.insert, hist.length, function* () {
    for (const h of hist) yield [g.id(h.author), bucketOf(h.ms, USER_FEED_BUCKET_MS), new Date(h.ms), h.id, bodyOf(h), ttlFor(h.ms, 365), micros(h.ms)];
  });
  const homeRows = hist.reduce((a, h) => a + 1 + (g.deliveriesOf[h.author] as number), 0);
  await step('history: home timelines', HOME_TIMELINE_CQL.insert, homeRows, function* () {
    for (const h of hist) {
      const body = bodyOf(h);
      const row = (u: number): unknown[] => [g.id(u), bucketOf(h.ms, HOME_BUCKET_MS), new Date(h.ms), h.id, g.id(h.author), body, ttlFor(h.ms, 14), micros(h.ms)];
      yield row(h.author);
      if (g.isCelebrity[h.author]) continue;
      for (const f of g.followers[h.author] as Uint32Array) if (g.active[f]) yield row(f);
    }
  });
  return { statements, errors };
}

/**
 * The memory-test graph: authors `s-a<N>` with N followers each. Follower sets are nested (the first
 * N of `s-f0…`), so the largest count is loaded once; every follower is an active reader.
 */
export async function loadScaleGraph(client: Client, counts: readonly number[], progress: LoadProgress, concurrency = 384): Promise<{ statements: number; errors: number }> {
  const max = Math.max(...counts);
  const now = Date.now();
  const sinceMs = now - 30 * 86_400_000;
  const since = new Date(sinceMs);
  const ts = micros(sinceMs);
  let errors = 0;
  let statements = 0;
  const total = counts.reduce((a, b) => a + b, 0);
  progress.start('scale followers', total);
  errors += await writeAll(client, FOLLOWERS_CQL.insert, (function* () {
    for (const c of counts) for (let f = 0; f < c; f++) yield [scaleAuthor(c), scaleFollower(f), since, ts];
  })(), concurrency, (d) => progress.update(d));
  statements += total;
  progress.start('scale reader state', max);
  errors += await writeAll(client, USER_STATE_CQL.setLastRead, (function* () {
    for (let f = 0; f < max; f++) yield [micros(now), new Date(now), scaleFollower(f)];
  })(), concurrency, (d) => progress.update(d));
  statements += max;
  return { statements, errors };
}

export const scaleAuthor = (count: number): string => `s-a${count}`;
export const scaleFollower = (i: number): string => `s-f${i}`;
