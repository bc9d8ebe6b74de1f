import type { UserId } from '@app/domain';
import type { DeleteMarkerStore, RecentDelete } from '@app/feeds';

/** recent_deletes in memory: markers in written order; TTLs recorded, not enforced. */
export class InMemoryDeleteMarkerStore implements DeleteMarkerStore {
  readonly rows: { id: string; actor: UserId; writtenMs: number; ttlSeconds: number }[] = [];
  /** Makes the next reads fail (a Cassandra outage as the reader sees it). */
  failing = false;
  reads = 0;

  async record(id: string, actor: UserId, writtenMs: number, ttlSeconds: number): Promise<void> {
    if (Math.floor(ttlSeconds) < 1) return;
    this.rows.push({ id, actor, writtenMs, ttlSeconds });
    this.rows.sort((a, b) => a.writtenMs - b.writtenMs);
  }

  async writtenSince(fromMs: number, nowMs: number, limit: number): Promise<{ markers: RecentDelete[]; complete: boolean }> {
    this.reads++;
    if (this.failing) throw new Error('store unavailable');
    const all = this.rows.filter((r) => r.writtenMs >= fromMs && r.writtenMs <= nowMs).map((r) => ({ id: r.id, writtenMs: r.writtenMs }));
    return { markers: all.slice(0, limit), complete: all.length <= limit };
  }
}
