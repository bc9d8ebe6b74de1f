import { Activity, FeedPosition, GraphChange, NotificationEntry, UserId } from '@app/domain';

/**
 * Ports of the application layer. libs/storage-cassandra implements the stores, libs/messaging-kafka
 * the publisher; libs/testing has in-memory versions for unit tests. All writes are idempotent
 * upserts or timestamped deletes (`tsMicros` = the event time in microseconds, used as the Cassandra
 * write timestamp so that replayed or reordered events resolve by last-write-wins).
 */

/** A feed row: a reference to an activity, ordered by (ms, id) newest first. */
export interface FeedRef extends FeedPosition {
  readonly actor: UserId;
  /**
   * The activity itself when the row carries it (written since schema 003 and small enough to inline):
   * readers then need no point read, only the recent-deletes check. Absent = hydrate from ActivityStore.
   */
  readonly activity?: Activity;
}

export interface SlicePage {
  /** Newest first, all strictly older than `before` and not older than `floorMs`. */
  readonly rows: FeedRef[];
  /** True when no further rows exist between the last row and `floorMs`. */
  readonly exhausted: boolean;
}

/**
 * A stored activity, or a delete marker: `activity` is null when only deletes were stored for the id (a
 * delete that arrived before any create). `deletedBy` lists every actor who deleted the id; a create by an
 * actor in it stays deleted, any other does not.
 */
export type StoredActivity = StoredBody | DeleteMarker;

export interface StoredBody {
  readonly activity: Activity;
  readonly acceptedMs: number;
  /** Deleted by its own actor (the only delete that counts). */
  readonly deleted: boolean;
  readonly deletedBy: readonly UserId[];
}

export interface DeleteMarker {
  readonly activity: null;
  readonly acceptedMs: 0;
  readonly deleted: false;
  readonly deletedBy: readonly UserId[];
}

export interface ActivityStore {
  get(id: string): Promise<StoredActivity | null>;
  /** Missing ids are absent from the map. Concurrent point reads (one round trip wave). */
  getMany(ids: readonly string[]): Promise<Map<string, StoredActivity>>;
  /** Upsert; `ttlSeconds` > 0. */
  put(activity: Activity, acceptedMs: number, ttlSeconds: number): Promise<void>;
  /** Records that `actor` deleted `id` (creating a marker row if it was never stored). */
  markDeleted(id: string, actor: UserId, tsMicros: number, ttlSeconds: number): Promise<void>;
}

export interface TimelineStore {
  appendUserFeed(ref: FeedRef, tsMicros: number, ttlSeconds: number): Promise<void>;
  removeUserFeed(ref: FeedRef, tsMicros: number): Promise<void>;
  readUserFeed(actor: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage>;

  /** Writes `ref` into each user's home timeline with at most `concurrency` statements in flight. */
  appendHome(userIds: readonly UserId[], ref: FeedRef, tsMicros: number, ttlSeconds: number, concurrency: number): Promise<void>;
  /** Writes many refs into one user's home timeline (follow backfill, rebuild). */
  appendHomeMany(userId: UserId, refs: readonly FeedRef[], tsMicros: number, ttlOf: (ref: FeedRef) => number, concurrency: number): Promise<void>;
  removeHome(userIds: readonly UserId[], ref: FeedRef, tsMicros: number, concurrency: number): Promise<void>;
  removeHomeMany(userId: UserId, refs: readonly FeedRef[], tsMicros: number, concurrency: number): Promise<void>;
  readHome(userId: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage>;
}

export interface GraphPage {
  readonly items: { userId: UserId; sinceMs: number }[];
  /** The last userId of this page when more may follow, else null. */
  readonly next: UserId | null;
}

export interface GraphStore {
  /**
   * Applies a change to the graph tables (both directions, with `USING TIMESTAMP atMs*1000`).
   * Returns whether the edge exists after the write (a newer opposite change may win).
   */
  apply(change: GraphChange): Promise<{ exists: boolean; changed: boolean }>;
  isFollowing(user: UserId, target: UserId): Promise<boolean>;
  /** The subset of `candidates` that `user` follows (one round trip). */
  followingAmong(user: UserId, candidates: readonly UserId[]): Promise<Set<UserId>>;
  mutedBy(user: UserId): Promise<Set<UserId>>;
  followingPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage>;
  followersPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage>;
  /** The accounts `user` muted, in target order (paged like followingPage). */
  mutedPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage>;
  /** Streams followers in pages of at most `pageSize`; memory is bounded by one page. */
  followerPages(user: UserId, pageSize: number): AsyncIterable<UserId[]>;
  /** Streams the users `user` follows in pages. */
  followingPages(user: UserId, pageSize: number): AsyncIterable<UserId[]>;
  followerCount(user: UserId): Promise<number>;
  /** How many accounts `user` follows, counted exactly up to `upTo` (reads at most `upTo` rows). */
  followingCount(user: UserId, upTo: number): Promise<number>;
  isHighFollower(author: UserId): Promise<boolean>;
  markHighFollower(author: UserId, sinceMs: number): Promise<void>;
  unmarkHighFollower(author: UserId): Promise<void>;
  isPushPinned(author: UserId): Promise<boolean>; // an operator's pin (`tideline demote`): wins over the flag and the count
  setPushPin(author: UserId, sinceMs: number | null): Promise<void>; // null: unpinned
  addPulledFollow(user: UserId, author: UserId, tsMicros: number): Promise<void>;
  removePulledFollow(user: UserId, author: UserId, tsMicros: number): Promise<void>;
  pulledFollows(user: UserId): Promise<UserId[]>;
}

/** A delete as readers learn of it: the activity id, and when the marker was written (writer's clock). */
export interface RecentDelete {
  readonly id: string;
  readonly writtenMs: number;
}

/**
 * Recent deletes (schema 003), so a deleted activity is hidden everywhere before its removal fanout has
 * reached every home timeline. Markers live `ttlSeconds`; readers keep those of the last DELETE_MARKER_HOURS.
 */
export interface DeleteMarkerStore {
  record(id: string, actor: UserId, writtenMs: number, ttlSeconds: number): Promise<void>;
  /**
   * Markers written at or after `fromMs` (up to `nowMs`), oldest first, at most `limit`; `complete` is false
   * when the limit cut the list short.
   */
  writtenSince(fromMs: number, nowMs: number, limit: number): Promise<{ markers: RecentDelete[]; complete: boolean }>;
}

/** The id and `published` an activity identified by (actor, foreignId) alone was first accepted with. */
export interface ForeignIdentity {
  readonly id: string;
  readonly publishedMs: number;
}

/** CONTRACT v1.1 §1: the first acceptance of an (actor, foreignId) without `published` fixes its identity. */
export interface ForeignIdStore {
  /** Records `wanted` for the pair unless one is recorded; returns the recorded one (first claim wins). */
  claim(actor: UserId, foreignId: string, wanted: ForeignIdentity, ttlSeconds: number): Promise<ForeignIdentity>;
}

export interface ReaderState {
  readonly lastReadMs: number | null;
  readonly homeFloorMs: number | null;
  /** When the latest rebuild of the home timeline started, and when the latest one that completed had started. */
  readonly rebuildStartedMs: number | null;
  readonly rebuiltMs: number | null;
  /** The home layout (HOME_LAYOUT_VERSION) the last completed rebuild wrote; 0 = none or an older one. */
  readonly homeLayout: number;
  readonly seenAllMs: number;
  readonly readAllMs: number;
}

export interface ReaderStateStore {
  get(user: UserId): Promise<ReaderState>;
  /** Last-read times for many users (fanout's inactive check); absent users are omitted. */
  lastReadMany(users: readonly UserId[], concurrency: number): Promise<Map<UserId, number>>;
  setLastRead(user: UserId, ms: number): Promise<void>;
  setHomeFloor(user: UserId, ms: number): Promise<void>;
  /** One write: last read = rebuild started = `ms` (fanout delivers from now on; the rebuild is pending). */
  startRebuild(user: UserId, ms: number): Promise<void>;
  /** The rebuild that started at `startedMs` copied everything: record it, the new home floor and the layout written. */
  finishRebuild(user: UserId, startedMs: number, floorMs: number, layout: number): Promise<void>;
  markAll(user: UserId, kind: 'seen' | 'read', ms: number): Promise<void>;
}

export interface NotificationStore {
  append(recipients: readonly UserId[], entry: NotificationEntry, ttlSeconds: number, tsMicros: number): Promise<void>;
  remove(recipients: readonly UserId[], ref: FeedPosition, tsMicros: number): Promise<void>;
  /** UTC days (yyyymmdd numbers) holding entries for `user` in [floorDay, ceilingDay], newest first, at most `limit`. */
  days(user: UserId, floorDay: number, ceilingDay: number, limit: number): Promise<number[]>;
  /** One day's entries, newest first, at most `limit`. */
  readDay(user: UserId, day: number, limit: number): Promise<NotificationEntry[]>;
  /** The marks of the given groups (absent = never marked individually). */
  marks(user: UserId, groupIds: readonly string[]): Promise<{ seen: Map<string, number>; read: Map<string, number> }>;
  mark(user: UserId, groupIds: readonly string[], kind: 'seen' | 'read', ms: number, ttlSeconds: number): Promise<void>;
}

/**
 * Events the application emits; libs/messaging-kafka publishes them. "Publish" means one thing in this code
 * base: a durable record sent to Kafka (events, fanout chunks). A REST post is *accepted*
 * (CommandsService.accept); a live update is *announced* (LivePublisher.announce, best effort).
 */
export interface EventPublisher {
  /** Publishes a create record to the activities topic (key = actor). */
  publishActivity(activity: Activity, acceptedMs: number): Promise<void>;
  publishDelete(id: string, actor: UserId, atMs: number): Promise<void>;
  publishGraphChange(change: GraphChange): Promise<void>;
}

export const ACTIVITY_STORE = Symbol('ACTIVITY_STORE');
export const TIMELINE_STORE = Symbol('TIMELINE_STORE');
export const GRAPH_STORE = Symbol('GRAPH_STORE');
export const READER_STATE_STORE = Symbol('READER_STATE_STORE');
export const NOTIFICATION_STORE = Symbol('NOTIFICATION_STORE');
export const DELETE_MARKER_STORE = Symbol('DELETE_MARKER_STORE');
export const FOREIGN_ID_STORE = Symbol('FOREIGN_ID_STORE');
export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');

/** One slice of a large fanout, published to the internal fanout topic so every worker shares it. */
export interface FanoutChunk {
  readonly op: 'deliver' | 'remove';
  readonly ref: FeedRef;
  /** Write timestamp (µs) for every row of this chunk: the activity's accept time, or the delete time. */
  readonly tsMicros: number;
  readonly users: UserId[];
  readonly seq: number;
}

/** Live updates travel through Kafka so any API instance can serve any user's stream. */
export type LiveEvent =
  | { readonly kind: 'home'; readonly op: 'activity'; readonly users: UserId[]; readonly activity: Activity }
  | { readonly kind: 'home'; readonly op: 'delete'; readonly users: UserId[]; readonly id: string }
  /** A high-follower author's activity: not pushed, so API instances check their own subscribers. */
  | { readonly kind: 'pulled'; readonly op: 'activity'; readonly actor: UserId; readonly activity: Activity }
  | { readonly kind: 'pulled'; readonly op: 'delete'; readonly actor: UserId; readonly id: string }
  | { readonly kind: 'notification'; readonly users: UserId[]; readonly activity: Activity }
  /** The follow graph, mutes, pulled authors or home floor of these readers changed: drop cached reader context. */
  | { readonly kind: 'graph'; readonly users: UserId[] };

export interface FanoutChunkPublisher {
  /** Resolves once Kafka has acknowledged every chunk (acks=all). */
  publishChunks(chunks: readonly FanoutChunk[]): Promise<void>;
}

export interface LivePublisher {
  /** Best effort: live updates are a convenience on top of the durable feeds. */
  announce(event: LiveEvent): Promise<void>;
}

export const FANOUT_CHUNK_PUBLISHER = Symbol('FANOUT_CHUNK_PUBLISHER');
export const LIVE_PUBLISHER = Symbol('LIVE_PUBLISHER');

/** Where a live event sits in the live topic: the same for every API instance, so a stream can resume anywhere. */
export interface LivePosition {
  readonly partition: number;
  readonly offset: number;
}

export interface LiveListener {
  /** One event at its place in the topic; per partition, offsets only grow and none comes twice. */
  event(event: LiveEvent, at: LivePosition): void;
  /** The source (re)started: it hands over every event from `from` (first offset per partition) on, maybe none before. */
  restart(from: ReadonlyMap<number, number>): void;
}

/** The API side of live updates: each API instance reads the whole live topic; `subscribe` returns the unsubscribe. */
export interface LiveEventSource {
  subscribe(listener: LiveListener): () => void;
}
export const LIVE_EVENT_SOURCE = Symbol('LIVE_EVENT_SOURCE');
