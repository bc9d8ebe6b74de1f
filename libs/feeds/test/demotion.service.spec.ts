import { loadAppConfig } from '@app/config';
import { Activity, newActivityId, UserId } from '@app/domain';
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
import { HomeMaterializer } from '../src/home/home-materializer';
import { DEMOTE_WAIT_MARGIN_MS, DemotionService } from '../src/write/demotion.service';
import { NOOP_FANOUT_METRICS } from '../src/write/fanout-metrics';
import { createWritePath } from '../src/write/fanout.service';
import { FollowBackfill } from '../src/write/follow-backfill';
import { PromotionService } from '../src/write/promotion.service';

/** Pull back to push (`tideline demote`) on in-memory stores, with one worker's write path running beside it. */
const CACHE_MS = 40;

function setup(threshold = 3) {
  const cfg = loadAppConfig({
    FANOUT_CHUNK_SIZE: '2',
    FANOUT_HIGH_FOLLOWER_THRESHOLD: String(threshold),
    FOLLOW_BACKFILL_LIMIT: '10',
    FANOUT_PULL_DECISION_CACHE_MS: String(CACHE_MS),
    FANOUT_CONCURRENCY: '2',
  });
  const timelines = new InMemoryTimelineStore();
  const chunks = new RecordingChunkPublisher();
  const graph = new InMemoryGraphStore();
  const readers = new InMemoryReaderStateStore();
  const worker = createWritePath(cfg, {
    activities: new InMemoryActivityStore(),
    timelines,
    graph,
    readers,
    notifications: new InMemoryNotificationStore(),
    deletes: new InMemoryDeleteMarkerStore(),
    foreignIds: new InMemoryForeignIdStore(),
    chunks,
    live: new RecordingLivePublisher(),
    metrics: NOOP_FANOUT_METRICS,
  });
  const homes = new HomeMaterializer(cfg, timelines);
  const demotion = new DemotionService(cfg, graph, homes, new FollowBackfill(homes, readers));
  const beat = async (): Promise<void> => undefined;
  /** Applies the fanout chunks published so far, as the worker does from the fanout topic. */
  const deliverChunks = async (): Promise<void> => {
    for (const c of chunks.acknowledged.splice(0)) await worker.applyChunk(c);
  };
  return { cfg, worker, timelines, graph, readers, demotion, beat, deliverChunks };
}

let n = 0;
const post = (actor: UserId): Activity => {
  const ms = Date.now() - 1_000 + n++;
  return { id: newActivityId(ms), actor, type: 'post', object: `note:${n}`, published: new Date(ms).toISOString() };
};
const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DemotionService (tideline demote)', () => {
  it('keeps every post visible: posts made while pulled, and while workers still cached "pulled", land in every home', async () => {
    const t = setup();
    const fans = ['f1', 'f2', 'f3', 'f4', 'f5'];
    for (const f of fans) {
      t.graph.follow(f, 'star', Date.now() - 60_000);
      await t.readers.setLastRead(f, Date.now());
    }
    const before = post('star');
    await t.worker.ingest(before, Date.now(), t.beat); // crosses the threshold: promoted, not fanned out
    expect(t.graph.highFollowers.has('star')).toBe(true);
    for (const f of fans) expect(t.timelines.homeIds(f)).toEqual([]);
    for (const f of fans) expect(await t.graph.pulledFollows(f)).toEqual(['star']);

    const during = post('star');
    const waits: number[] = [];
    const r = await t.demotion.demoteNow('star', {}, async (ms) => {
      waits.push(ms);
      // The worker still trusts its cached "pulled": this post is not fanned out either.
      await t.worker.ingest(during, Date.now(), t.beat);
      await t.deliverChunks();
      for (const f of fans) expect(t.timelines.homeIds(f)).toEqual([]);
      await realSleep(ms);
    });
    expect(waits).toEqual([CACHE_MS + DEMOTE_WAIT_MARGIN_MS]);
    expect(r).toMatchObject({ already: false, followers: 5, activities: 2 });
    for (const f of fans) {
      expect(t.timelines.homeIds(f).sort()).toEqual([before.id, during.id].sort());
      expect(await t.graph.pulledFollows(f)).toEqual([]);
    }
    expect(t.graph.highFollowers.has('star')).toBe(false);
    expect(await t.graph.isPushPinned('star')).toBe(true);

    // Pinned: above the threshold, the next post is fanned out, not promoted again.
    const after = post('star');
    await t.worker.ingest(after, Date.now(), t.beat);
    await t.deliverChunks();
    expect(t.graph.highFollowers.has('star')).toBe(false);
    for (const f of fans) expect(t.timelines.homeIds(f)).toContain(after.id);

    // Again: already pushed, nothing waited for.
    const again = await t.demotion.demoteNow('star', {}, async () => {
      throw new Error('must not wait');
    });
    expect(again).toMatchObject({ already: true, followers: 0 });
  });

  it('is written at the follow time, so an unfollow that raced with it still wins', async () => {
    const t = setup();
    t.graph.follow('fan', 'star', 1_000);
    await t.readers.setLastRead('fan', Date.now());
    await new PromotionService(t.cfg, t.graph).promoteNow('star', t.beat);
    const p = post('star');
    await t.worker.ingest(p, Date.now(), t.beat);
    await t.demotion.demoteNow('star', {}, async (ms) => {
      await realSleep(ms);
      // The unfollow is applied before the copy is written: its later timestamp still removes the copy.
      await t.worker.applyGraphChange({ op: 'unfollow', user: 'fan', target: 'star', atMs: Date.now() }, t.beat);
    });
    expect(t.timelines.homeIds('fan')).toEqual([]);
  });

  it('promote after demote lifts the pin and serves by pull again', async () => {
    const t = setup(100);
    t.graph.follow('fan', 'star', 1_000);
    const promotion = new PromotionService(t.cfg, t.graph);
    await promotion.promoteNow('star', t.beat);
    await t.demotion.demoteNow('star', {}, (ms) => realSleep(ms));
    expect(await t.graph.isPushPinned('star')).toBe(true);
    expect(await promotion.promoteNow('star', t.beat)).toMatchObject({ already: false, followers: 1 });
    expect(await t.graph.isPushPinned('star')).toBe(false);
    expect(t.graph.highFollowers.has('star')).toBe(true);
    expect(await t.graph.pulledFollows('fan')).toEqual(['star']);
  });

  it('for an author never pulled, only writes the pin', async () => {
    const t = setup();
    t.graph.follow('fan', 'small', 1_000);
    const r = await t.demotion.demoteNow('small', {}, async () => {
      throw new Error('must not wait');
    });
    expect(r).toEqual({ already: false, followers: 0, activities: 0, waitedMs: 0 });
    expect(await t.graph.isPushPinned('small')).toBe(true);
  });
});
