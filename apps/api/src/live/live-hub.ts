import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Activity, UserId } from '@app/domain';
import { MetricsService } from '@app/observability';
import { CachedActivityStore, GRAPH_STORE, GraphStore, LIVE_EVENT_SOURCE, LiveEvent, LiveEventSource, NotificationReaderService, READ_ACTIVITY_STORE } from '@app/feeds';

/** An open SSE connection as the hub sees it. */
export interface LiveConnection {
  readonly user: UserId;
  readonly kind: 'home' | 'notifications';
  send(event: string, data: unknown): void;
}

interface ConnState {
  readonly conn: LiveConnection;
  muted: Set<UserId>;
  pulled: Set<UserId>;
  refreshedAt: number;
}

/** Mutes and pulled authors per connection are re-read at most this often (live is best effort). */
const REFRESH_MS = 30_000;

/**
 * Routes live events (from Kafka, so any API instance can serve any user) to this instance's open
 * streams. Connections are indexed by user; a connection removed on close leaves nothing behind.
 */
@Injectable()
export class LiveHub implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(LiveHub.name);
  private readonly byUser = new Map<UserId, Set<ConnState>>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(LIVE_EVENT_SOURCE) private readonly source: LiveEventSource,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    private readonly notifications: NotificationReaderService,
    @Inject(READ_ACTIVITY_STORE) private readonly activityCache: CachedActivityStore,
    metrics: MetricsService,
  ) {
    // Collected on scrape from the live index, so it can never drift from the real connection count.
    const gauge: Gauge = new Gauge({
      name: 'tideline_sse_connections',
      help: 'Open server-sent-event streams on this API instance',
      registers: [metrics.registry],
      collect: () => gauge.set(this.connectionCount),
    });
  }

  onModuleInit(): void {
    this.unsubscribe = this.source.subscribe((e) => {
      this.dispatch(e).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'live event dropped'));
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

  async add(conn: LiveConnection): Promise<() => void> {
    const state: ConnState = { conn, muted: new Set(), pulled: new Set(), refreshedAt: 0 };
    await this.refresh(state);
    let set = this.byUser.get(conn.user);
    if (!set) this.byUser.set(conn.user, (set = new Set()));
    set.add(state);
    return () => {
      const s = this.byUser.get(conn.user);
      s?.delete(state);
      if (s && s.size === 0) this.byUser.delete(conn.user);
    };
  }

  private async refresh(s: ConnState): Promise<void> {
    const [muted, pulled] = await Promise.all([this.graph.mutedBy(s.conn.user), this.graph.pulledFollows(s.conn.user)]);
    s.muted = muted;
    s.pulled = new Set(pulled);
    s.refreshedAt = Date.now();
  }

  private async fresh(s: ConnState): Promise<ConnState> {
    if (Date.now() - s.refreshedAt > REFRESH_MS) await this.refresh(s);
    return s;
  }

  private async dispatch(e: LiveEvent): Promise<void> {
    // Deletes reach every API instance this way: drop the activity from the hydration cache at once.
    if (e.kind !== 'notification' && e.op === 'delete') this.activityCache.invalidate(e.id);
    if (e.kind === 'home') {
      for (const user of e.users) {
        for (const s of this.byUser.get(user) ?? []) {
          if (s.conn.kind !== 'home') continue;
          if (e.op === 'delete') s.conn.send('delete', { id: e.id });
          else if (!(await this.fresh(s)).muted.has(e.activity.actor)) s.conn.send('activity', e.activity);
        }
      }
    } else if (e.kind === 'pulled') {
      for (const set of this.byUser.values()) {
        for (const s of set) {
          if (s.conn.kind !== 'home') continue;
          const st = await this.fresh(s);
          if (!st.pulled.has(e.actor)) continue;
          if (e.op === 'delete') s.conn.send('delete', { id: e.id });
          else if (!st.muted.has(e.actor)) s.conn.send('activity', e.activity);
        }
      }
    } else {
      for (const user of e.users) {
        for (const s of this.byUser.get(user) ?? []) {
          if (s.conn.kind !== 'notifications') continue;
          if ((await this.fresh(s)).muted.has(e.activity.actor)) continue;
          const group = await this.groupOf(user, e.activity);
          if (group) s.conn.send('group', group);
        }
      }
    }
  }

  private groupOf(user: UserId, activity: Activity): ReturnType<NotificationReaderService['groupOf']> {
    return this.notifications.groupOf(user, activity);
  }
}
