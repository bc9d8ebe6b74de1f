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
import { StatementBudget } from './statement-budget';

/** Chunks published to Kafka per send while streaming an author's followers. */
const CHUNKS_PER_SEND = 8;

/**
 * Delivery to followers' homes (and removal from them). Streams the author's followers page by page, so
 * memory holds one page whatever the follower count. A follower set that fits one chunk is applied inline;
 * a larger one becomes chunks on the fanout topic, acknowledged by Kafka before `spread` returns (so the
 * source record can be committed without losing deliveries), and any worker applies them.
 *
 * A chunk is applied in slices of FANOUT_CONCURRENCY followers; each slice holds one statement permit per
 * follower of the worker's shared StatementBudget while it reads who is active and writes their rows, so
 * every activity and chunk in flight together keep Cassandra at one bounded concurrency, with no wave
 * barrier between a chunk's reads and its writes.
 */
@Injectable()
export class DeliveryService {
  private readonly policy: FeedPolicy;
  /** WORKER_STATEMENT_BUDGET rows in flight per worker, shared by every activity and chunk being delivered. */
  private readonly budget: StatementBudget;

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
    this.budget = new StatementBudget(cfg.tuning.workerStatementBudget);
    metrics.watchBudget?.(this.budget);
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
    const { ref, tsMicros } = chunk;
    if (chunk.op === 'remove') {
      await this.inSlices(chunk.users, (slice) => this.timelines.removeHome(slice, ref, tsMicros, slice.length));
      await this.live.announce({ kind: 'home', op: 'delete', users: chunk.users, id: ref.id });
      return;
    }
    const now = Date.now();
    const ttl = homeTtlSeconds(this.policy, ref.ms, now);
    if (ttl === 0) return;
    const active = (
      await this.inSlices(chunk.users, async (slice) => {
        const users = await this.activeAmong(slice, now);
        if (users.length > 0) await this.timelines.appendHome(users, ref, tsMicros, ttl, users.length);
        return users;
      })
    ).flat();
    this.metrics.delivered(active.length, chunk.users.length - active.length);
    if (active.length > 0) {
      const body = activity ?? ref.activity ?? (await this.activities.get(ref.id))?.activity ?? undefined;
      if (body) await this.live.announce({ kind: 'home', op: 'activity', users: active, activity: body });
    }
    this.metrics.chunkDuration(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Runs `op` over slices of at most FANOUT_CONCURRENCY users, each holding one budget permit per user
   * (the most statements it can have in flight at once). Results in slice order.
   */
  private inSlices<T>(users: readonly UserId[], op: (slice: UserId[]) => Promise<T>): Promise<T[]> {
    const size = Math.max(1, this.policy.concurrency);
    const slices: Promise<T>[] = [];
    for (let i = 0; i < users.length; i += size) {
      const slice = users.slice(i, i + size);
      slices.push(this.budget.use(slice.length, () => op(slice)));
    }
    return Promise.all(slices);
  }

  /** Followers who read their home feed recently; the others are rebuilt on their next read. */
  private async activeAmong(users: readonly UserId[], now: number): Promise<UserId[]> {
    const unknown = users.filter((u) => !this.activeCache.isKnownActive(u, now));
    this.metrics.activeLookups?.(users.length - unknown.length, unknown.length);
    if (unknown.length === 0) return [...users];
    const lastRead = await this.readers.lastReadMany(unknown, unknown.length);
    return users.filter((u) => {
      if (this.activeCache.isKnownActive(u, now)) return true;
      const ms = lastRead.get(u) ?? null;
      if (isInactive(this.policy, ms, now)) return false;
      if (ms !== null) this.activeCache.remember(u, ms);
      return true;
    });
  }
}
