import { Activity, toIso, UserId } from '@app/domain';
import { ActivityStore, StoredActivity } from '@app/feeds';
import { Client, types } from 'cassandra-driver';
import { dateMs, IDEMPOTENT, micros, queryMany, ttlOrNull } from './cql';
import { ACTIVITIES_CQL } from './tables/activities.cql';

/** Point reads in flight at once for `getMany` (a page of a feed: at most a few hundred ids). */
export const GET_MANY_CONCURRENCY = 64;

const optional = <T>(v: T | undefined | null): T | typeof types.unset => (v === undefined || v === null ? types.unset : v);

function fromRow(row: types.Row): StoredActivity {
  const published = dateMs(row.get('published'));
  const recipients = row.get('recipients') as string[] | null;
  const target = row.get('target') as string | null;
  const foreignId = row.get('foreign_id') as string | null;
  const extra = row.get('extra') as string | null;
  const deletedBy = new Set((row.get('deleted_by') as string[] | null) ?? []);
  const actor = (row.get('actor') as string | null) ?? '';
  const type = row.get('type') as string | null;
  // A marker-only row (deleted before its create arrived; a create always writes `type`). A v1 marker also
  // holds its deleter in `actor`, with `deleted`.
  if (type === null) {
    if (row.get('deleted') === true && actor !== '') deletedBy.add(actor);
    return { activity: null, acceptedMs: 0, deleted: false, deletedBy: [...deletedBy] };
  }
  const activity: Activity = {
    id: row.get('id') as string,
    actor,
    type,
    object: (row.get('object') as string | null) ?? '',
    published: toIso(published ?? 0),
    ...(target !== null ? { target } : {}),
    ...(recipients !== null && recipients.length > 0 ? { to: recipients } : {}),
    ...(foreignId !== null ? { foreignId } : {}),
    ...(extra !== null ? { extra: JSON.parse(extra) as Record<string, unknown> } : {}),
  };
  // v1 rows: `deleted` set together with `actor` by the delete.
  if (row.get('deleted') === true) deletedBy.add(actor);
  return { activity, acceptedMs: dateMs(row.get('accepted_at')) ?? 0, deleted: deletedBy.has(actor), deletedBy: [...deletedBy] };
}

/**
 * activities: one row per activity. `put` is written with timestamp acceptedMs*1000 and never touches
 * `deleted_by`, so a marker written by `markDeleted` (timestamped with the delete time) survives a
 * redelivered create. `deleted` is true only when the activity's own actor is in `deleted_by`.
 */
export class CassandraActivityStore implements ActivityStore {
  constructor(private readonly client: Client) {}

  async get(id: string): Promise<StoredActivity | null> {
    const rs = await this.client.execute(ACTIVITIES_CQL.get, [id], IDEMPOTENT);
    const row = rs.first();
    return row ? fromRow(row) : null;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, StoredActivity>> {
    const unique = [...new Set(ids)];
    const results = await queryMany(this.client, ACTIVITIES_CQL.get, unique.map((id) => [id]), GET_MANY_CONCURRENCY);
    const out = new Map<string, StoredActivity>();
    for (const rs of results) {
      const row = rs.first();
      if (row) {
        const stored = fromRow(row);
        out.set(row.get('id') as string, stored);
      }
    }
    return out;
  }

  async put(activity: Activity, acceptedMs: number, ttlSeconds: number): Promise<void> {
    const ttl = ttlOrNull(ttlSeconds);
    if (ttl === null) return;
    await this.client.execute(
      ACTIVITIES_CQL.insert,
      [
        activity.id,
        activity.actor,
        activity.type,
        activity.object,
        optional(activity.target),
        new Date(Date.parse(activity.published)),
        activity.to && activity.to.length > 0 ? [...activity.to] : types.unset,
        optional(activity.foreignId),
        activity.extra !== undefined ? JSON.stringify(activity.extra) : types.unset,
        new Date(acceptedMs),
        ttl,
        micros(acceptedMs * 1000),
      ],
      IDEMPOTENT,
    );
  }

  async markDeleted(id: string, actor: UserId, tsMicros: number, ttlSeconds: number): Promise<void> {
    const ttl = ttlOrNull(ttlSeconds);
    // Past retention: the activity (and any redelivered create, whose TTL is as short) is already gone.
    if (ttl === null) return;
    await this.client.execute(ACTIVITIES_CQL.markDeleted, [ttl, micros(tsMicros), [actor], id], IDEMPOTENT);
  }
}
