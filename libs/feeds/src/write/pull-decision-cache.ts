import { UserId } from '@app/domain';

/**
 * How long a "pushed" answer is trusted. Tuning knob (candidate for cfg.tuning): it only decides how late an
 * author who gains followers very fast is promoted; pushing a little longer is what happens anyway while a
 * promotion runs, and every follower still has the author pushed or pulled.
 */
export const PUSH_DECISION_TTL_MS = 60_000;
/**
 * A "pushed" answer is cached only for authors whose follower count leaves this share of the threshold as
 * headroom, and at least PUSH_DECISION_MIN_HEADROOM followers: an author near the threshold is checked on
 * every activity, so the count crossing is seen at once. An author pinned to push is cached whatever the count.
 */
export const PUSH_DECISION_HEADROOM_SHARE = 0.5;
export const PUSH_DECISION_MIN_HEADROOM = 100;
/** Entries kept (about 100 bytes each); the oldest go first. */
export const PULL_DECISION_MAX_ENTRIES = 50_000;

/**
 * Remembers push/pull decisions per author so most activities read neither `high_follower_authors` nor
 * `follow_counts`. Invariant `tideline demote` relies on: a "pulled" answer is never trusted for longer than
 * `pulledTtlMs` after the moment its lookup began (callers pass that moment), so once a demotion has pinned an
 * author and waited that long, every worker pushes the author's new activities.
 */
export class PullDecisionCache {
  private readonly entries = new Map<UserId, { pulled: boolean; untilMs: number }>();

  constructor(
    private readonly threshold: number,
    private readonly pulledTtlMs: number,
  ) {}

  /** The remembered decision (true = pulled), or undefined when the author must be looked up. */
  get(author: UserId, nowMs: number): boolean | undefined {
    const e = this.entries.get(author);
    if (e === undefined) return undefined;
    if (nowMs < e.untilMs) return e.pulled;
    this.entries.delete(author);
    return undefined;
  }

  /** A "pulled" answer from a lookup that began at `lookedUpMs`. */
  pulled(author: UserId, lookedUpMs: number): void {
    if (this.pulledTtlMs > 0) this.set(author, { pulled: true, untilMs: lookedUpMs + this.pulledTtlMs });
    else this.entries.delete(author);
  }

  /** A "pushed" answer for an author with `followers` followers, cached only with enough headroom (or when pinned). */
  pushed(author: UserId, followers: number, nowMs: number, pinned = false): void {
    const headroom = this.threshold - followers;
    if (!pinned && (headroom < PUSH_DECISION_MIN_HEADROOM || headroom < this.threshold * PUSH_DECISION_HEADROOM_SHARE)) return;
    this.set(author, { pulled: false, untilMs: nowMs + PUSH_DECISION_TTL_MS });
  }

  /** Forgets `author` (this process just changed their delivery). */
  forget(author: UserId): void {
    this.entries.delete(author);
  }

  private set(author: UserId, e: { pulled: boolean; untilMs: number }): void {
    this.entries.delete(author);
    if (this.entries.size >= PULL_DECISION_MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(author, e);
  }
}
