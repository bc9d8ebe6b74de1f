import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPosition, UserId } from '@app/domain';
import { SlicePage, TIMELINE_STORE, TimelineStore } from '../ports';

interface Entry {
  readonly page: SlicePage;
  readonly limit: number;
  readonly floorMs: number;
  readonly until: number;
}

/**
 * Pulled authors whose newest rows are kept at once. An entry is one slice (at most 105 rows, bodies of at
 * most 2 KiB each), so the cache holds at most about 200 MiB and typically a few MiB: pulled authors are few.
 */
const MAX_ENTRIES = 1_000;

/**
 * The newest rows of pulled (high-follower) authors' feeds, shared by every reader merging them: each is
 * read once per READ_PULLED_CACHE_MS however many readers follow the author, and concurrent misses share
 * one read. Only first slices (`before` = null) are cached; older slices differ per reader and go to the
 * store. A cached slice serves any floor at or above the one it was read with and any limit up to its own.
 * Staleness: a new activity of the author shows in pages at most READ_PULLED_CACHE_MS late (live streams
 * get it at once); a deleted one is hidden by RecentDeletes meanwhile.
 */
@Injectable()
export class PulledFeeds {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(TIMELINE_STORE) private readonly timelines: TimelineStore,
  ) {
    this.ttlMs = cfg.tuning.readPulledCacheMs;
  }

  async read(author: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage> {
    if (before !== null || this.ttlMs === 0) return this.timelines.readUserFeed(author, before, floorMs, limit);
    const now = Date.now();
    const hit = this.entries.get(author);
    if (hit && hit.until > now && hit.limit >= limit && hit.floorMs <= floorMs) return narrow(hit, floorMs, limit);
    let load = this.loading.get(author);
    if (!load) {
      const started: Promise<Entry> = this.timelines.readUserFeed(author, null, floorMs, limit).then((page) => {
        const entry = { page, limit, floorMs, until: Date.now() + this.ttlMs };
        this.remember(author, entry);
        return entry;
      }).finally(() => {
        if (this.loading.get(author) === started) this.loading.delete(author);
      });
      this.loading.set(author, started);
      load = started;
    }
    const entry = await load;
    // A shared load may have asked for fewer rows or a lower floor than this reader: read its own then.
    if (entry.limit >= limit && entry.floorMs <= floorMs) return narrow(entry, floorMs, limit);
    return this.timelines.readUserFeed(author, null, floorMs, limit);
  }

  private remember(author: UserId, entry: Entry): void {
    this.entries.delete(author);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(author, entry);
  }
}

/**
 * The cached slice as if read with `floorMs` ≥ its own floor and `limit` ≤ its own: rows below the floor go,
 * and then nothing older remains above it, so the slice is exhausted if what is left fits the limit.
 */
function narrow(e: Entry, floorMs: number, limit: number): SlicePage {
  const rows = e.page.rows.filter((r) => r.ms >= floorMs);
  const cut = rows.length < e.page.rows.length;
  return { rows: rows.slice(0, limit), exhausted: (e.page.exhausted || cut) && rows.length <= limit };
}
