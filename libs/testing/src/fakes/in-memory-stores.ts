import { bucketOf, bucketsDescending, dayNumber, HOME_BUCKET_MS, MAX_FUTURE_SKEW_MS, toIso, USER_FEED_BUCKET_MS } from '@app/domain';
import type { Activity, FeedPosition, GraphChange, NotificationEntry, UserId } from '@app/domain';
import type {
  ActivityStore,
  FanoutChunk,
  FanoutChunkPublisher,
  FeedRef,
  GraphPage,
  GraphStore,
  LiveEvent,
  LivePublisher,
  NotificationStore,
  ReaderState,
  ReaderStateStore,
  SlicePage,
  StoredActivity,
  TimelineStore,
} from '@app/feeds';

/**
 * In-memory versions of the ports in libs/feeds/src/ports.ts for unit tests. They mirror the Cassandra
 * semantics that the application relies on: upserts, last-write-wins by write timestamp (a delete wins a
 * tie), `put` never touching the `deleted` flag, and newest-first slices. TTLs are recorded, not enforced,
 * except that a write whose TTL is below one second is skipped, as the Cassandra stores do. The store
 * contracts in ../contracts run against both these fakes and Cassandra, so keep them passing.
 */

/** Like storage-cassandra's ttlOrNull: a TTL that floors below one second means the write is skipped. */
const liveTtl = (ttlSeconds: number): boolean => Math.floor(ttlSeconds) >= 1;

/** What Cassandra reads back: `published` at ms precision, empty `to` absent, `extra` through JSON. */
function stored(a: Activity): Activity {
  const { target, to, foreignId, extra } = a;
  return {
    id: a.id,
    actor: a.actor,
    type: a.type,
    object: a.object,
    published: toIso(Date.parse(a.published)),
    ...(target !== undefined ? { target } : {}),
    ...(to !== undefined && to.length > 0 ? { to: [...to] } : {}),
    ...(foreignId !== undefined ? { foreignId } : {}),
    ...(extra !== undefined ? { extra: JSON.parse(JSON.stringify(extra)) as Record<string, unknown> } : {}),
  };
}

const newestFirst = (a: FeedPosition, b: FeedPosition): number =>
  a.ms !== b.ms ? b.ms - a.ms : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

/** True when `p` is strictly older than `before` in newest-first order. */
const olderThan = (p: FeedPosition, before: FeedPosition | null): boolean => before === null || newestFirst(before, p) < 0;

export class InMemoryActivityStore implements ActivityStore {
  readonly rows = new Map<string, StoredActivity>();
  readonly ttls = new Map<string, number>();

  async get(id: string): Promise<StoredActivity | null> {
    return this.rows.get(id) ?? null;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, StoredActivity>> {
    const out = new Map<string, StoredActivity>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) out.set(id, row);
    }
    return out;
  }

  async put(activity: Activity, acceptedMs: number, ttlSeconds: number): Promise<void> {
    if (!liveTtl(ttlSeconds)) return;
    const prev = this.rows.get(activity.id);
    // Written with timestamp acceptedMs*1000: an older put loses to a newer one (a marker row has no body).
    if (prev?.activity && prev.acceptedMs > acceptedMs) return;
    // Like the Cassandra row: put never touches `deleted_by`; deleted = its own actor deleted it.
    const deletedBy = prev?.deletedBy ?? [];
    this.rows.set(activity.id, { activity: stored(activity), acceptedMs, deleted: deletedBy.includes(activity.actor), deletedBy });
    this.ttls.set(activity.id, ttlSeconds);
  }

  async markDeleted(id: string, actor: UserId, _tsMicros: number, ttlSeconds: number): Promise<void> {
    if (!liveTtl(ttlSeconds)) return;
    const prev = this.rows.get(id);
    // deleted_by is a set<text>: sorted, no duplicates.
    const deletedBy = [...new Set([...(prev?.deletedBy ?? []), actor])].sort();
    this.rows.set(
      id,
      prev?.activity
        ? { activity: prev.activity, acceptedMs: prev.acceptedMs, deleted: deletedBy.includes(prev.activity.actor), deletedBy }
        : { activity: null, acceptedMs: 0, deleted: false, deletedBy },
    );
  }
}

interface Cell {
  readonly ref: FeedRef;
  readonly ts: number;
  readonly live: boolean;
  readonly ttl: number;
}

/** Rows are keyed by (published, id), like the clustering key: the same id at another ms is another row. */
const rowKey = (p: FeedPosition): string => `${p.ms}\u0000${p.id}`;

/** storage-cassandra's MAX_BUCKET_WAVE: buckets read at once while skipping empty ones. */
const MAX_BUCKET_WAVE = 8;

/** A set of feeds keyed by owner, with per-row last-write-wins timestamps. */
class LwwFeeds {
  private readonly feeds = new Map<string, Map<string, Cell>>();
  writes = 0;

  constructor(private readonly bucketMs: number) {}

  upsert(owner: string, ref: FeedRef, ts: number, ttl: number): void {
    if (!liveTtl(ttl)) return;
    this.writes++;
    const feed = this.feed(owner);
    const prev = feed.get(rowKey(ref));
    if (prev && prev.ts >= ts && !(prev.live && prev.ts === ts)) return;
    // Like the body column: the activity as JSON, read back parsed (absent when the ref carries none).
    const activity = ref.activity !== undefined ? (JSON.parse(JSON.stringify(ref.activity)) as Activity) : undefined;
    feed.set(rowKey(ref), { ref: { ms: ref.ms, id: ref.id, actor: ref.actor, ...(activity ? { activity } : {}) }, ts, live: true, ttl });
  }

  remove(owner: string, ref: FeedRef, ts: number): void {
    const feed = this.feed(owner);
    const prev = feed.get(rowKey(ref));
    if (prev && prev.ts > ts) return;
    feed.set(rowKey(ref), { ref: { ms: ref.ms, id: ref.id, actor: ref.actor }, ts, live: false, ttl: 0 });
  }

  rows(owner: string): FeedRef[] {
    return [...(this.feeds.get(owner)?.values() ?? [])].filter((c) => c.live).map((c) => c.ref).sort(newestFirst);
  }

  cell(owner: string, id: string): Cell | undefined {
    return [...(this.feeds.get(owner)?.values() ?? [])].find((c) => c.ref.id === id);
  }

  /**
   * Like storage-cassandra's readBucketed, including when `exhausted` is reported: buckets are walked
   * newest first in waves (one, doubling over empty buckets up to MAX_BUCKET_WAVE, back to one after a
   * wave that found rows), each bucket yielding at most the rows still missing plus one; the walk stops
   * once `limit` rows are found, and `exhausted` is true only if every bucket down to the floor was read
   * and none yielded a row beyond the page. (Unlike Cassandra, a null `before` also sees rows beyond the
   * allowed future skew.)
   */
  slice(owner: string, before: FeedPosition | null, floorMs: number, limit: number): SlicePage {
    if (limit <= 0) return { rows: [], exhausted: false };
    const all = this.rows(owner).filter((r) => olderThan(r, before) && r.ms >= floorMs);
    const startMs = before ? before.ms : Math.max(Date.now() + MAX_FUTURE_SKEW_MS, all[0]?.ms ?? floorMs);
    const buckets = startMs >= floorMs ? bucketsDescending(startMs, floorMs, this.bucketMs) : [];
    const perBucket = new Map<number, number>();
    for (const r of all) {
      const b = bucketOf(r.ms, this.bucketMs);
      perBucket.set(b, (perBucket.get(b) ?? 0) + 1);
    }
    let found = 0;
    let next = 0;
    let wave = 1;
    while (next < buckets.length && found < limit) {
      const slice = buckets.slice(next, next + wave);
      const want = limit + 1 - found;
      const got = slice.reduce((n, b) => n + Math.min(perBucket.get(b) ?? 0, want), 0);
      found += got;
      next += slice.length;
      wave = got > 0 ? 1 : Math.min(wave * 2, MAX_BUCKET_WAVE);
    }
    return { rows: all.slice(0, limit), exhausted: found <= limit && next >= buckets.length };
  }

  private feed(owner: string): Map<string, Cell> {
    let f = this.feeds.get(owner);
    if (!f) {
      f = new Map();
      this.feeds.set(owner, f);
    }
    return f;
  }
}

export class InMemoryTimelineStore implements TimelineStore {
  readonly user = new LwwFeeds(USER_FEED_BUCKET_MS);
  readonly home = new LwwFeeds(HOME_BUCKET_MS);

  async appendUserFeed(ref: FeedRef, tsMicros: number, ttlSeconds: number): Promise<void> {
    this.user.upsert(ref.actor, ref, tsMicros, ttlSeconds);
  }
  async removeUserFeed(ref: FeedRef, tsMicros: number): Promise<void> {
    this.user.remove(ref.actor, ref, tsMicros);
  }
  async readUserFeed(actor: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage> {
    return this.user.slice(actor, before, floorMs, limit);
  }
  async appendHome(userIds: readonly UserId[], ref: FeedRef, tsMicros: number, ttlSeconds: number, _concurrency: number): Promise<void> {
    for (const u of userIds) this.home.upsert(u, ref, tsMicros, ttlSeconds);
  }
  async appendHomeMany(userId: UserId, refs: readonly FeedRef[], tsMicros: number, ttlOf: (ref: FeedRef) => number, _concurrency: number): Promise<void> {
    for (const r of refs) this.home.upsert(userId, r, tsMicros, ttlOf(r));
  }
  async removeHome(userIds: readonly UserId[], ref: FeedRef, tsMicros: number, _concurrency: number): Promise<void> {
    for (const u of userIds) this.home.remove(u, ref, tsMicros);
  }
  async removeHomeMany(userId: UserId, refs: readonly FeedRef[], tsMicros: number, _concurrency: number): Promise<void> {
    for (const r of refs) this.home.remove(userId, r, tsMicros);
  }
  async readHome(userId: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage> {
    return this.home.slice(userId, before, floorMs, limit);
  }

  /** Ids in `user`'s home timeline, newest first. */
  homeIds(user: UserId): string[] {
    return this.home.rows(user).map((r) => r.id);
  }
  /** Ids in `actor`'s user feed, newest first. */
  userFeedIds(actor: UserId): string[] {
    return this.user.rows(actor).map((r) => r.id);
  }
}

interface Edge {
  readonly exists: boolean;
  readonly atMs: number;
  readonly sinceMs: number;
}

export class InMemoryGraphStore implements GraphStore {
  private readonly follows = new Map<string, Edge>();
  private readonly mutes = new Map<string, Edge>();
  readonly highFollowers = new Map<UserId, number>();
  readonly pushPinned = new Map<UserId, number>();
  /** pulled_follows cells: last-write-wins by timestamp, a delete winning a tie. */
  private readonly pulled = new Map<UserId, Map<UserId, { ts: number; live: boolean }>>();
  /** Every addPulledFollow call, in order (user, author). */
  readonly pulledAdds: [UserId, UserId][] = [];

  async apply(change: GraphChange): Promise<{ exists: boolean; changed: boolean }> {
    const isMute = change.op === 'mute' || change.op === 'unmute';
    const table = isMute ? this.mutes : this.follows;
    const key = `${change.user}\u0000${change.target}`;
    const before = table.get(key);
    const wantExists = change.op === 'follow' || change.op === 'mute';
    // Newest change wins; at equal timestamps the delete (tombstone) wins, like Cassandra.
    const wins = !before || change.atMs > before.atMs || (change.atMs === before.atMs && !wantExists);
    // A winning follow rewrites `since` (the Cassandra row's `since` cell carries the same timestamp).
    if (wins) table.set(key, { exists: wantExists, atMs: change.atMs, sinceMs: wantExists ? change.atMs : 0 });
    const exists = table.get(key)?.exists ?? false;
    return { exists, changed: exists !== (before?.exists ?? false) };
  }

  /** Test helper: makes `user` follow `target` at `atMs`. */
  follow(user: UserId, target: UserId, atMs = 1): void {
    this.follows.set(`${user}\u0000${target}`, { exists: true, atMs, sinceMs: atMs });
  }

  async isFollowing(user: UserId, target: UserId): Promise<boolean> {
    return this.follows.get(`${user}\u0000${target}`)?.exists ?? false;
  }
  async followingAmong(user: UserId, candidates: readonly UserId[]): Promise<Set<UserId>> {
    return new Set(candidates.filter((c) => this.follows.get(`${user}\u0000${c}`)?.exists));
  }
  async mutedBy(user: UserId): Promise<Set<UserId>> {
    return new Set(this.edges(this.mutes).filter(([u]) => u === user).map(([, t]) => t));
  }
  async followingPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage> {
    return this.page(this.edges(this.follows).filter(([u]) => u === user).map(([, t, e]) => ({ userId: t, sinceMs: e.sinceMs })), after, limit);
  }
  async mutedPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage> {
    return this.page(this.edges(this.mutes).filter(([u]) => u === user).map(([, t, e]) => ({ userId: t, sinceMs: e.sinceMs })), after, limit);
  }
  async followersPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage> {
    return this.page(this.edges(this.follows).filter(([, t]) => t === user).map(([u, , e]) => ({ userId: u, sinceMs: e.sinceMs })), after, limit);
  }
  async *followerPages(user: UserId, pageSize: number): AsyncIterable<UserId[]> {
    const all = this.followersOf(user);
    for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
  }
  async *followingPages(user: UserId, pageSize: number): AsyncIterable<UserId[]> {
    const all = this.followingOf(user);
    for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
  }
  async followerCount(user: UserId): Promise<number> {
    return this.followersOf(user).length;
  }
  async followingCount(user: UserId, upTo: number): Promise<number> {
    return Math.min(upTo, this.followingOf(user).length);
  }
  async isHighFollower(author: UserId): Promise<boolean> {
    return this.highFollowers.has(author);
  }
  async markHighFollower(author: UserId, sinceMs: number): Promise<void> {
    if (!this.highFollowers.has(author)) this.highFollowers.set(author, sinceMs);
  }
  async unmarkHighFollower(author: UserId): Promise<void> {
    this.highFollowers.delete(author);
  }
  async isPushPinned(author: UserId): Promise<boolean> {
    return this.pushPinned.has(author);
  }
  async setPushPin(author: UserId, sinceMs: number | null): Promise<void> {
    if (sinceMs === null) this.pushPinned.delete(author);
    else this.pushPinned.set(author, sinceMs);
  }
  async addPulledFollow(user: UserId, author: UserId, tsMicros: number): Promise<void> {
    this.pulledAdds.push([user, author]);
    const cells = this.pulledOf(user);
    const prev = cells.get(author);
    if (prev && (prev.ts > tsMicros || (prev.ts === tsMicros && !prev.live))) return;
    cells.set(author, { ts: tsMicros, live: true });
  }
  async removePulledFollow(user: UserId, author: UserId, tsMicros: number): Promise<void> {
    const cells = this.pulledOf(user);
    const prev = cells.get(author);
    if (prev && prev.ts > tsMicros) return;
    cells.set(author, { ts: tsMicros, live: false });
  }
  async pulledFollows(user: UserId): Promise<UserId[]> {
    return [...(this.pulled.get(user) ?? [])].filter(([, c]) => c.live).map(([a]) => a).sort();
  }

  private pulledOf(user: UserId): Map<UserId, { ts: number; live: boolean }> {
    let cells = this.pulled.get(user);
    if (!cells) {
      cells = new Map();
      this.pulled.set(user, cells);
    }
    return cells;
  }

  followersOf(user: UserId): UserId[] {
    return this.edges(this.follows).filter(([, t]) => t === user).map(([u]) => u).sort();
  }
  followingOf(user: UserId): UserId[] {
    return this.edges(this.follows).filter(([u]) => u === user).map(([, t]) => t).sort();
  }

  private edges(table: Map<string, Edge>): [UserId, UserId, Edge][] {
    return [...table.entries()]
      .filter(([, e]) => e.exists)
      .map(([k, e]) => {
        const [u = '', t = ''] = k.split('\u0000');
        return [u, t, e];
      });
  }

  private page(items: { userId: UserId; sinceMs: number }[], after: UserId | null, limit: number): GraphPage {
    const sorted = items.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)).filter((i) => after === null || i.userId > after);
    const page = sorted.slice(0, limit);
    return { items: page, next: sorted.length > limit ? (page[page.length - 1]?.userId ?? null) : null };
  }
}

export class InMemoryReaderStateStore implements ReaderStateStore {
  readonly states = new Map<UserId, ReaderState>();

  async get(user: UserId): Promise<ReaderState> {
    return this.states.get(user) ?? { lastReadMs: null, homeFloorMs: null, seenAllMs: 0, readAllMs: 0, rebuildStartedMs: null, rebuiltMs: null, homeLayout: 0 };
  }
  async lastReadMany(users: readonly UserId[], _concurrency: number): Promise<Map<UserId, number>> {
    const out = new Map<UserId, number>();
    for (const u of users) {
      const ms = this.states.get(u)?.lastReadMs;
      if (ms !== undefined && ms !== null) out.set(u, ms);
    }
    return out;
  }
  /** Watermarks are written with timestamp ms*1000, so they only move forward (see user-state.cql). */
  async setLastRead(user: UserId, ms: number): Promise<void> {
    const s = await this.get(user);
    this.states.set(user, { ...s, lastReadMs: Math.max(s.lastReadMs ?? ms, ms) });
  }
  async setHomeFloor(user: UserId, ms: number): Promise<void> {
    this.states.set(user, { ...(await this.get(user)), homeFloorMs: ms });
  }
  async startRebuild(user: UserId, ms: number): Promise<void> {
    const s = await this.get(user);
    this.states.set(user, { ...s, lastReadMs: Math.max(s.lastReadMs ?? ms, ms), rebuildStartedMs: Math.max(s.rebuildStartedMs ?? ms, ms) });
  }
  async finishRebuild(user: UserId, startedMs: number, floorMs: number, layout: number): Promise<void> {
    this.states.set(user, { ...(await this.get(user)), rebuiltMs: startedMs, homeFloorMs: floorMs, homeLayout: layout });
  }
  async markAll(user: UserId, kind: 'seen' | 'read', ms: number): Promise<void> {
    const s = await this.get(user);
    // Marking all read marks all seen too.
    const seen = { ...s, seenAllMs: Math.max(s.seenAllMs, ms) };
    this.states.set(user, kind === 'seen' ? seen : { ...seen, readAllMs: Math.max(s.readAllMs, ms) });
  }
}

interface NotificationCell {
  readonly entry: NotificationEntry;
  readonly ts: number;
  readonly live: boolean;
}

/**
 * notification_log rows keyed by (day, published, id), last-write-wins by `tsMicros` (a remove wins a
 * tie), plus the notification_days index, which is never deleted from: a day whose entries were all
 * removed is still listed and reads as empty. Marks are written with timestamp ms*1000 (they only move
 * forward), and marking read marks seen too.
 */
export class InMemoryNotificationStore implements NotificationStore {
  private readonly logs = new Map<UserId, Map<string, NotificationCell>>();
  private readonly dayIndex = new Map<UserId, Set<number>>();
  private readonly markMaps = new Map<UserId, { seen: Map<string, number>; read: Map<string, number> }>();

  async append(recipients: readonly UserId[], entry: NotificationEntry, ttlSeconds: number, tsMicros: number): Promise<void> {
    if (!liveTtl(ttlSeconds)) return;
    const copy: NotificationEntry = { ms: entry.ms, id: entry.id, actor: entry.actor, type: entry.type, object: entry.object, receivedMs: entry.receivedMs };
    for (const r of recipients) {
      const log = this.log(r);
      const prev = log.get(rowKey(entry));
      if (!(prev && (prev.ts > tsMicros || (prev.ts === tsMicros && !prev.live)))) log.set(rowKey(entry), { entry: copy, ts: tsMicros, live: true });
      let days = this.dayIndex.get(r);
      if (!days) {
        days = new Set();
        this.dayIndex.set(r, days);
      }
      days.add(dayNumber(entry.ms));
    }
  }
  async remove(recipients: readonly UserId[], ref: FeedPosition, tsMicros: number): Promise<void> {
    for (const r of recipients) {
      const log = this.log(r);
      const prev = log.get(rowKey(ref));
      if (prev && prev.ts > tsMicros) continue;
      const entry = prev?.entry ?? { ms: ref.ms, id: ref.id, actor: '', type: '', object: '', receivedMs: 0 };
      log.set(rowKey(ref), { entry, ts: tsMicros, live: false });
    }
  }
  async days(user: UserId, floorDay: number, ceilingDay: number, limit: number): Promise<number[]> {
    const days = [...(this.dayIndex.get(user) ?? [])].filter((d) => d >= floorDay && d <= ceilingDay);
    return days.sort((a, b) => b - a).slice(0, limit);
  }
  async readDay(user: UserId, day: number, limit: number): Promise<NotificationEntry[]> {
    return this.entries(user).filter((e) => dayNumber(e.ms) === day).slice(0, limit);
  }
  async marks(user: UserId, groupIds: readonly string[]): Promise<{ seen: Map<string, number>; read: Map<string, number> }> {
    const m = this.markMaps.get(user);
    const only = (src: Map<string, number> | undefined): Map<string, number> => new Map([...(src ?? [])].filter(([g]) => groupIds.includes(g)));
    return { seen: only(m?.seen), read: only(m?.read) };
  }
  async mark(user: UserId, groupIds: readonly string[], kind: 'seen' | 'read', ms: number, ttlSeconds: number): Promise<void> {
    if (!liveTtl(ttlSeconds)) return;
    let m = this.markMaps.get(user);
    if (!m) {
      m = { seen: new Map(), read: new Map() };
      this.markMaps.set(user, m);
    }
    const targets = kind === 'seen' ? [m.seen] : [m.seen, m.read];
    for (const target of targets) for (const g of groupIds) target.set(g, Math.max(target.get(g) ?? ms, ms));
  }

  /** Test helper: the entries in `user`'s notification log, newest first. */
  entries(user: UserId): NotificationEntry[] {
    return [...this.log(user).values()].filter((c) => c.live).map((c) => c.entry).sort(newestFirst);
  }

  private log(user: UserId): Map<string, NotificationCell> {
    let l = this.logs.get(user);
    if (!l) {
      l = new Map();
      this.logs.set(user, l);
    }
    return l;
  }
}

/** Records every chunk; `acknowledged` holds those whose publish resolved (i.e. Kafka acked them). */
export class RecordingChunkPublisher implements FanoutChunkPublisher {
  readonly acknowledged: FanoutChunk[] = [];
  calls = 0;

  async publishChunks(chunks: readonly FanoutChunk[]): Promise<void> {
    this.calls++;
    this.acknowledged.push(...chunks);
  }
}

export class RecordingLivePublisher implements LivePublisher {
  readonly events: LiveEvent[] = [];

  async announce(event: LiveEvent): Promise<void> {
    this.events.push(event);
  }
}
