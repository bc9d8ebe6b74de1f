import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Activity, FeedPolicy, homeTtlSeconds, isInactive, UserId } from '@app/domain';
import {
  ACTIVITY_STORE,
  ActivityStore,
  FANOUT_CHUNK_PUBLISHER,
  FanoutChunk,
  FanoutChunkPublisher,
  GRAPH_STORE,
  GraphStore,
  LIVE_PUBLISHER,
  LivePublisher,
  READER_STATE_STORE,
  ReaderStateStore,
  TIMELINE_STORE,
  TimelineStore,
} from '../ports';
import { ActiveReaderCache } from './active-reader-cache';
import { FANOUT_METRICS, FanoutMetrics } from './fanout-metrics';
import { Heartbeat } from './heartbeat';

/** Chunks published to Kafka per send while streaming an author's followers. */
const CHUNKS_PER_SEND = 8;

/**
 * Delivery to followers' homes (and removal from them). Streams the author's followers page by page, so
 * memory holds one page whatever the follower count. A follower set that fits one chunk is applied inline;
 * a larger one becomes chunks on the fanout topic, acknowledged by Kafka before `spread` returns (so the
 * source record can be committed without losing deliveries), and any worker applies them.
 */
@Injectable()
export class DeliveryService {
  private readonly policy: FeedPolicy;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(ACTIVITY_STORE) private readonly activities: ActivityStore,
    @Inject(TIMELINE_STORE) private readonly timelines: TimelineStore,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    @Inject(READER_STATE_STORE) private readonly readers: ReaderStateStore,
    @Inject(FANOUT_CHUNK_PUBLISHER) private readonly chunks: FanoutChunkPublisher,
    @Inject(LIVE_PUBLISHER) private readonly live: LivePublisher,
    @Inject(FANOUT_METRICS) private readonly metrics: FanoutMetrics,
    private readonly activeCache: ActiveReaderCache,
  ) {
    this.policy = cfg.policy;
  }

  async spread(author: UserId, base: Pick<FanoutChunk, 'op' | 'ref' | 'tsMicros'>, heartbeat: Heartbeat, activity?: Activity): Promise<void> {
    const started = process.hrtime.bigint();
    let seq = 0;
    let pending: FanoutChunk[] = [];
    for await (const page of this.graph.followerPages(author, this.policy.chunkSize)) {
      const users = page.filter((u) => u !== author);
      if (users.length === 0) continue;
      pending.push({ ...base, users, seq: seq++ });
      if (pending.length >= CHUNKS_PER_SEND) {
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

  /** Applies one chunk from the fanout topic (or an inline one). Deliveries go to active followers only. */
  async applyChunk(chunk: FanoutChunk, activity?: Activity): Promise<void> {
    const started = process.hrtime.bigint();
    this.metrics.chunkSize(chunk.users.length);
    if (chunk.op === 'remove') {
      await this.timelines.removeHome(chunk.users, chunk.ref, chunk.tsMicros, this.policy.concurrency);
      await this.live.announce({ kind: 'home', op: 'delete', users: chunk.users, id: chunk.ref.id });
      return;
    }
    const now = Date.now();
    const ttl = homeTtlSeconds(this.policy, chunk.ref.ms, now);
    if (ttl === 0) return;
    const active = await this.activeAmong(chunk.users, now);
    await this.timelines.appendHome(active, chunk.ref, chunk.tsMicros, ttl, this.policy.concurrency);
    this.metrics.delivered(active.length, chunk.users.length - active.length);
    const body = activity ?? (await this.activities.get(chunk.ref.id))?.activity ?? undefined;
    if (body && active.length > 0) await this.live.announce({ kind: 'home', op: 'activity', users: active, activity: body });
    this.metrics.chunkDuration(Number(process.hrtime.bigint() - started) / 1e9);
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
