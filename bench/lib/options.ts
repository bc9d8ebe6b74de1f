import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface BenchOptions {
  readonly mode: 'quick' | 'full';
  /** Users in the synthetic graph. */
  readonly users: number;
  /** Power-law exponent of the follower-count distribution P(k) ∝ k^-alpha. */
  readonly alpha: number;
  /** Smallest follower count an ordinary user draws. */
  readonly minFollowers: number;
  /** Authors placed above the high-follower threshold (served by pull). */
  readonly celebrities: number;
  /** FANOUT_HIGH_FOLLOWER_THRESHOLD for the throughput and read phases. */
  readonly threshold: number;
  /** Share of users who never read their home feed recently (skipped by fanout). */
  readonly inactiveShare: number;
  /** Past activities per user loaded with the graph (celebrities: 5×), so home feeds start full. */
  readonly history: number;
  readonly seed: number;
  /** Reload the graph even when one with the same parameters was loaded today. */
  readonly fresh: boolean;
  /** Offered activity rates (activities/s) start here and double each step. */
  readonly startRate: number;
  readonly maxSteps: number;
  readonly stepSeconds: number;
  readonly drainSeconds: number;
  readonly probes: number;
  /** Seconds per concurrency level of the write ceiling. */
  readonly ceilingSeconds: number;
  readonly ceilingConcurrency: number[];
  readonly readSeconds: number;
  readonly readConnections: number;
  readonly readers: number;
  readonly scale: number[];
  readonly scaleTimeoutSeconds: number;
  readonly workers: number;
  /** Run the fanout worker of the throughput phase under `node --cpu-prof`. */
  readonly profile: boolean;
  /** V8 old-space limit of the worker processes in MiB (0 = Node's default, which grows with the machine's memory). */
  readonly workerHeapMb: number;
  readonly skip: Set<string>;
  readonly outDir: string;
}

const PRESETS: Record<'quick' | 'full', Omit<BenchOptions, 'mode' | 'seed' | 'fresh' | 'profile' | 'skip' | 'outDir' | 'workerHeapMb'>> = {
  quick: {
    users: 3_000,
    alpha: 2.276,
    minFollowers: 5,
    celebrities: 2,
    threshold: 300,
    inactiveShare: 0.3,
    history: 3,
    startRate: 5,
    maxSteps: 6,
    stepSeconds: 8,
    drainSeconds: 30,
    probes: 8,
    ceilingSeconds: 2,
    ceilingConcurrency: [32, 128, 512],
    readSeconds: 8,
    readConnections: 16,
    readers: 200,
    scale: [1_000, 10_000],
    scaleTimeoutSeconds: 60,
    workers: 1,
  },
  full: {
    users: 20_000,
    alpha: 2.276,
    minFollowers: 5,
    celebrities: 5,
    threshold: 2_000,
    inactiveShare: 0.3,
    history: 4,
    startRate: 2,
    maxSteps: 10,
    stepSeconds: 25,
    drainSeconds: 120,
    probes: 12,
    ceilingSeconds: 5,
    ceilingConcurrency: [16, 64, 256, 1024],
    readSeconds: 30,
    readConnections: 32,
    readers: 1_000,
    scale: [1_000, 10_000, 100_000, 1_000_000],
    scaleTimeoutSeconds: 150,
    workers: 1,
  },
};

export const USAGE = `npm run bench -- [--quick] [options]

  --quick                 about two minutes (small graph, short steps); default is the full run (~15 min)
  --users N               users in the graph (quick 3000, full 20000)
  --alpha A               follower-count power-law exponent (2.276)
  --min-followers K       smallest follower count of an ordinary user (5)
  --celebrities N         authors above the high-follower threshold (quick 2, full 5)
  --threshold N           FANOUT_HIGH_FOLLOWER_THRESHOLD during the throughput phase (quick 300, full 2000)
  --inactive-share F      share of users who are inactive readers (0.3)
  --history N             past activities per user loaded with the graph (quick 3, full 4)
  --start-rate R          first offered rate in activities/s, doubled each step (quick 5, full 2)
  --max-steps N           at most this many rate steps (quick 6, full 10)
  --step-seconds S        length of one rate step (quick 8, full 25)
  --read-seconds S        autocannon duration (quick 8, full 30)
  --connections N         autocannon connections (quick 16, full 32)
  --scale 1000,10000      follower counts of the memory test (full: 1000,10000,100000,1000000)
  --workers N             fanout worker processes (1)
  --profile               run the throughput-phase worker under node --cpu-prof and summarise it
  --worker-heap-mb N      run the workers with --max-old-space-size=N, as shipped (default 256; 0 = Node's own limit)
  --skip a,b              skip phases: ceiling, fanout, read, scale
  --fresh                 reload the graph even if an identical one was loaded today
  --seed N                PRNG seed (42)
  --out DIR               results directory (bench/results)
`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const args = [...argv];
  const flags = new Map<string, string | true>();
  while (args.length > 0) {
    const a = args.shift() as string;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n\n${USAGE}`);
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) flags.set(key, inline);
    else if (args[0] !== undefined && !args[0].startsWith('--')) flags.set(key, args.shift() as string);
    else flags.set(key, true);
  }
  if (flags.has('help') || flags.has('h')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const mode = flags.has('quick') ? 'quick' : 'full';
  const p = PRESETS[mode];
  const known = new Set(['quick', 'full', 'users', 'alpha', 'min-followers', 'celebrities', 'threshold', 'inactive-share', 'history', 'start-rate', 'max-steps', 'step-seconds',
    'read-seconds', 'connections', 'scale', 'workers', 'profile', 'worker-heap-mb', 'skip', 'fresh', 'seed', 'out']);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}\n\n${USAGE}`);
  const num = (k: string, d: number): number => {
    const v = flags.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (v === true || !Number.isFinite(n) || n < 0) throw new Error(`--${k} needs a non-negative number`);
    return n;
  };
  const users = Math.floor(num('users', p.users));
  const userScaled = flags.has('users') && !flags.has('threshold');
  const threshold = Math.max(2, Math.floor(num('threshold', userScaled ? Math.max(50, Math.round(users / 10)) : p.threshold)));
  const scaleFlag = flags.get('scale');
  const skipFlag = flags.get('skip');
  const opts: BenchOptions = {
    ...p,
    mode,
    users,
    alpha: num('alpha', p.alpha),
    minFollowers: Math.max(1, Math.floor(num('min-followers', p.minFollowers))),
    celebrities: Math.floor(num('celebrities', p.celebrities)),
    threshold,
    inactiveShare: Math.min(0.95, num('inactive-share', p.inactiveShare)),
    history: Math.floor(num('history', p.history)),
    startRate: Math.max(1, num('start-rate', p.startRate)),
    maxSteps: Math.max(1, Math.floor(num('max-steps', p.maxSteps))),
    stepSeconds: Math.max(2, num('step-seconds', p.stepSeconds)),
    readSeconds: Math.max(2, num('read-seconds', p.readSeconds)),
    readConnections: Math.max(1, Math.floor(num('connections', p.readConnections))),
    scale: typeof scaleFlag === 'string' ? scaleFlag.split(',').map((s) => Math.floor(Number(s))).filter((n) => n > 0) : p.scale,
    workers: Math.max(1, Math.floor(num('workers', p.workers))),
    profile: flags.has('profile'),
    workerHeapMb: Math.floor(num('worker-heap-mb', 256)),
    skip: new Set(typeof skipFlag === 'string' ? skipFlag.split(',') : []),
    fresh: flags.has('fresh'),
    seed: Math.floor(num('seed', 42)),
    outDir: path.resolve(ROOT, typeof flags.get('out') === 'string' ? (flags.get('out') as string) : 'bench/results'),
  };
  if (opts.alpha <= 1) throw new Error('--alpha must be above 1');
  if (opts.users < 100) throw new Error('--users must be at least 100');
  if (opts.threshold >= opts.users) throw new Error('--threshold must be below --users');
  return opts;
}
