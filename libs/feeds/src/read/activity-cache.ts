import { ActivityStore, StoredActivity } from '../ports';

/**
 * A short-lived, bounded read-through cache in front of the activity store, for the API's hydration of
 * feed pages (25 point reads per page otherwise; the same popular activities are read by every follower).
 *
 * Invariants:
 * - only live (not deleted) activities are cached, and only for `ttlMs`: an activity deleted elsewhere
 *   disappears from pages within that time at the latest;
 * - a delete through this API instance (markDeleted) and every delete live event (all API instances consume
 *   them) invalidate at once, so in practice a delete is visible immediately;
 * - writes go straight to the store; the cache never holds anything the store does not.
 */
export class CachedActivityStore implements ActivityStore {
  private readonly entries = new Map<string, { value: StoredActivity; until: number }>();

  constructor(
    private readonly store: ActivityStore,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  invalidate(id: string): void {
    this.entries.delete(id);
  }

  async get(id: string): Promise<StoredActivity | null> {
    return (await this.getMany([id])).get(id) ?? null;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, StoredActivity>> {
    const now = Date.now();
    const out = new Map<string, StoredActivity>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.entries.get(id);
      if (hit && hit.until > now) out.set(id, hit.value);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const loaded = await this.store.getMany(missing);
    for (const [id, value] of loaded) {
      out.set(id, value);
      if (!value.deleted) this.remember(id, value, now);
    }
    return out;
  }

  put(...args: Parameters<ActivityStore['put']>): Promise<void> {
    return this.store.put(...args);
  }

  async markDeleted(...args: Parameters<ActivityStore['markDeleted']>): Promise<void> {
    this.invalidate(args[0]);
    await this.store.markDeleted(...args);
    this.invalidate(args[0]);
  }

  private remember(id: string, value: StoredActivity, now: number): void {
    if (this.entries.size >= this.maxEntries) {
      // Oldest insertion first: Map iteration order is insertion order.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(id, { value, until: now + this.ttlMs });
  }
}

/** The API's cached activity store (ReadModule provides it). */
export const READ_ACTIVITY_STORE = Symbol('READ_ACTIVITY_STORE');
