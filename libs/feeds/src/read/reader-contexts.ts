import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UserId } from '@app/domain';
import { GRAPH_STORE, GraphStore, READER_STATE_STORE, ReaderState, ReaderStateStore } from '../ports';
import { rebuildPending } from './returning-readers';

/** What a home page is filtered by: the reader's state and graph, read in one wave. */
export interface ReaderContext {
  readonly state: ReaderState;
  readonly following: ReadonlySet<UserId>;
  readonly muted: ReadonlySet<UserId>;
  readonly pulled: readonly UserId[];
}

interface Entry {
  readonly ctx: ReaderContext;
  readonly until: number;
  readonly weight: number;
}

/**
 * Reader contexts cached per API instance, so a page costs its slice reads only. Invariants:
 * - an entry lives READ_CONTEXT_TTL_MS at most; a graph change drops it at once (the worker announces
 *   every applied follow, unfollow, mute and unmute on the live topic, and this instance's own commands
 *   drop it before answering), so the TTL only bounds staleness when that announcement is lost;
 * - a state with a pending rebuild is never cached (the next page must see when the rebuild finishes);
 * - concurrent loads of one reader share one wave of reads (single flight), and a load that started
 *   before an invalidation is not cached;
 * - the ids held across all entries stay under READ_CONTEXT_MAX_IDS (oldest entries go first).
 */
@Injectable()
export class ReaderContexts {
  private readonly entries = new Map<UserId, Entry>();
  private readonly loading = new Map<UserId, Promise<ReaderContext>>();
  /**
   * When each user was last invalidated, on a counter that also stamps the start of every load: a load that
   * started before its user's last invalidation is not kept. Cleared whenever no load is running at all.
   */
  private readonly invalidatedAt = new Map<UserId, number>();
  private clock = 0;
  private running = 0;
  private readonly ttlMs: number;
  private readonly maxIds: number;
  private readonly followLimit: number;
  private weight = 0;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    @Inject(READER_STATE_STORE) private readonly readers: ReaderStateStore,
  ) {
    this.ttlMs = cfg.tuning.readContextTtlMs;
    this.maxIds = cfg.tuning.readContextMaxIds;
    this.followLimit = cfg.followLimit;
  }

  async get(user: UserId, now: number = Date.now()): Promise<ReaderContext> {
    const hit = this.entries.get(user);
    if (hit && hit.until > now) return hit.ctx;
    const running = this.loading.get(user);
    if (running) return running;
    const startedAt = ++this.clock;
    this.running++;
    const load: Promise<ReaderContext> = this.load(user)
      .then((ctx) => {
        if ((this.invalidatedAt.get(user) ?? 0) < startedAt) this.remember(user, ctx, Date.now());
        return ctx;
      })
      .finally(() => {
        if (this.loading.get(user) === load) this.loading.delete(user);
        if (--this.running === 0) this.invalidatedAt.clear();
      });
    this.loading.set(user, load);
    return load;
  }

  /** The reader's state changed here (last read, rebuild): keep the graph, replace the state. */
  updateState(user: UserId, state: ReaderState): void {
    const hit = this.entries.get(user);
    this.invalidate([user]);
    if (hit && !rebuildPending(state)) this.remember(user, { ...hit.ctx, state }, Date.now(), hit.until);
  }

  invalidate(users: readonly UserId[]): void {
    for (const u of users) {
      // Only loads already running can be stale; with none running there is nothing to mark.
      if (this.running > 0) this.invalidatedAt.set(u, ++this.clock);
      this.drop(u);
      // Later pages start a fresh load instead of joining one that may have read the old graph.
      this.loading.delete(u);
    }
  }

  private async load(user: UserId): Promise<ReaderContext> {
    const [state, following, muted, pulled] = await Promise.all([
      this.readers.get(user),
      this.allFollowing(user),
      this.graph.mutedBy(user),
      this.graph.pulledFollows(user),
    ]);
    return { state, following, muted, pulled };
  }

  /** At most FOLLOW_LIMIT accounts (enforced on follow): a page never reads an unbounded list. */
  private async allFollowing(user: UserId): Promise<Set<UserId>> {
    const out = new Set<UserId>();
    for await (const page of this.graph.followingPages(user, Math.min(1000, this.followLimit))) {
      for (const u of page) {
        if (out.size >= this.followLimit) return out;
        out.add(u);
      }
    }
    return out;
  }

  private remember(user: UserId, ctx: ReaderContext, now: number, until: number = now + this.ttlMs): void {
    if (this.ttlMs === 0 || rebuildPending(ctx.state)) return;
    const weight = 1 + ctx.following.size + ctx.muted.size + ctx.pulled.length;
    if (weight > this.maxIds) return;
    this.drop(user);
    for (const [u] of this.entries) {
      if (this.weight + weight <= this.maxIds) break;
      this.drop(u);
    }
    this.entries.set(user, { ctx, until, weight });
    this.weight += weight;
  }

  private drop(user: UserId): void {
    const e = this.entries.get(user);
    if (!e) return;
    this.entries.delete(user);
    this.weight -= e.weight;
  }
}
