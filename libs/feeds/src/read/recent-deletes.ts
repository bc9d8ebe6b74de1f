import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DELETE_MARKER_STORE, DeleteMarkerStore } from '../ports';

/** Each poll re-reads this far behind the previous one: a marker can land a little after its written time. */
export const MARKER_OVERLAP_MS = 10_000;
/** After an overflow (or a failed load), the full reload is retried this often, not on every poll. */
const RELOAD_BACKOFF_MS = 60_000;

/**
 * The ids deleted in the last DELETE_MARKER_HOURS, as this API instance knows them: loaded from
 * recent_deletes at start, polled every DELETE_MARKER_POLL_MS, and added at once from live delete events
 * and this instance's own deletes. Feed rows that carry their activity are shown only if their id is not
 * here; that hides a delete everywhere while its removal fanout is still running.
 *
 * Invariant: while `complete` is false (loading, after a failed poll, or more markers than
 * DELETE_MARKERS_MAX) the set may miss deletes, and readers verify every row against the activities
 * table instead, as they do for rows without a body. Memory is bounded by DELETE_MARKERS_MAX ids.
 */
@Injectable()
export class RecentDeletes implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(RecentDeletes.name);
  /** id → when its marker was written; insertion order is about marker order. */
  private readonly ids = new Map<string, number>();
  private readonly spanMs: number;
  private readonly pollMs: number;
  private readonly max: number;
  private trusted = false;
  /** The time of the last successful poll: every marker written before it (minus the overlap) is here. */
  private coveredTo = 0;
  private nextReloadMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(DELETE_MARKER_STORE) private readonly store: DeleteMarkerStore,
  ) {
    this.spanMs = cfg.tuning.deleteMarkerHours * 3_600_000;
    this.pollMs = cfg.tuning.deleteMarkerPollMs;
    this.max = cfg.tuning.deleteMarkersMax;
  }

  /** The first load runs in the background: until it completes, readers verify every row. */
  onModuleInit(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether the set holds every marker of the span (else rows must be verified against the store). */
  get complete(): boolean {
    return this.trusted;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** A delete learnt of directly (live event, or accepted by this instance). */
  add(id: string, nowMs: number = Date.now()): void {
    this.remember(id, nowMs);
  }

  /** One poll (never two at once); failures leave the set untrusted until a later poll succeeds. */
  refresh(nowMs: number = Date.now()): Promise<void> {
    this.running ??= this.poll(nowMs).finally(() => (this.running = null));
    return this.running;
  }

  private async poll(now: number): Promise<void> {
    if (!this.trusted && now < this.nextReloadMs) return;
    const from = this.trusted ? Math.max(this.coveredTo - MARKER_OVERLAP_MS, now - this.spanMs) : now - this.spanMs;
    try {
      const { markers, complete } = await this.store.writtenSince(from, now, this.max);
      for (const m of markers) this.remember(m.id, m.writtenMs);
      const overflow = this.expire(now);
      if (!complete || overflow) return this.overflowed(now);
      this.coveredTo = now;
      this.trusted = true;
    } catch (e) {
      if (this.trusted) this.log.warn({ err: (e as Error).message }, 'recent deletes not polled: verifying every feed row until they are');
      this.trusted = false;
    }
  }

  private overflowed(now: number): void {
    this.log.warn({ max: this.max }, 'more recent deletes than DELETE_MARKERS_MAX: verifying every feed row against the activities table');
    this.trusted = false;
    this.nextReloadMs = now + RELOAD_BACKOFF_MS;
  }

  private remember(id: string, writtenMs: number): void {
    const known = this.ids.get(id);
    if (known !== undefined && known >= writtenMs) return;
    this.ids.delete(id);
    this.ids.set(id, writtenMs);
  }

  /**
   * Drops markers older than the span (their removal fanout is long done), then the oldest beyond the cap;
   * returns whether the cap dropped any marker still inside the span (the set is then incomplete).
   */
  private expire(now: number): boolean {
    const floor = now - this.spanMs;
    let overflow = false;
    for (const [id, ms] of this.ids) {
      if (ms >= floor && this.ids.size <= this.max) break;
      if (ms >= floor) overflow = true;
      this.ids.delete(id);
    }
    return overflow;
  }
}
