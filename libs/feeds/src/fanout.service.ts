import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Activity,
  DomainError,
  FeedPolicy,
  GraphChange,
  homeTtlSeconds,
  isHighFollower,
  isInactive,
  publishedMs,
  ttlSecondsUntil,
  UserId,
  windowFloorMs,
} from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  ACTIVITY_STORE,
  ActivityStore,
  FANOUT_CHUNK_PUBLISHER,
  FanoutChunk,
  FanoutChunkPublisher,
  FeedRef,
  GRAPH_STORE,
  GraphStore,
  LIVE_PUBLISHER,
  LivePublisher,
  NOTIFICATION_STORE,
  NotificationStore,
  READER_STATE_STORE,
  ReaderStateStore,
  TIMELINE_STORE,
  TimelineStore,
} from './ports';
import { ActiveReaderCache } from './active-reader-cache';
import { FanoutMetrics, FANOUT_METRICS } from './fanout-metrics';

/** Called between long steps so Kafka keeps the consumer in the group. */
export type Heartbeat = () => Promise<void>;

const refOf = (a: Activity): FeedRef => ({ ms: publishedMs(a), id: a.id, actor: a.actor });

/**
 * The write path. Every method is idempotent: it may run again for the same record after a crash or a
 * rebalance and leaves the same rows (upserts keyed by the activity id, written with the event's own
 * timestamp). Memory is bounded by one follower page whatever the follower count.
 */
@Injectable()
export class FanoutService {
  private readonly log = new Logger(FanoutService.name);
  private readonly policy: FeedPolicy;
  private readonly followLimit: number;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(ACTIVITY_STORE) private readonly activities: ActivityStore,
    @Inject(TIMELINE_STORE) private readonly timelines: TimelineStore,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    @Inject(READER_STATE_STORE) private readonly readers: ReaderStateStore,
    @Inject(NOTIFICATION_STORE) private readonly notifications: NotificationStore,
    @Inject(FANOUT_CHUNK_PUBLISHER) private readonly chunks: FanoutChunkPublisher,
    @Inject(LIVE_PUBLISHER) private readonly live: LivePublisher,
    @Inject(FANOUT_METRICS) private readonly metrics: FanoutMetrics,
    private readonly activeCache: ActiveReaderCache,
  ) {
    this.policy = cfg.policy;
    this.followLimit = cfg.followLimit;
  }

  /**
   * A new activity: store it, add it to the author's feed and own home, notify `to`, then deliver to
   * followers (inline when they fit in one chunk, else as chunks on the fanout topic).
   */
  async ingest(activity: Activity, acceptedMs: number, heartbeat: Heartbeat): Promise<'stored' | 'deleted'> {
    const existing = await this.activities.get(activity.id);
    // A redelivered create must not resurrect a delete; only the actor's own delete counts (a marker by
    // anyone else, e.g. a delete record for an id not yet stored, never hides this activity).
    if (existing?.deletedBy.includes(activity.actor)) return 'deleted';
    if (existing && existing.activity.type !== '' && existing.activity.actor !== activity.actor) {
      throw new DomainError('FORBIDDEN', `activity ${activity.id} belongs to another actor`);
    }
    const now = Date.now();
    const ref = refOf(activity);
    const ttl = ttlSecondsUntil(ref.ms, this.policy.retentionDays, now);
    if (ttl === 0) return 'stored'; // already past retention: nothing would be visible
    const ts = acceptedMs * 1000;
    // The activity and the author's feed first (one wave): follower deliveries, rebuilds and backfills all
    // read the author's feed, so it must hold the activity before any of them can miss it.
    await Promise.all([this.activities.put(activity, acceptedMs, ttl), this.timelines.appendUserFeed(ref, ts, ttl)]);

    const recipients = [...new Set(activity.to ?? [])].filter((u) => u !== activity.actor);
    const homeTtl = homeTtlSeconds(this.policy, ref.ms, now);
    // Then, in one wave: notifications, the author's own home, and whether the author is pulled.
    const [, , pulled] = await Promise.all([
      recipients.length > 0 ? this.notifications.append(recipients, { ...ref, type: activity.type, object: activity.object, receivedMs: acceptedMs }, ttl, ts) : undefined,
      homeTtl > 0 ? this.timelines.appendHome([activity.actor], ref, ts, homeTtl, 1) : undefined,
      homeTtl > 0 ? this.isPulledAuthor(activity.actor, heartbeat) : true,
    ]);
    if (recipients.length > 0) await this.live.publish({ kind: 'notification', users: recipients, activity });
    if (homeTtl === 0) return 'stored'; // older than the home window: readers pull it from user feeds
    await this.live.publish({ kind: 'home', op: 'activity', users: [activity.actor], activity });
    if (pulled) {
      await this.live.publish({ kind: 'pulled', op: 'activity', actor: activity.actor, activity });
      return 'stored';
    }
    await this.spreadToFollowers(activity.actor, { op: 'deliver', ref, tsMicros: ts }, heartbeat, activity);
    return 'stored';
  }

  /** A delete: hide it at once (marker), then remove it from every feed it was written to. */
  async remove(id: string, actor: UserId, atMs: number, heartbeat: Heartbeat): Promise<void> {
    const existing = await this.activities.get(id);
    if (existing && existing.activity.type !== '' && existing.activity.actor !== actor) {
      throw new DomainError('FORBIDDEN', `activity ${id} belongs to another actor`);
    }
    const ts = atMs * 1000;
    await this.activities.markDeleted(id, actor, ts, this.policy.retentionDays * 86_400);
    if (!existing || existing.activity.type === '') return; // never stored: the marker is all there is to do
    const a = existing.activity;
    const ref = refOf(a);
    await this.timelines.removeUserFeed(ref, ts);
    const recipients = [...new Set(a.to ?? [])].filter((u) => u !== a.actor);
    if (recipients.length > 0) await this.notifications.remove(recipients, ref, ts);
    await this.timelines.removeHome([a.actor], ref, ts, 1);
    await this.live.publish({ kind: 'home', op: 'delete', users: [a.actor], id });
    await this.live.publish({ kind: 'pulled', op: 'delete', actor: a.actor, id });
    // Followers of a pulled author may still hold rows pushed before the author crossed the
    // threshold, so removal always walks every follower; hydration hides the activity meanwhile.
    await this.spreadToFollowers(a.actor, { op: 'remove', ref, tsMicros: ts }, heartbeat);
  }

  /** Applies one chunk from the fanout topic (or an inline one). */
  async applyChunk(chunk: FanoutChunk, activity?: Activity): Promise<void> {
    const started = process.hrtime.bigint();
    this.metrics.chunkSize(chunk.users.length);
    if (chunk.op === 'remove') {
      await this.timelines.removeHome(chunk.users, chunk.ref, chunk.tsMicros, this.policy.concurrency);
      await this.live.publish({ kind: 'home', op: 'delete', users: chunk.users, id: chunk.ref.id });
      return;
    }
    const now = Date.now();
    const ttl = homeTtlSeconds(this.policy, chunk.ref.ms, now);
    if (ttl === 0) return;
    const active = await this.activeAmong(chunk.users, now);
    await this.timelines.appendHome(active, chunk.ref, chunk.tsMicros, ttl, this.policy.concurrency);
    this.metrics.delivered(active.length, chunk.users.length - active.length);
    const body = activity ?? (await this.activities.get(chunk.ref.id))?.activity;
    if (body && active.length > 0) await this.live.publish({ kind: 'home', op: 'activity', users: active, activity: body });
    this.metrics.chunkDuration(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * A follow-graph change from the follows topic. The graph write is idempotent (the API may already
   * have made it); the asynchronous part only runs when the edge's current state agrees with the event,
   * so a stale follow replayed after an unfollow neither backfills nor resurrects anything.
   */
  async applyGraphChange(change: GraphChange, heartbeat: Heartbeat): Promise<void> {
    // FOLLOW_LIMIT holds for Kafka producers too (the API checks it before publishing).
    if (change.op === 'follow' && !(await this.graph.isFollowing(change.user, change.target))) {
      if ((await this.graph.followingCount(change.user, this.followLimit)) >= this.followLimit) {
        throw new DomainError('VALIDATION_FAILED', `${change.user} already follows ${this.followLimit} accounts (FOLLOW_LIMIT)`);
      }
    }
    const { exists } = await this.graph.apply(change);
    const ts = change.atMs * 1000;
    if (change.op === 'follow' && exists) {
      if (await this.isPulledAuthor(change.target, heartbeat)) await this.graph.addPulledFollow(change.user, change.target, ts);
      else await this.backfill(change.user, change.target, ts);
    } else if (change.op === 'unfollow' && !exists) {
      await this.graph.removePulledFollow(change.user, change.target, ts);
      await this.unmerge(change.user, change.target, ts);
    }
  }

  /**
   * Copies up to `followBackfillLimit` of `author`'s newest activities inside the home window into
   * `user`'s home timeline. If the limit cut the copy short, the home floor rises to the oldest copied
   * activity: below it the read path pulls from authors' feeds, so nothing is ever missing.
   */
  async backfill(user: UserId, author: UserId, tsMicros: number): Promise<void> {
    const now = Date.now();
    const floor = windowFloorMs(this.policy, now);
    const limit = this.policy.followBackfillLimit;
    const page = limit > 0 ? await this.timelines.readUserFeed(author, null, floor, limit) : { rows: [], exhausted: false };
    if (page.rows.length > 0) {
      await this.timelines.appendHomeMany(user, page.rows, tsMicros, (r) => homeTtlSeconds(this.policy, r.ms, now), this.policy.concurrency);
    }
    if (!page.exhausted) {
      const oldest = page.rows[page.rows.length - 1]?.ms ?? now;
      const state = await this.readers.get(user);
      if (state.homeFloorMs === null || oldest > state.homeFloorMs) await this.readers.setHomeFloor(user, oldest);
    }
  }

  /** Removes `author`'s activities inside the home window from `user`'s home timeline. */
  private async unmerge(user: UserId, author: UserId, tsMicros: number): Promise<void> {
    const floor = windowFloorMs(this.policy, Date.now());
    let before: FeedRef | null = null;
    for (;;) {
      const page = await this.timelines.readUserFeed(author, before, floor, 500);
      if (page.rows.length > 0) await this.timelines.removeHomeMany(user, page.rows, tsMicros, this.policy.concurrency);
      if (page.exhausted || page.rows.length === 0) return;
      before = page.rows[page.rows.length - 1] ?? null;
    }
  }

  /**
   * Streams the author's followers page by page. A follower set that fits one chunk is applied inline;
   * a larger one becomes chunks on the fanout topic, acknowledged by Kafka before this returns (so the
   * source record can be committed without losing the deliveries).
   */
  private async spreadToFollowers(
    author: UserId,
    base: Pick<FanoutChunk, 'op' | 'ref' | 'tsMicros'>,
    heartbeat: Heartbeat,
    activity?: Activity,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const size = this.policy.chunkSize;
    let seq = 0;
    let pending: FanoutChunk[] = [];
    for await (const page of this.graph.followerPages(author, size)) {
      const users = page.filter((u) => u !== author);
      if (users.length === 0) continue;
      pending.push({ ...base, users, seq: seq++ });
      if (pending.length >= 8) {
        await this.chunks.publishChunks(pending);
        pending = [];
      }
      await heartbeat();
    }
    if (seq === 1 && pending.length === 1 && pending[0]) {
      await this.applyChunk(pending[0], activity);
    } else if (pending.length > 0) {
      await this.chunks.publishChunks(pending);
    }
    this.metrics.fanoutDuration(base.op, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Whether `author` is served by pull. Crossing the threshold promotes the author once (sticky):
   * first every follower gets a pulled_follows row, then the flag is set, then a second pass catches
   * follows that raced with the first, so no follower is ever without either push or pull.
   */
  private async isPulledAuthor(author: UserId, heartbeat: Heartbeat): Promise<boolean> {
    const [flagged, followers] = await Promise.all([this.graph.isHighFollower(author), this.graph.followerCount(author)]);
    if (flagged) return true;
    if (!isHighFollower(this.policy, followers)) return false;
    const ts = Date.now() * 1000;
    const pass = async (): Promise<void> => {
      for await (const page of this.graph.followerPages(author, this.policy.chunkSize)) {
        await Promise.all(page.map((u) => this.graph.addPulledFollow(u, author, ts)));
        await heartbeat();
      }
    };
    await pass();
    await this.graph.markHighFollower(author, Date.now());
    await pass();
    this.log.log({ author }, 'author promoted to pull-based delivery');
    return true;
  }

  /** Followers who read their home feed recently; the others are rebuilt on their next read. */
  private async activeAmong(users: readonly UserId[], now: number): Promise<UserId[]> {
    const unknown = users.filter((u) => !this.activeCache.isKnownActive(u, now));
    const lastRead = unknown.length > 0 ? await this.readers.lastReadMany(unknown, this.policy.concurrency) : new Map<UserId, number>();
    return users.filter((u) => {
      if (this.activeCache.isKnownActive(u, now)) return true;
      const ms = lastRead.get(u) ?? null;
      if (isInactive(this.policy, ms, now)) return false;
      if (ms !== null) this.activeCache.remember(u, ms);
      return true;
    });
  }
}
