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
 * tie), `put` never touching the `deleted` flag, and newest-first slices. TTLs are recorded, not enforced.
 */

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
    if (ttlSeconds <= 0) throw new Error(`put(${activity.id}) with ttl ${ttlSeconds}`);
    const prev = this.rows.get(activity.id);
    // Like the Cassandra row: put never touches `deleted_by`; deleted = its own actor deleted it.
    const deletedBy = prev?.deletedBy ?? [];
    this.rows.set(activity.id, { activity, acceptedMs, deleted: deletedBy.includes(activity.actor), deletedBy });
    this.ttls.set(activity.id, ttlSeconds);
  }

  async markDeleted(id: string, actor: UserId, _tsMicros: number, _ttlSeconds: number): Promise<void> {
    const prev = this.rows.get(id);
    const activity: Activity = prev?.activity ?? { id, actor: '', type: '', object: '', published: '' };
    const deletedBy = [...new Set([...(prev?.deletedBy ?? []), actor])];
    this.rows.set(id, { activity, acceptedMs: prev?.acceptedMs ?? 0, deleted: activity.actor !== '' && deletedBy.includes(activity.actor), deletedBy });
  }
}

interface Cell {
  readonly ref: FeedRef;
  readonly ts: number;
  readonly live: boolean;
  readonly ttl: number;
}

/** A set of feeds keyed by owner, with per-row last-write-wins timestamps. */
class LwwFeeds {
  private readonly feeds = new Map<string, Map<string, Cell>>();
  writes = 0;

  upsert(owner: string, ref: FeedRef, ts: number, ttl: number): void {
    if (ttl <= 0) throw new Error(`append to ${owner} with ttl ${ttl}`);
    this.writes++;
    const feed = this.feed(owner);
    const prev = feed.get(ref.id);
    if (prev && prev.ts >= ts && !(prev.live && prev.ts === ts)) return;
    feed.set(ref.id, { ref: { ms: ref.ms, id: ref.id, actor: ref.actor }, ts, live: true, ttl });
  }

  remove(owner: string, ref: FeedRef, ts: number): void {
    const feed = this.feed(owner);
    const prev = feed.get(ref.id);
    if (prev && prev.ts > ts) return;
    feed.set(ref.id, { ref, ts, live: false, ttl: 0 });
  }

  rows(owner: string): FeedRef[] {
    return [...(this.feeds.get(owner)?.values() ?? [])].filter((c) => c.live).map((c) => c.ref).sort(newestFirst);
  }

  cell(owner: string, id: string): Cell | undefined {
    return this.feeds.get(owner)?.get(id);
  }

  slice(owner: string, before: FeedPosition | null, floorMs: number, limit: number): SlicePage {
    const all = this.rows(owner).filter((r) => olderThan(r, before) && r.ms >= floorMs);
    const rows = all.slice(0, limit);
    return { rows, exhausted: all.length <= limit };
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
  readonly user = new LwwFeeds();
  readonly home = new LwwFeeds();

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
    for (const r of refs) {
      const ttl = ttlOf(r);
      if (ttl > 0) this.home.upsert(userId, r, tsMicros, ttl);
    }
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
  private readonly pulled = new Map<UserId, Set<UserId>>();
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
    if (wins) table.set(key, { exists: wantExists, atMs: change.atMs, sinceMs: wantExists ? (before?.exists ? before.sinceMs : change.atMs) : 0 });
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
  async addPulledFollow(user: UserId, author: UserId, _tsMicros: number): Promise<void> {
    this.pulledAdds.push([user, author]);
    let s = this.pulled.get(user);
    if (!s) {
      s = new Set();
      this.pulled.set(user, s);
    }
    s.add(author);
  }
  async removePulledFollow(user: UserId, author: UserId, _tsMicros: number): Promise<void> {
    this.pulled.get(user)?.delete(author);
  }
  async pulledFollows(user: UserId): Promise<UserId[]> {
    return [...(this.pulled.get(user) ?? [])].sort();
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
    return this.states.get(user) ?? { lastReadMs: null, homeFloorMs: null, seenAllMs: 0, readAllMs: 0, rebuildStartedMs: null, rebuiltMs: null };
  }
  async lastReadMany(users: readonly UserId[], _concurrency: number): Promise<Map<UserId, number>> {
    const out = new Map<UserId, number>();
    for (const u of users) {
      const ms = this.states.get(u)?.lastReadMs;
      if (ms !== undefined && ms !== null) out.set(u, ms);
    }
    return out;
  }
  async setLastRead(user: UserId, ms: number): Promise<void> {
    this.states.set(user, { ...(await this.get(user)), lastReadMs: ms });
  }
  async setHomeFloor(user: UserId, ms: number): Promise<void> {
    this.states.set(user, { ...(await this.get(user)), homeFloorMs: ms });
  }
  async startRebuild(user: UserId, ms: number): Promise<void> {
    const s = await this.get(user);
    this.states.set(user, { ...s, lastReadMs: Math.max(s.lastReadMs ?? 0, ms), rebuildStartedMs: ms });
  }
  async finishRebuild(user: UserId, startedMs: number, floorMs: number): Promise<void> {
    this.states.set(user, { ...(await this.get(user)), rebuiltMs: startedMs, homeFloorMs: floorMs });
  }
  async markAll(user: UserId, kind: 'seen' | 'read', ms: number): Promise<void> {
    const s = await this.get(user);
    this.states.set(user, kind === 'seen' ? { ...s, seenAllMs: Math.max(s.seenAllMs, ms) } : { ...s, readAllMs: Math.max(s.readAllMs, ms) });
  }
}

const dayOf = (ms: number): number => Number(new Date(ms).toISOString().slice(0, 10).replace(/-/g, ''));

export class InMemoryNotificationStore implements NotificationStore {
  private readonly logs = new Map<UserId, Map<string, NotificationEntry>>();
  private readonly markMaps = new Map<UserId, { seen: Map<string, number>; read: Map<string, number> }>();

  async append(recipients: readonly UserId[], entry: NotificationEntry, ttlSeconds: number, _tsMicros: number): Promise<void> {
    if (ttlSeconds <= 0) throw new Error(`notification append with ttl ${ttlSeconds}`);
    for (const r of recipients) this.log(r).set(entry.id, entry);
  }
  async remove(recipients: readonly UserId[], ref: FeedPosition, _tsMicros: number): Promise<void> {
    for (const r of recipients) this.log(r).delete(ref.id);
  }
  async days(user: UserId, floorDay: number, ceilingDay: number, limit: number): Promise<number[]> {
    const days = new Set([...this.log(user).values()].map((e) => dayOf(e.ms)).filter((d) => d >= floorDay && d <= ceilingDay));
    return [...days].sort((a, b) => b - a).slice(0, limit);
  }
  async readDay(user: UserId, day: number, limit: number): Promise<NotificationEntry[]> {
    return [...this.log(user).values()].filter((e) => dayOf(e.ms) === day).sort(newestFirst).slice(0, limit);
  }
  async marks(user: UserId, groupIds: readonly string[]): Promise<{ seen: Map<string, number>; read: Map<string, number> }> {
    const m = this.markMaps.get(user);
    const only = (src: Map<string, number> | undefined): Map<string, number> => new Map([...(src ?? [])].filter(([g]) => groupIds.includes(g)));
    return { seen: only(m?.seen), read: only(m?.read) };
  }
  async mark(user: UserId, groupIds: readonly string[], kind: 'seen' | 'read', ms: number, _ttlSeconds: number): Promise<void> {
    let m = this.markMaps.get(user);
    if (!m) {
      m = { seen: new Map(), read: new Map() };
      this.markMaps.set(user, m);
    }
    const target = kind === 'seen' ? m.seen : m.read;
    for (const g of groupIds) target.set(g, Math.max(target.get(g) ?? 0, ms));
  }

  /** Test helper: the entries in `user`'s notification log, newest first. */
  entries(user: UserId): NotificationEntry[] {
    return [...this.log(user).values()].sort(newestFirst);
  }

  private log(user: UserId): Map<string, NotificationEntry> {
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

  async publish(event: LiveEvent): Promise<void> {
    this.events.push(event);
  }
}
