import { loadAppConfig } from '@app/config';
import { Activity, DAY_MS, DomainError, newActivityId, UserId } from '@app/domain';
import {
  InMemoryDeleteMarkerStore,
  InMemoryForeignIdStore,
  InMemoryActivityStore,
  InMemoryGraphStore,
  InMemoryNotificationStore,
  InMemoryReaderStateStore,
  InMemoryTimelineStore,
  RecordingChunkPublisher,
  RecordingLivePublisher,
} from '@app/testing';
import { NOOP_FANOUT_METRICS } from '../src/write/fanout-metrics';
import { createWritePath } from '../src/write/fanout.service';

const CHUNK = 3;
const THRESHOLD = 10;
const BACKFILL = 3;

function setup() {
  const cfg = loadAppConfig({
    FANOUT_CHUNK_SIZE: String(CHUNK),
    FANOUT_HIGH_FOLLOWER_THRESHOLD: String(THRESHOLD),
    FOLLOW_BACKFILL_LIMIT: String(BACKFILL),
    FANOUT_INACTIVE_DAYS: '30',
    HOME_WINDOW_DAYS: '14',
    FEED_RETENTION_DAYS: '365',
    FANOUT_CONCURRENCY: '4',
  });
  const activities = new InMemoryActivityStore();
  const timelines = new InMemoryTimelineStore();
  const graph = new InMemoryGraphStore();
  const readers = new InMemoryReaderStateStore();
  const notifications = new InMemoryNotificationStore();
  const chunks = new RecordingChunkPublisher();
  const live = new RecordingLivePublisher();
  const deletes = new InMemoryDeleteMarkerStore();
  const svc = createWritePath(cfg, { activities, timelines, graph, readers, notifications, deletes, foreignIds: new InMemoryForeignIdStore(), chunks, live, metrics: NOOP_FANOUT_METRICS });
  let beats = 0;
  const heartbeat = async (): Promise<void> => {
    beats++;
  };
  /** `n` followers of `author`, all active (read their home feed an hour ago) unless told otherwise. */
  const followers = async (author: UserId, n: number, prefix = 'f'): Promise<UserId[]> => {
    const users = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
    for (const u of users) {
      graph.follow(u, author);
      await readers.setLastRead(u, Date.now() - 3_600_000);
    }
    return users;
  };
  return { cfg, svc, activities, timelines, graph, readers, notifications, chunks, live, heartbeat, beats: () => beats, followers };
}

let counter = 0;
function activity(actor: UserId, over: Partial<Activity> = {}, agoMs = 60_000): Activity {
  const ms = Date.now() - agoMs - counter++;
  return { id: newActivityId(ms), actor, type: 'Create', object: `post:${counter}`, published: new Date(ms).toISOString(), ...over };
}

describe('FanoutService.ingest', () => {
  it('stores the activity, writes the author feed and the author home', async () => {
    const t = setup();
    const a = activity('alice');
    expect(await t.svc.ingest(a, Date.now(), t.heartbeat)).toBe('stored');
    expect((await t.activities.get(a.id))?.activity).toEqual(a);
    expect((await t.activities.get(a.id))?.deleted).toBe(false);
    expect(t.timelines.userFeedIds('alice')).toEqual([a.id]);
    expect(t.timelines.homeIds('alice')).toEqual([a.id]);
    expect(t.activities.ttls.get(a.id)).toBeGreaterThan(364 * 86_400);
  });

  it('notifies every `to` recipient once, but not the actor', async () => {
    const t = setup();
    const a = activity('alice', { to: ['bob', 'alice', 'carol', 'bob'] });
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    expect(t.notifications.entries('bob').map((e) => e.id)).toEqual([a.id]);
    expect(t.notifications.entries('carol')).toEqual([expect.objectContaining({ id: a.id, actor: 'alice', type: 'Create', object: a.object })]);
    expect(t.notifications.entries('alice')).toEqual([]);
    const notified = t.live.events.filter((e) => e.kind === 'notification');
    expect(notified).toEqual([expect.objectContaining({ users: ['bob', 'carol'] })]);
  });

  it('delivers inline to up to chunkSize active followers without publishing chunks', async () => {
    const t = setup();
    const fs = await t.followers('alice', CHUNK);
    const a = activity('alice');
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([a.id]);
    expect(t.chunks.acknowledged).toEqual([]);
    expect(t.live.events).toContainEqual({ kind: 'home', op: 'activity', users: fs, activity: a });
  });

  it('publishes acknowledged chunks covering every follower exactly once when there are more than chunkSize', async () => {
    const t = setup();
    const fs = await t.followers('alice', 2 * CHUNK + 1);
    const a = activity('alice');
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    const chunks = t.chunks.acknowledged;
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.op).toBe('deliver');
      expect(c.ref).toEqual({ ms: Date.parse(a.published), id: a.id, actor: 'alice', activity: a });
      expect(c.users.length).toBeGreaterThan(0);
      expect(c.users.length).toBeLessThanOrEqual(CHUNK);
    }
    expect(chunks.flatMap((c) => c.users).sort()).toEqual(fs);
    expect(new Set(chunks.map((c) => c.seq)).size).toBe(chunks.length);
    // nothing delivered before a worker applies the chunks
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([]);
    for (const c of chunks) await t.svc.applyChunk(c);
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([a.id]);
  });

  it('skips inactive followers (never read, or last read too long ago)', async () => {
    const t = setup();
    const [active] = await t.followers('alice', 1, 'act');
    t.graph.follow('never', 'alice');
    t.graph.follow('old', 'alice');
    await t.readers.setLastRead('old', Date.now() - 31 * DAY_MS);
    const a = activity('alice');
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    expect(t.timelines.homeIds(active as string)).toEqual([a.id]);
    expect(t.timelines.homeIds('never')).toEqual([]);
    expect(t.timelines.homeIds('old')).toEqual([]);
  });

  it('skips inactive followers in published chunks too', async () => {
    const t = setup();
    const fs = await t.followers('alice', 2 * CHUNK);
    // Last read 40 days ago (set directly: like Cassandra's, the store never moves last-read backwards).
    t.readers.states.set(fs[0] as string, { ...(await t.readers.get(fs[0] as string)), lastReadMs: Date.now() - 40 * DAY_MS });
    const a = activity('alice');
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    for (const c of t.chunks.acknowledged) await t.svc.applyChunk(c);
    expect(t.timelines.homeIds(fs[0] as string)).toEqual([]);
    for (const f of fs.slice(1)) expect(t.timelines.homeIds(f)).toEqual([a.id]);
  });

  it('is idempotent: ingesting the same activity twice leaves one entry everywhere', async () => {
    const t = setup();
    const fs = await t.followers('alice', 2);
    const a = activity('alice', { to: ['bob'] });
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    expect(t.timelines.userFeedIds('alice')).toEqual([a.id]);
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([a.id]);
    expect(t.notifications.entries('bob')).toHaveLength(1);
  });

  it('a redelivered create after a delete does not resurrect the activity', async () => {
    const t = setup();
    const fs = await t.followers('alice', 2);
    const a = activity('alice', { to: ['bob'] });
    const acceptedMs = Date.now() - 1000;
    await t.svc.ingest(a, acceptedMs, t.heartbeat);
    await t.svc.remove(a.id, 'alice', Date.now(), t.heartbeat);
    expect(t.timelines.userFeedIds('alice')).toEqual([]);
    expect(t.timelines.homeIds('alice')).toEqual([]);
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([]);
    expect(t.notifications.entries('bob')).toEqual([]);

    expect(await t.svc.ingest(a, acceptedMs, t.heartbeat)).toBe('deleted');
    expect((await t.activities.get(a.id))?.deleted).toBe(true);
    expect(t.timelines.userFeedIds('alice')).toEqual([]);
    expect(t.timelines.homeIds('alice')).toEqual([]);
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([]);
    expect(t.notifications.entries('bob')).toEqual([]);
  });

  it('a delete that arrives before its create wins over the later create', async () => {
    const t = setup();
    await t.followers('alice', 1);
    const a = activity('alice');
    await t.svc.remove(a.id, 'alice', Date.now(), t.heartbeat);
    expect(await t.svc.ingest(a, Date.now(), t.heartbeat)).toBe('deleted');
    expect(t.timelines.userFeedIds('alice')).toEqual([]);
    expect(t.timelines.homeIds('f000')).toEqual([]);
  });

  it('refuses to delete another actor’s activity', async () => {
    const t = setup();
    const a = activity('alice');
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    await expect(t.svc.remove(a.id, 'mallory', Date.now(), t.heartbeat)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(t.svc.remove(a.id, 'mallory', Date.now(), t.heartbeat)).rejects.toBeInstanceOf(DomainError);
    expect(t.timelines.userFeedIds('alice')).toEqual([a.id]);
    expect((await t.activities.get(a.id))?.deleted).toBe(false);
  });

  it('delete of a large fanout publishes remove chunks for every follower', async () => {
    const t = setup();
    const fs = await t.followers('alice', 2 * CHUNK + 2);
    const a = activity('alice');
    await t.svc.ingest(a, Date.now() - 1000, t.heartbeat);
    for (const c of t.chunks.acknowledged) await t.svc.applyChunk(c);
    const before = t.chunks.acknowledged.length;
    await t.svc.remove(a.id, 'alice', Date.now(), t.heartbeat);
    const removes = t.chunks.acknowledged.slice(before);
    expect(removes.every((c) => c.op === 'remove')).toBe(true);
    expect(removes.flatMap((c) => c.users).sort()).toEqual(fs);
    for (const c of removes) await t.svc.applyChunk(c);
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([]);
  });

  it('does not write activities older than the retention window, and only user feeds for ones older than the home window', async () => {
    const t = setup();
    const fs = await t.followers('alice', 1);
    const ancient = activity('alice', {}, 400 * DAY_MS);
    await t.svc.ingest(ancient, Date.now(), t.heartbeat);
    expect(await t.activities.get(ancient.id)).toBeNull();
    expect(t.timelines.userFeedIds('alice')).toEqual([]);
    const old = activity('alice', {}, 20 * DAY_MS);
    await t.svc.ingest(old, Date.now(), t.heartbeat);
    expect(t.timelines.userFeedIds('alice')).toEqual([old.id]);
    expect(t.timelines.homeIds(fs[0] as string)).toEqual([]);
  });

  it('promotes a high-follower author: pulled follows for every follower, flag set, no fanout', async () => {
    const t = setup();
    const fs = await t.followers('star', THRESHOLD + 2);
    const a = activity('star');
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    expect(t.graph.highFollowers.has('star')).toBe(true);
    for (const f of fs) expect(await t.graph.pulledFollows(f)).toEqual(['star']);
    expect(t.chunks.acknowledged).toEqual([]);
    for (const f of fs) expect(t.timelines.homeIds(f)).toEqual([]);
    expect(t.timelines.homeIds('star')).toEqual([a.id]);
    expect(t.timelines.userFeedIds('star')).toEqual([a.id]);
    expect(t.live.events).toContainEqual({ kind: 'pulled', op: 'activity', actor: 'star', activity: a });
    expect(t.beats()).toBeGreaterThan(0);
  });

  it('promotes at exactly the threshold, not below it', async () => {
    const below = setup();
    await below.followers('star', THRESHOLD - 1);
    await below.svc.ingest(activity('star'), Date.now(), below.heartbeat);
    expect(below.graph.highFollowers.has('star')).toBe(false);
    expect(below.chunks.acknowledged.length).toBeGreaterThan(0);

    const at = setup();
    await at.followers('star', THRESHOLD);
    await at.svc.ingest(activity('star'), Date.now(), at.heartbeat);
    expect(at.graph.highFollowers.has('star')).toBe(true);
    expect(at.chunks.acknowledged).toEqual([]);
  });

  it('a following of an already-promoted author is recorded as a pulled follow, not backfilled', async () => {
    const t = setup();
    await t.followers('star', THRESHOLD);
    const a = activity('star');
    await t.svc.ingest(a, Date.now(), t.heartbeat);
    await t.svc.applyGraphChange({ op: 'follow', user: 'newbie', target: 'star', atMs: Date.now() }, t.heartbeat);
    expect(await t.graph.pulledFollows('newbie')).toEqual(['star']);
    expect(t.timelines.homeIds('newbie')).toEqual([]);
  });
});

describe('FanoutService.applyGraphChange', () => {
  async function authorWith(t: ReturnType<typeof setup>, n: number): Promise<Activity[]> {
    const out: Activity[] = [];
    for (let i = 0; i < n; i++) {
      const a = activity('alice', {}, (i + 1) * 60_000);
      await t.svc.ingest(a, Date.now(), t.heartbeat);
      out.push(a);
    }
    return out; // newest first
  }

  it('follow backfills the author’s activities when they fit the limit, without raising the floor', async () => {
    const t = setup();
    const acts = await authorWith(t, BACKFILL - 1);
    await t.svc.applyGraphChange({ op: 'follow', user: 'bob', target: 'alice', atMs: Date.now() }, t.heartbeat);
    expect(await t.graph.isFollowing('bob', 'alice')).toBe(true);
    expect(t.timelines.homeIds('bob')).toEqual(acts.map((a) => a.id));
    expect((await t.readers.get('bob')).homeFloorMs).toBeNull();
  });

  it('follow backfills at most followBackfillLimit, newest first, and raises the home floor to the oldest copied', async () => {
    const t = setup();
    const acts = await authorWith(t, BACKFILL + 3);
    await t.svc.applyGraphChange({ op: 'follow', user: 'bob', target: 'alice', atMs: Date.now() }, t.heartbeat);
    const copied = acts.slice(0, BACKFILL);
    expect(t.timelines.homeIds('bob')).toEqual(copied.map((a) => a.id));
    expect((await t.readers.get('bob')).homeFloorMs).toBe(Date.parse((copied[BACKFILL - 1] as Activity).published));
  });

  it('never lowers an existing, higher home floor', async () => {
    const t = setup();
    await authorWith(t, BACKFILL + 3);
    const high = Date.now() - 1000;
    await t.readers.setHomeFloor('bob', high);
    await t.svc.applyGraphChange({ op: 'follow', user: 'bob', target: 'alice', atMs: Date.now() }, t.heartbeat);
    expect((await t.readers.get('bob')).homeFloorMs).toBe(high);
  });

  it('unfollow removes the author’s activities from the home timeline and drops the pulled follow', async () => {
    const t = setup();
    const acts = await authorWith(t, BACKFILL);
    const other = activity('carol');
    await t.svc.ingest(other, Date.now(), t.heartbeat);
    const t0 = Date.now();
    await t.svc.applyGraphChange({ op: 'follow', user: 'bob', target: 'alice', atMs: t0 }, t.heartbeat);
    await t.svc.applyGraphChange({ op: 'follow', user: 'bob', target: 'carol', atMs: t0 }, t.heartbeat);
    await t.graph.addPulledFollow('bob', 'alice', t0 * 1000);
    expect(t.timelines.homeIds('bob')).toEqual(expect.arrayContaining([...acts.map((a) => a.id), other.id]));
    await t.svc.applyGraphChange({ op: 'unfollow', user: 'bob', target: 'alice', atMs: t0 + 1 }, t.heartbeat);
    expect(await t.graph.isFollowing('bob', 'alice')).toBe(false);
    expect(t.timelines.homeIds('bob')).toEqual([other.id]);
    expect(await t.graph.pulledFollows('bob')).toEqual([]);
  });

  it('a stale follow replayed after a newer unfollow neither backfills nor re-follows', async () => {
    const t = setup();
    await authorWith(t, 2);
    const t0 = Date.now();
    await t.svc.applyGraphChange({ op: 'unfollow', user: 'bob', target: 'alice', atMs: t0 }, t.heartbeat);
    await t.svc.applyGraphChange({ op: 'follow', user: 'bob', target: 'alice', atMs: t0 - 10 }, t.heartbeat);
    expect(await t.graph.isFollowing('bob', 'alice')).toBe(false);
    expect(t.timelines.homeIds('bob')).toEqual([]);
  });

  it('a follow after an activity brings its history; later activities arrive by fanout', async () => {
    const t = setup();
    const [old] = await authorWith(t, 1);
    await t.readers.setLastRead('bob', Date.now());
    await t.svc.applyGraphChange({ op: 'follow', user: 'bob', target: 'alice', atMs: Date.now() }, t.heartbeat);
    const fresh = activity('alice', {}, 1000);
    await t.svc.ingest(fresh, Date.now(), t.heartbeat);
    expect(t.timelines.homeIds('bob')).toEqual([fresh.id, (old as Activity).id]);
  });
});
