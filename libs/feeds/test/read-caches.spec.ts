import { loadAppConfig } from '@app/config';
import { Activity, HOME_LAYOUT_VERSION } from '@app/domain';
import { InMemoryActivityStore, InMemoryDeleteMarkerStore, InMemoryForeignIdStore, InMemoryGraphStore, InMemoryReaderStateStore, InMemoryTimelineStore } from '@app/testing';
import { createReadPath } from '../src/read/read-path';
import { PulledFeeds } from '../src/read/pulled-feeds';
import { ReaderContexts } from '../src/read/reader-contexts';
import { RecentDeletes } from '../src/read/recent-deletes';

const cfg = (over: Record<string, string> = {}) => loadAppConfig({ AUTH_JWT_SECRET: 'x'.repeat(32), ...over });
const HOUR = 3_600_000;

describe('RecentDeletes (deletes hidden before their removal fanout has run)', () => {
  it('is incomplete until its first load, then knows every marker of the span', async () => {
    const store = new InMemoryDeleteMarkerStore();
    const now = Date.now();
    await store.record('old', 'alice', now - 25 * HOUR, 3600);
    await store.record('recent', 'alice', now - 2 * HOUR, 3600);
    const deletes = new RecentDeletes(cfg({ DELETE_MARKER_HOURS: '24' }), store);
    expect(deletes.complete).toBe(false);
    await deletes.refresh(now);
    expect(deletes.complete).toBe(true);
    expect(deletes.has('recent')).toBe(true);
    expect(deletes.has('old')).toBe(false);
  });

  it('picks up markers other instances write, on its next poll, even one that landed late', async () => {
    const store = new InMemoryDeleteMarkerStore();
    const deletes = new RecentDeletes(cfg(), store);
    const t0 = Date.now();
    await deletes.refresh(t0);
    // Written by another process with a clock a few seconds behind this poll.
    await store.record('late', 'bob', t0 - 3_000, 3600);
    await deletes.refresh(t0 + 1_000);
    expect(deletes.has('late')).toBe(true);
  });

  it('becomes incomplete (so readers verify every row) when the store fails or holds more than DELETE_MARKERS_MAX', async () => {
    const store = new InMemoryDeleteMarkerStore();
    const deletes = new RecentDeletes(cfg({ DELETE_MARKERS_MAX: '1000' }), store);
    const now = Date.now();
    await deletes.refresh(now);
    store.failing = true;
    await deletes.refresh(now + 1_000);
    expect(deletes.complete).toBe(false);
    store.failing = false;
    await deletes.refresh(now + 2_000);
    expect(deletes.complete).toBe(true);
    for (let i = 0; i < 1001; i++) await store.record(`d${i}`, 'alice', now + 2_500, 3600);
    await deletes.refresh(now + 3_000);
    expect(deletes.complete).toBe(false);
  });

  it('remembers a delete it is told of directly at once, without a poll', () => {
    const deletes = new RecentDeletes(cfg(), new InMemoryDeleteMarkerStore());
    deletes.add('x');
    expect(deletes.has('x')).toBe(true);
  });
});

describe('ReaderContexts (reader state and graph cached per API instance)', () => {
  async function setup(over: Record<string, string> = {}) {
    const graph = new InMemoryGraphStore();
    const readers = new InMemoryReaderStateStore();
    await graph.apply({ op: 'follow', user: 'r', target: 'a', atMs: Date.now() - 1000 });
    const contexts = new ReaderContexts(cfg(over), graph, readers);
    const loads = jest.spyOn(graph, 'mutedBy');
    return { graph, readers, contexts, loads };
  }

  it('serves repeated pages from one load, and concurrent first loads share it', async () => {
    const { contexts, loads } = await setup();
    const [a, b] = await Promise.all([contexts.get('r'), contexts.get('r')]);
    await contexts.get('r');
    expect(loads).toHaveBeenCalledTimes(1);
    expect(a).toBe(b);
    expect([...a.following]).toEqual(['a']);
  });

  it('re-reads the graph after an invalidation, and never caches a load that an invalidation overtook', async () => {
    const { graph, contexts } = await setup();
    await contexts.get('r');
    await graph.apply({ op: 'unfollow', user: 'r', target: 'a', atMs: Date.now() });
    expect([...(await contexts.get('r')).following]).toEqual(['a']); // cached, until told
    contexts.invalidate(['r']);
    expect([...(await contexts.get('r')).following]).toEqual([]);

    await graph.apply({ op: 'follow', user: 'r', target: 'b', atMs: Date.now() + 1 });
    contexts.invalidate(['r']);
    const racing = contexts.get('r'); // started before the next change is announced
    await graph.apply({ op: 'unfollow', user: 'r', target: 'b', atMs: Date.now() + 2 });
    contexts.invalidate(['r']);
    await racing;
    expect([...(await contexts.get('r')).following]).toEqual([]);
  });

  it('expires entries after READ_CONTEXT_TTL_MS and caches nothing with a TTL of 0', async () => {
    jest.useFakeTimers({ now: 5_000_000, doNotFake: ['setImmediate', 'nextTick'] });
    try {
      const { contexts, loads } = await setup({ READ_CONTEXT_TTL_MS: '1000' });
      await contexts.get('r');
      jest.setSystemTime(5_000_000 + 1_001);
      await contexts.get('r');
      expect(loads).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
    const off = await setup({ READ_CONTEXT_TTL_MS: '0' });
    await off.contexts.get('r');
    await off.contexts.get('r');
    expect(off.loads).toHaveBeenCalledTimes(2);
  });

  it('never caches a state whose rebuild is pending', async () => {
    const { readers, contexts, loads } = await setup();
    await readers.startRebuild('r', Date.now());
    await contexts.get('r');
    await contexts.get('r');
    expect(loads).toHaveBeenCalledTimes(2);
  });

  it('keeps the ids held across readers under READ_CONTEXT_MAX_IDS, dropping the oldest', async () => {
    const { graph, contexts, loads } = await setup({ READ_CONTEXT_MAX_IDS: '5' });
    for (const u of ['r2', 'r3']) await graph.apply({ op: 'follow', user: u, target: 'a', atMs: Date.now() - 1000 });
    await contexts.get('r'); // weight 2
    await contexts.get('r2'); // 4
    await contexts.get('r3'); // 6 > 5: r goes
    loads.mockClear();
    await contexts.get('r3');
    expect(loads).toHaveBeenCalledTimes(0);
    await contexts.get('r');
    expect(loads).toHaveBeenCalledTimes(1);
  });
});

describe('PulledFeeds (a pulled author read once for all its readers)', () => {
  const act = (id: string, ms: number): Activity => ({ id, actor: 'celeb', type: 'post', object: id, published: new Date(ms).toISOString() });

  async function setup() {
    const timelines = new InMemoryTimelineStore();
    const now = Date.now();
    for (let i = 0; i < 5; i++) {
      const a = act(`c${i}`, now - (i + 1) * 60_000);
      await timelines.appendUserFeed({ ms: Date.parse(a.published), id: a.id, actor: 'celeb', activity: a }, 1, 3600);
    }
    const reads = jest.spyOn(timelines, 'readUserFeed');
    return { timelines, pulled: new PulledFeeds(cfg({ READ_PULLED_CACHE_MS: '60000' }), timelines), reads, now };
  }

  it('shares first slices between readers (one store read for many), with their bodies', async () => {
    const { pulled, reads, now } = await setup();
    const pages = await Promise.all(Array.from({ length: 20 }, () => pulled.read('celeb', null, now - 3_600_000, 3)));
    expect(reads).toHaveBeenCalledTimes(1);
    for (const p of pages) {
      expect(p.rows.map((r) => r.id)).toEqual(['c0', 'c1', 'c2']);
      expect(p.rows[0]?.activity?.object).toBe('c0');
      expect(p.exhausted).toBe(false);
    }
  });

  it('answers a higher floor or a smaller limit from the cached slice exactly as the store would', async () => {
    const { pulled, timelines, reads, now } = await setup();
    await pulled.read('celeb', null, now - 3_600_000, 10);
    const floor = now - 2.5 * 60_000;
    const cached = await pulled.read('celeb', null, floor, 10);
    const direct = await timelines.readUserFeed('celeb', null, floor, 10);
    expect(cached).toEqual(direct);
    expect((await pulled.read('celeb', null, now - 3_600_000, 2)).rows.map((r) => r.id)).toEqual(['c0', 'c1']);
    expect(reads).toHaveBeenCalledTimes(2); // the initial load and `direct`
  });

  it('reads older slices (a cursor) and larger limits from the store', async () => {
    const { pulled, reads, now } = await setup();
    await pulled.read('celeb', null, now - 3_600_000, 2);
    await pulled.read('celeb', null, now - 3_600_000, 4);
    await pulled.read('celeb', { ms: now, id: 'z' }, now - 3_600_000, 2);
    expect(reads).toHaveBeenCalledTimes(3);
  });
});

describe('a home page with a cached reader context', () => {
  it('refreshes the last-read time once, not on every page (the cached state learns the new time)', async () => {
    const c = cfg();
    const stores = {
      activities: new InMemoryActivityStore(),
      timelines: new InMemoryTimelineStore(),
      graph: new InMemoryGraphStore(),
      readers: new InMemoryReaderStateStore(),
      deletes: new InMemoryDeleteMarkerStore(),
      foreignIds: new InMemoryForeignIdStore(),
      events: { publishActivity: async () => undefined, publishDelete: async () => undefined, publishGraphChange: async () => undefined },
    };
    // An active reader, last read two hours ago, whose home is in the current layout.
    await stores.readers.startRebuild('r', Date.now() - 2 * HOUR);
    await stores.readers.finishRebuild('r', Date.now() - 2 * HOUR, 0, HOME_LAYOUT_VERSION);
    const { reader, recentDeletes } = createReadPath(c, stores);
    await recentDeletes.refresh();
    const writes = jest.spyOn(stores.readers, 'setLastRead');
    for (let i = 0; i < 5; i++) await reader.homeFeed('r', 25);
    expect(writes).toHaveBeenCalledTimes(1);
  });
});
