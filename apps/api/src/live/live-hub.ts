import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Activity, UserId, visibleInHome, visibleInNotifications } from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MetricsService } from '@app/observability';
import {
  CachedActivityStore,
  LIVE_EVENT_SOURCE,
  LiveEvent,
  LiveEventSource,
  NotificationReaderService,
  READ_ACTIVITY_STORE,
  ReaderContexts,
  RecentDeletes,
} from '@app/feeds';
import { LiveConnection, LiveHandle, TooManyStreamsError } from './live-connection';
import { LiveReplay } from './live-replay';

export { LiveConnection, LiveHandle, TooManyStreamsError } from './live-connection';

/** A live event queued for one connection, or the `reset` a connection that cannot resume is sent. */
type Queued = { readonly event: LiveEvent | 'reset'; readonly id: string };

interface ConnState {
  readonly conn: LiveConnection;
  muted: ReadonlySet<UserId>;
  pulled: ReadonlySet<UserId>;
  refreshedAt: number;
  /** Events for this connection not yet delivered, in arrival order (one drain loop at a time). */
  readonly queue: Queued[];
  draining: boolean;
  removed: boolean;
  /** Closed for overflowing: nothing more is queued (the connection removes itself). */
  overflowed: boolean;
  /** The position after the last event this connection has processed (sent or filtered out). */
  lastId: string;
}

/** Events one connection may have waiting; beyond, it is closed as too slow (memory stays bounded). */
export const MAX_QUEUED_EVENTS = 1000;

/**
 * Routes live events (from Kafka, so any API instance can serve any user) to this instance's open
 * streams. Connections are indexed by user; a connection removed on close leaves nothing behind.
 *
 * Ordering: each connection has its own queue, drained by one loop at a time, so events reach a
 * stream in the order they arrived from Kafka (a `delete` never overtakes its `activity`, whatever
 * awaits delivering the activity needs), and a slow lookup for one stream never holds up the others.
 * Kafka itself may hand over a delete before its activity (other partition, other worker): an activity
 * whose delete was already seen is never sent.
 */
@Injectable()
export class LiveHub implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(LiveHub.name);
  private readonly byUser = new Map<UserId, Set<ConnState>>();
  private readonly streamsPerUser: number;
  /** Mutes and pulled authors per connection are re-read at most this often (LIVE_REFRESH_MS; live is best effort). */
  private readonly refreshMs: number;
  private unsubscribe: (() => void) | null = null;
  private readonly replay = new LiveReplay();

  constructor(
    @Inject(LIVE_EVENT_SOURCE) private readonly source: LiveEventSource,
    private readonly notifications: NotificationReaderService,
    @Inject(READ_ACTIVITY_STORE) private readonly activityCache: CachedActivityStore,
    private readonly contexts: ReaderContexts,
    /**
     * Live events come over several Kafka partitions from several workers, so a delete can arrive before its
     * activity; the activity must then never be sent. RecentDeletes remembers deletes far longer than that.
     */
    private readonly recentDeletes: RecentDeletes,
    @Inject(APP_CONFIG) cfg: AppConfig,
    metrics: MetricsService,
  ) {
    this.streamsPerUser = cfg.streamsPerUser;
    this.refreshMs = cfg.tuning.liveRefreshMs;
    // Collected on scrape from the live index, so it can never drift from the real connection count.
    const gauge: Gauge = new Gauge({
      name: 'tideline_sse_connections',
      help: 'Open server-sent-event streams on this API instance',
      registers: [metrics.registry],
      collect: () => gauge.set(this.connectionCount),
    });
  }

  onModuleInit(): void {
    this.unsubscribe = this.source.subscribe({
      event: (e, at) => this.route(e, this.replay.record(e, at)),
      restart: (from) => {
        this.replay.restart(from);
        // Events between the old position and `from` may be lost: every open stream refetches.
        for (const set of this.byUser.values()) for (const s of set) this.enqueue(s, { event: 'reset', id: this.replay.position() });
      },
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  get connectionCount(): number {
    let n = 0;
    for (const s of this.byUser.values()) n += s.size;
    return n;
  }

  /**
   * Registers a connection at once (synchronously: nothing can happen between the quota check and the
   * registration, and no event published from now on is missed) and returns its idempotent removal.
   * With `resumeFrom` (a `Last-Event-ID`), the events after that position that concern the connection are
   * queued first, in their order, or, if that position cannot be resumed exactly, a `reset`.
   * Throws TooManyStreamsError beyond STREAMS_PER_USER open streams of one user.
   */
  add(conn: LiveConnection, resumeFrom?: string): LiveHandle {
    let set = this.byUser.get(conn.user);
    if ((set?.size ?? 0) >= this.streamsPerUser) throw new TooManyStreamsError(this.streamsPerUser);
    const now = this.replay.position();
    // refreshedAt 0: the first event delivered reads mutes and pulled authors.
    const state: ConnState = { conn, muted: new Set(), pulled: new Set(), refreshedAt: 0, queue: [], draining: false, removed: false, overflowed: false, lastId: now };
    if (!set) this.byUser.set(conn.user, (set = new Set()));
    set.add(state);
    if (resumeFrom !== undefined) {
      const missed = this.replay.since(resumeFrom)?.filter((r) => this.concerns(state, r.event));
      // More than a stream may have queued: refetching the first page is cheaper than replaying.
      if (missed === undefined || missed.length > MAX_QUEUED_EVENTS / 2) this.enqueue(state, { event: 'reset', id: now });
      else {
        state.lastId = resumeFrom;
        for (const r of missed) this.enqueue(state, r);
      }
    }
    const remove = (): void => {
      if (state.removed) return;
      state.removed = true;
      state.queue.length = 0;
      const s = this.byUser.get(conn.user);
      s?.delete(state);
      if (s && s.size === 0) this.byUser.delete(conn.user);
    };
    // Nothing queued or being delivered: every routed event was processed for this stream or did not concern it.
    const position = (): string => (state.queue.length === 0 && !state.draining ? this.replay.position() : state.lastId);
    return { remove, position };
  }

  /** Whether a replayed event would have been routed to this connection (what it shows is decided at delivery). */
  private concerns(s: ConnState, e: LiveEvent): boolean {
    return streamOf(e) === s.conn.kind && (e.kind === 'pulled' || e.users.includes(s.conn.user));
  }

  /** Synchronous fan-in from Kafka: queues the event on every connection it may concern, in order. */
  private route(e: LiveEvent, id: string): void {
    // A graph change reached this reader: cached context and this instance's streams re-read it.
    if (e.kind === 'graph') {
      this.contexts.invalidate(e.users);
      for (const user of e.users) for (const s of this.byUser.get(user) ?? []) s.refreshedAt = 0;
      return;
    }
    // Deletes reach every API instance this way: hidden from pages and dropped from the hydration cache at once.
    if (e.kind !== 'notification' && e.op === 'delete') {
      this.activityCache.invalidate(e.id);
      this.recentDeletes.add(e.id);
    }
    if (e.kind === 'pulled') {
      // Whether a connection pulls this author is known per connection (after its refresh).
      for (const set of this.byUser.values()) for (const s of set) if (s.conn.kind === 'home') this.enqueue(s, { event: e, id });
      return;
    }
    const kind = streamOf(e);
    for (const user of e.users) for (const s of this.byUser.get(user) ?? []) if (s.conn.kind === kind) this.enqueue(s, { event: e, id });
  }

  private enqueue(s: ConnState, e: Queued): void {
    if (s.removed || s.overflowed) return;
    if (s.queue.length >= MAX_QUEUED_EVENTS) {
      s.overflowed = true;
      s.queue.length = 0;
      s.conn.close('too many undelivered events');
      return;
    }
    s.queue.push(e);
    if (!s.draining) {
      s.draining = true;
      this.drain(s).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'live stream drain failed'));
    }
  }

  private async drain(s: ConnState): Promise<void> {
    try {
      // Never delivers inside the call that queued: add() queues a resume before its caller has written the response head.
      await Promise.resolve();
      for (let q = s.queue.shift(); q !== undefined && !s.removed; q = s.queue.shift()) {
        try {
          if (q.event === 'reset') s.conn.send('reset', q.id, {});
          else await this.deliver(s, q.event, q.id);
        } catch (err) {
          // Live is best effort: one event that cannot be delivered does not stop the stream.
          this.log.warn({ err: (err as Error).message }, 'live event dropped');
        }
        s.lastId = q.id;
      }
    } finally {
      s.draining = false;
    }
  }

  private async deliver(s: ConnState, e: LiveEvent, id: string): Promise<void> {
    const st = await this.fresh(s);
    if (s.removed) return;
    // Checked at delivery, after any await: a delete that arrived meanwhile suppresses its activity.
    if (e.kind === 'graph') return;
    if (e.kind !== 'notification' && e.op === 'activity' && this.recentDeletes.has(e.activity.id)) return;
    // The same visibility rules as the feeds (libs/domain/src/graph.ts). A home event is addressed by the
    // worker to the actor's followers, so of the home rule only the mute remains to check; a pulled author's
    // event may come from any author the reader pulls.
    if (e.kind === 'home') {
      if (e.op === 'delete') s.conn.send('delete', id, { id: e.id });
      else if (!st.muted.has(e.activity.actor)) s.conn.send('activity', id, e.activity);
    } else if (e.kind === 'pulled') {
      if (!st.pulled.has(e.actor)) return;
      if (e.op === 'delete') s.conn.send('delete', id, { id: e.id });
      else if (visibleInHome(s.conn.user, e.actor, { following: st.pulled, muted: st.muted })) s.conn.send('activity', id, e.activity);
    } else {
      if (!visibleInNotifications(s.conn.user, e.activity.actor, st.muted)) return;
      const group = await this.groupOf(s.conn.user, e.activity);
      if (group && !s.removed) s.conn.send('group', id, group);
    }
  }

  /** The reader's mutes and pulled authors, from the same cached context the feed pages use. */
  private async refresh(s: ConnState): Promise<void> {
    const ctx = await this.contexts.get(s.conn.user);
    s.muted = ctx.muted;
    s.pulled = new Set(ctx.pulled);
    s.refreshedAt = Date.now();
  }

  private async fresh(s: ConnState): Promise<ConnState> {
    if (Date.now() - s.refreshedAt > this.refreshMs) await this.refresh(s);
    return s;
  }

  private groupOf(user: UserId, activity: Activity): ReturnType<NotificationReaderService['groupOf']> {
    return this.notifications.groupOf(user, activity);
  }
}

/** The kind of stream a live event is for (graph events are for none). */
const streamOf = (e: LiveEvent): LiveConnection['kind'] | null => (e.kind === 'graph' ? null : e.kind === 'notification' ? 'notifications' : 'home');
