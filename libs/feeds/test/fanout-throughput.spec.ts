import { loadAppConfig } from '@app/config';
import { Activity, FeedPolicy, newActivityId, UserId } from '@app/domain';
import {
  InMemoryActivityStore,
  InMemoryDeleteMarkerStore,
  InMemoryForeignIdStore,
  InMemoryGraphStore,
  InMemoryNotificationStore,
  InMemoryReaderStateStore,
  InMemoryTimelineStore,
  RecordingChunkPublisher,
  RecordingLivePublisher,
} from '@app/testing';
import { FeedRef, FanoutChunk } from '../src/ports';
import { BudgetGauge, FanoutMetrics, NOOP_FANOUT_METRICS } from '../src/write/fanout-metrics';
import { createWritePath } from '../src/write/fanout.service';
import { PUSH_DECISION_TTL_MS, PullDecisionCache } from '../src/write/pull-decision-cache';
import { StatementBudget } from '../src/write/statement-budget';

const yieldTurns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

/** Stores that take a few event-loop turns per call and record how many users' statements are in flight. */
class SlowTimelines extends InMemoryTimelineStore {
  inFlight = 0;
  peak = 0;
  override async appendHome(userIds: readonly UserId[], ref: FeedRef, tsMicros: number, ttlSeconds: number, concurrency: number): Promise<void> {
    this.inFlight += userIds.length;
    this.peak = Math.max(this.peak, this.inFlight);
    await yieldTurns(3);
    await super.appendHome(userIds, ref, tsMicros, ttlSeconds, concurrency);
    this.inFlight -= userIds.length;
  }
}

class CountingGraph extends InMemoryGraphStore {
  flagReads = 0;
  countReads = 0;
  override async isHighFollower(author: UserId): Promise<boolean> {
    this.flagReads++;
    return super.isHighFollower(author);
  }
  override async followerCount(user: UserId): Promise<number> {
    this.countReads++;
    return super.followerCount(user);
  }
}

class CountingReaders extends InMemoryReaderStateStore {
  read = 0;
  override async lastReadMany(users: readonly UserId[], concurrency: number): Promise<Map<UserId, number>> {
    this.read += users.length;
    return super.lastReadMany(users, concurrency);
  }
}

function setup(env: Record<string, string> = {}) {
  const cfg = loadAppConfig({ FANOUT_CHUNK_SIZE: '1000', FANOUT_CONCURRENCY: '64', FANOUT_HIGH_FOLLOWER_THRESHOLD: '1000', ...env });
  const activities = new InMemoryActivityStore();
  const timelines = new SlowTimelines();
  const graph = new CountingGraph();
  const readers = new CountingReaders();
  const live = new RecordingLivePublisher();
  const chunks = new RecordingChunkPublisher();
  let budget: BudgetGauge | null = null;
  const metrics: FanoutMetrics = { ...NOOP_FANOUT_METRICS, watchBudget: (b) => (budget = b) };
  const svc = createWritePath(cfg, { activities, timelines, graph, readers, notifications: new InMemoryNotificationStore(), deletes: new InMemoryDeleteMarkerStore(), foreignIds: new InMemoryForeignIdStore(), chunks, live, metrics });
  const users = async (prefix: string, n: number): Promise<UserId[]> => {
    const out = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    for (const u of out) await readers.setLastRead(u, Date.now() - 3_600_000);
    return out;
  };
  return { cfg, svc, activities, timelines, graph, readers, live, chunks, users, budget: () => budget };
}

let n = 0;
function activity(actor: UserId): Activity {
  const ms = Date.now() - 60_000 - n++;
  return { id: newActivityId(ms), actor, type: 'post', object: `o${n}`, published: new Date(ms).toISOString() };
}
const refOf = (a: Activity): FeedRef => ({ ms: Date.parse(a.published), id: a.id, actor: a.actor });
const chunkOf = (a: Activity, users: UserId[], seq = 0): FanoutChunk => ({ op: 'deliver', ref: refOf(a), tsMicros: Date.now() * 1000, users, seq });

describe('StatementBudget', () => {
  it('never lets more than its limit in flight, serves waiters in order, and frees permits when an operation throws', async () => {
    const budget = new StatementBudget(10);
    let inFlight = 0;
    let peak = 0;
    const order: number[] = [];
    const op = (i: number, k: number, fail = false) =>
      budget.use(k, async () => {
        const held = Math.min(k, budget.limit); // a request above the limit takes the whole budget
        inFlight += held;
        peak = Math.max(peak, inFlight);
        await yieldTurns(2);
        inFlight -= held;
        order.push(i);
        if (fail) throw new Error(`op ${i} failed`);
      });
    const results = await Promise.allSettled([op(0, 6), op(1, 6, true), op(2, 3), op(3, 25), op(4, 1)]);
    expect(peak).toBeLessThanOrEqual(10);
    expect(order).toEqual([0, 1, 2, 3, 4]); // FIFO: the 3-permit request does not overtake the 6 waiting before it
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(budget.inFlight).toBe(0);
    expect(budget.queued).toBe(0);
  });
});

describe('DeliveryService with the shared statement budget', () => {
  it('applies many concurrent chunks to every active follower exactly once, never above the worker budget', async () => {
    const t = setup();
    const inactive = Array.from({ length: 50 }, (_, i) => `idle${i}`);
    const work = await Promise.all(
      Array.from({ length: 12 }, async (_, c) => ({ a: activity(`author${c}`), users: [...(await t.users(`c${c}u`, 300)), ...inactive] })),
    );
    await Promise.all(work.map(({ a, users }) => t.svc.applyChunk(chunkOf(a, users), a)));
    for (const { a, users } of work) {
      for (const u of users.slice(0, 300)) expect(t.timelines.homeIds(u)).toEqual([a.id]);
    }
    for (const u of inactive) expect(t.timelines.homeIds(u)).toEqual([]);
    expect(t.timelines.peak).toBeLessThanOrEqual(t.cfg.tuning.workerStatementBudget);
    expect(t.timelines.peak).toBeGreaterThan(64); // chunks share the budget instead of 64 each in turn
    expect(t.budget()?.inFlight).toBe(0);
    const homeEvents = t.live.events.filter((e) => e.kind === 'home');
    expect(homeEvents).toHaveLength(12);
    expect(homeEvents.map((e) => ('users' in e ? e.users.length : 0))).toEqual(Array(12).fill(300));
  });

  it('announces the body a chunk carries without reading the activity', async () => {
    const t = setup();
    const a = activity('carrier');
    const users = await t.users('r', 3);
    const get = jest.spyOn(t.activities, 'get');
    const ref: FeedRef = { ...refOf(a), activity: a };
    await t.svc.applyChunk({ ...chunkOf(a, users), ref });
    expect(get).not.toHaveBeenCalled();
    expect(t.live.events).toEqual([{ kind: 'home', op: 'activity', users, activity: a }]);
  });

  it('reads a follower’s last-read time once, then knows the active reader', async () => {
    const t = setup();
    const users = await t.users('k', 100);
    await t.svc.applyChunk(chunkOf(activity('x'), users));
    await t.svc.applyChunk(chunkOf(activity('x'), users));
    expect(t.readers.read).toBe(100);
  });
});

describe('Push/pull decisions', () => {
  it('remembers "pushed" for an author far below the threshold, so later activities read neither flag nor count', async () => {
    const t = setup();
    for (const u of await t.users('f', 5)) t.graph.follow(u, 'small');
    for (let i = 0; i < 3; i++) await t.svc.ingest(activity('small'), Date.now(), async () => undefined);
    expect(t.graph.flagReads).toBe(1);
    expect(t.graph.countReads).toBe(1);
    expect(t.timelines.homeIds('f0')).toHaveLength(3);
  });

  it('checks an author near the threshold on every activity, so crossing it promotes at once', async () => {
    const t = setup({ FANOUT_HIGH_FOLLOWER_THRESHOLD: '6' });
    const fs = await t.users('g', 6);
    for (const u of fs.slice(0, 5)) t.graph.follow(u, 'rising');
    await t.svc.ingest(activity('rising'), Date.now(), async () => undefined);
    t.graph.follow(fs[5] as UserId, 'rising');
    await t.svc.ingest(activity('rising'), Date.now(), async () => undefined);
    expect(t.graph.highFollowers.has('rising')).toBe(true);
    // Pulled is remembered (FANOUT_PULL_DECISION_CACHE_MS): the next activity reads no flag.
    const reads = t.graph.flagReads;
    await t.svc.ingest(activity('rising'), Date.now(), async () => undefined);
    expect(t.graph.flagReads).toBe(reads);
  });

  it('forgets "pushed" after PUSH_DECISION_TTL_MS and "pulled" after its own TTL, counted from the lookup', () => {
    const policy = { highFollowerThreshold: 1000 } as FeedPolicy;
    const cache = new PullDecisionCache(policy.highFollowerThreshold, 30_000);
    cache.pushed('a', 10, 0);
    cache.pushed('near', 900, 0);
    cache.pushed('pinned', 5_000, 0, true);
    cache.pulled('b', 100);
    expect(cache.get('a', PUSH_DECISION_TTL_MS - 1)).toBe(false);
    expect(cache.get('near', 0)).toBeUndefined();
    expect(cache.get('pinned', PUSH_DECISION_TTL_MS - 1)).toBe(false);
    expect(cache.get('a', PUSH_DECISION_TTL_MS)).toBeUndefined();
    expect(cache.get('b', 30_099)).toBe(true);
    expect(cache.get('b', 30_100)).toBeUndefined();
    const none = new PullDecisionCache(policy.highFollowerThreshold, 0);
    none.pulled('b', 0);
    expect(none.get('b', 0)).toBeUndefined();
  });
});
