import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPolicy, FeedPosition, homeTtlSeconds, UserId, windowFloorMs } from '@app/domain';
import { FeedRef, TIMELINE_STORE, TimelineStore } from '../ports';

/** What one author's copy into a home left behind. */
export interface CopyResult {
  /** False when FOLLOW_BACKFILL_LIMIT cut the copy short: older activities of the author exist in the window. */
  readonly complete: boolean;
  /** `published` of the oldest copied activity (null when none was copied). */
  readonly oldestMs: number | null;
}

/** An author's newest activities inside the home window, newest first; `complete` when none older remain. */
export interface RecentRows {
  readonly rows: readonly FeedRef[];
  readonly complete: boolean;
}

/**
 * The one rule for materialising an author's activities into a home timeline, shared by follow backfill
 * (write path) and returning readers (read path): the author's newest FOLLOW_BACKFILL_LIMIT activities
 * inside the home window, copied with the caller's write timestamp. Where the limit cut the copy short, the
 * caller raises the reader's home floor to `oldestMs`, below which reads pull: nothing is ever missing.
 */
@Injectable()
export class HomeMaterializer {
  private readonly policy: FeedPolicy;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(TIMELINE_STORE) private readonly timelines: TimelineStore,
  ) {
    this.policy = cfg.policy;
  }

  /** Copies `author`'s recent activities into `user`'s home (`minLimit` = at least this many). */
  async copyRecent(user: UserId, author: UserId, tsMicros: number, nowMs: number, minLimit = 0): Promise<CopyResult> {
    return this.copyRows(user, await this.recentOf(author, nowMs, minLimit), tsMicros, nowMs);
  }

  /** What copyRecent would copy, read once for many homes (`tideline demote`). */
  async recentOf(author: UserId, nowMs: number, minLimit = 0): Promise<RecentRows> {
    const limit = Math.max(minLimit, this.policy.followBackfillLimit);
    if (limit === 0) return { rows: [], complete: false };
    const page = await this.timelines.readUserFeed(author, null, windowFloorMs(this.policy, nowMs), limit);
    return { rows: page.rows, complete: page.exhausted };
  }

  /** Writes rows read by recentOf into `user`'s home. */
  async copyRows(user: UserId, recent: RecentRows, tsMicros: number, nowMs: number): Promise<CopyResult> {
    if (recent.rows.length > 0) {
      await this.timelines.appendHomeMany(user, recent.rows, tsMicros, (r) => homeTtlSeconds(this.policy, r.ms, nowMs), this.policy.concurrency);
    }
    return { complete: recent.complete, oldestMs: recent.rows[recent.rows.length - 1]?.ms ?? null };
  }

  /** Removes `author`'s activities inside the home window from `user`'s home (unfollow). */
  async removeAuthor(user: UserId, author: UserId, tsMicros: number, nowMs: number): Promise<void> {
    const floor = windowFloorMs(this.policy, nowMs);
    let before: FeedPosition | null = null;
    for (;;) {
      const page = await this.timelines.readUserFeed(author, before, floor, 500);
      if (page.rows.length > 0) await this.timelines.removeHomeMany(user, page.rows, tsMicros, this.policy.concurrency);
      const last: FeedRef | undefined = page.rows[page.rows.length - 1];
      if (page.exhausted || !last) return;
      before = last;
    }
  }
}
