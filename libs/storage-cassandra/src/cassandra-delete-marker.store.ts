import { UserId } from '@app/domain';
import { DeleteMarkerStore, RecentDelete } from '@app/feeds';
import { Client } from 'cassandra-driver';
import { dateMs, IDEMPOTENT, ttlOrNull } from './cql';
import { RECENT_DELETES_CQL } from './tables/recent-deletes.cql';

const HOUR_MS = 3_600_000;
export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);

/**
 * recent_deletes: one partition per hour of writing. A marker written twice (API and worker both record a
 * REST delete) is two rows; readers keep ids in a set, so that is harmless.
 */
export class CassandraDeleteMarkerStore implements DeleteMarkerStore {
  constructor(private readonly client: Client) {}

  async record(id: string, actor: UserId, writtenMs: number, ttlSeconds: number): Promise<void> {
    const ttl = ttlOrNull(ttlSeconds);
    if (ttl === null) return;
    await this.client.execute(RECENT_DELETES_CQL.insert, [hourOf(writtenMs), new Date(writtenMs), id, actor, ttl], IDEMPOTENT);
  }

  /** One statement per hour from `fromMs` to `nowMs` (the caller bounds the span), paged by the driver. */
  async writtenSince(fromMs: number, nowMs: number, limit: number): Promise<{ markers: RecentDelete[]; complete: boolean }> {
    const markers: RecentDelete[] = [];
    const from = new Date(fromMs);
    for (let hour = hourOf(fromMs); hour <= hourOf(nowMs); hour++) {
      let pageState: string | undefined;
      do {
        const want = limit - markers.length + 1;
        const rs = await this.client.execute(RECENT_DELETES_CQL.since, [hour, from, want], { ...IDEMPOTENT, fetchSize: Math.min(want, 5000), pageState });
        for (const row of rs.rows) markers.push({ id: row.get('id') as string, writtenMs: dateMs(row.get('written_at')) ?? 0 });
        if (markers.length > limit) return { markers: markers.slice(0, limit), complete: false };
        pageState = rs.pageState ?? undefined;
      } while (pageState);
    }
    return { markers, complete: true };
  }
}
