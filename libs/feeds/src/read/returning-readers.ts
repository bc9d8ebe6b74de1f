import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPolicy, HOME_LAYOUT_VERSION, isInactive, UserId } from '@app/domain';
import { HomeMaterializer } from '../home/home-materializer';
import { READER_STATE_STORE, ReaderState, ReaderStateStore } from '../ports';
import { forEachBounded } from '../resilience';

/** How often a reader's last-read time is refreshed; fanout only needs day resolution. */
const LAST_READ_REFRESH_MS = 3_600_000;
/** A rebuild recorded as started this long ago and never finished has failed; the next read redoes it. */
const REBUILD_STALE_MS = 30_000;

/** Whom a reader follows, and which of those are pulled authors. */
export interface ReaderFollows {
  readonly following: ReadonlySet<UserId>;
  readonly pulled: ReadonlySet<UserId>;
}

/** What one rebuild did: authors copied (the reader and their pushed followees), pulled ones skipped, home floor. */
export interface RebuildOutcome {
  readonly authors: number;
  readonly pulledAuthors: number;
  /** Reads below this time pull from the authors' feeds (0: every copy was complete). */
  readonly floorMs: number;
  readonly tookMs: number;
}

/** A rebuild started and not (yet) finished: the home timeline may have holes. */
export const rebuildPending = (s: ReaderState): boolean => s.rebuildStartedMs !== null && (s.rebuiltMs ?? -1) < s.rebuildStartedMs;

/**
 * The only writes a home read makes (decision in docs/architecture.md: the rebuild stays on the read path,
 * because handing it to the worker would serve every page by pull until the worker caught up). A first page
 * (or an opened stream) keeps the reader's home current:
 * - an inactive reader, one whose home has an older layout, or one whose last rebuild never finished and is
 *   stale, is rebuilt now;
 * - a rebuild running in this process is awaited (single flight); one running elsewhere (recent,
 *   unfinished) makes this page a pull (`materialised: false`), never a read of a half-built timeline;
 * - an active reader's last-read time is refreshed at most hourly.
 */
@Injectable()
export class ReturningReaders {
  private readonly log = new Logger(ReturningReaders.name);
  private readonly policy: FeedPolicy;
  /** Followee copies in flight while rebuilding. */
  private readonly concurrency: number;
  /** Rebuilds running in this process, by user (concurrent first reads share one). */
  private readonly rebuilding = new Map<UserId, Promise<RebuildOutcome>>();

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(READER_STATE_STORE) private readonly readers: ReaderStateStore,
    private readonly homes: HomeMaterializer,
  ) {
    this.policy = cfg.policy;
    this.concurrency = cfg.tuning.rebuildConcurrency;
  }

  /** `graph` is read only when a rebuild runs (the caller may already hold it). */
  async keepFresh(user: UserId, state: ReaderState, graph: () => Promise<ReaderFollows>, now: number): Promise<{ state: ReaderState; materialised: boolean }> {
    const running = this.rebuilding.get(user);
    const pending = rebuildPending(state);
    const stale = pending && now - (state.rebuildStartedMs ?? 0) > REBUILD_STALE_MS;
    // A home materialised under an older layout (HOME_LAYOUT_VERSION) is rebuilt like a returning reader's.
    const outdated = state.homeLayout < HOME_LAYOUT_VERSION;
    if (running || isInactive(this.policy, state.lastReadMs, now) || stale || (outdated && !pending)) {
      await (running ?? this.rebuildOnce(user, graph, now));
      return { state: await this.readers.get(user), materialised: true };
    }
    if (pending) return { state, materialised: false };
    if (state.lastReadMs !== null && now - state.lastReadMs > LAST_READ_REFRESH_MS) {
      await this.readers.setLastRead(user, now);
      // The state as stored now: a caller caching it must not refresh last-read again on its next page.
      return { state: { ...state, lastReadMs: now }, materialised: true };
    }
    return { state, materialised: true };
  }

  /**
   * Rebuilds `user`'s home now, whatever its state (`tideline rebuild`, docs/operations.md §6): the same pass a
   * returning reader's first page runs, sharing a rebuild already running in this process.
   */
  async rebuildNow(user: UserId, graph: () => Promise<ReaderFollows>, now: number = Date.now()): Promise<RebuildOutcome & { state: ReaderState }> {
    const outcome = await (this.rebuilding.get(user) ?? this.rebuildOnce(user, graph, now));
    return { ...outcome, state: await this.readers.get(user) };
  }

  private rebuildOnce(user: UserId, graph: () => Promise<ReaderFollows>, now: number): Promise<RebuildOutcome> {
    const run = graph()
      .then(({ following, pulled }) => this.rebuild(user, following, pulled, now))
      .finally(() => this.rebuilding.delete(user));
    this.rebuilding.set(user, run);
    return run;
  }

  /**
   * Re-materialises the home window from every followee (HomeMaterializer, as a follow does). The start is
   * recorded together with last-read first (from then on fanout delivers to this reader, and the copies
   * cover everything published before, since fanout writes the author's feed first); the finish only
   * after every copy succeeded. A rebuild that fails half-way stays pending, so reads pull until one
   * completes.
   */
  private async rebuild(user: UserId, following: ReadonlySet<UserId>, pulled: ReadonlySet<UserId>, now: number): Promise<RebuildOutcome> {
    const started = Date.now();
    await this.readers.startRebuild(user, now);
    const authors = [user, ...following].filter((a) => !pulled.has(a));
    let floor = 0;
    await forEachBounded(authors, this.concurrency, async (author) => {
      const c = await this.homes.copyRecent(user, author, now * 1000, now, 1);
      if (!c.complete && c.oldestMs !== null) floor = Math.max(floor, c.oldestMs);
    });
    await this.readers.finishRebuild(user, now, floor, HOME_LAYOUT_VERSION);
    const tookMs = Date.now() - started;
    this.log.log({ user, authors: authors.length, floor, tookMs }, 'rebuilt home timeline of a returning reader');
    return { authors: authors.length, pulledAuthors: pulled.size, floorMs: floor, tookMs };
  }
}
