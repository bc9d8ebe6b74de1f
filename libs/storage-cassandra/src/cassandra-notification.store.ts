import { dayNumber, FeedPosition, NotificationEntry, UserId } from '@app/domain';
import { NotificationStore } from '@app/feeds';
import { Client } from 'cassandra-driver';
import { chunk, dateMs, executeMany, IDEMPOTENT, micros, queryMany, ttlOrNull } from './cql';
import { NOTIFICATION_DAYS_CQL } from './tables/notification-days.cql';
import { NOTIFICATION_LOG_CQL } from './tables/notification-log.cql';
import { NOTIFICATION_MARKS_CQL } from './tables/notification-marks.cql';

/** Recipients written at once (an activity has at most 100 `to` entries, docs/api.md §1). */
export const NOTIFICATION_WRITE_CONCURRENCY = 32;
/** Group ids per `IN` read of marks (one partition). */
const MARKS_IN_CHUNK = 100;
/** Marks per single-partition unlogged batch. */
const MARK_BATCH = 50;
/**
 * A day's index row outlives that day's entries: entries of one UTC day get TTLs that differ by at
 * most a day (TTL = retention - age), and the index row keeps the TTL of the latest write.
 */
const DAY_INDEX_TTL_SLACK_SECONDS = 86_400;

export class CassandraNotificationStore implements NotificationStore {
  constructor(private readonly client: Client) {}

  async append(recipients: readonly UserId[], entry: NotificationEntry, ttlSeconds: number, tsMicros: number): Promise<void> {
    const ttl = ttlOrNull(ttlSeconds);
    if (ttl === null || recipients.length === 0) return;
    const day = dayNumber(entry.ms);
    const ts = micros(tsMicros);
    const published = new Date(entry.ms);
    const received = new Date(entry.receivedMs);
    const dayTtl = ttlOrNull(ttl + DAY_INDEX_TTL_SLACK_SECONDS) ?? ttl;
    // The log row first: a reader that sees the day in the index finds the entry in it.
    await executeMany(
      this.client,
      NOTIFICATION_LOG_CQL.insert,
      recipients.map((u) => [u, day, published, entry.id, entry.actor, entry.type, entry.object, received, ttl, ts]),
      NOTIFICATION_WRITE_CONCURRENCY,
    );
    await executeMany(this.client, NOTIFICATION_DAYS_CQL.insert, recipients.map((u) => [u, day, dayTtl, ts]), NOTIFICATION_WRITE_CONCURRENCY);
  }

  async remove(recipients: readonly UserId[], ref: FeedPosition, tsMicros: number): Promise<void> {
    const day = dayNumber(ref.ms);
    const ts = micros(tsMicros);
    const published = new Date(ref.ms);
    await executeMany(
      this.client,
      NOTIFICATION_LOG_CQL.remove,
      recipients.map((u) => [ts, u, day, published, ref.id]),
      NOTIFICATION_WRITE_CONCURRENCY,
    );
  }

  async days(user: UserId, floorDay: number, ceilingDay: number, limit: number): Promise<number[]> {
    const rs = await this.client.execute(NOTIFICATION_DAYS_CQL.between, [user, floorDay, ceilingDay, limit], { ...IDEMPOTENT, fetchSize: limit });
    return rs.rows.map((r) => r.get('day') as number);
  }

  async readDay(user: UserId, day: number, limit: number): Promise<NotificationEntry[]> {
    const rows = (await this.client.execute(NOTIFICATION_LOG_CQL.readDay, [user, day, limit], { ...IDEMPOTENT, fetchSize: limit })).rows;
    return rows.map((r) => ({
      ms: dateMs(r.get('published')) ?? 0,
      id: r.get('id') as string,
      actor: r.get('actor') as string,
      type: r.get('type') as string,
      object: r.get('object') as string,
      receivedMs: dateMs(r.get('received_at')) ?? 0,
    }));
  }

  async marks(user: UserId, groupIds: readonly string[]): Promise<{ seen: Map<string, number>; read: Map<string, number> }> {
    const chunks = chunk([...new Set(groupIds)], MARKS_IN_CHUNK);
    const rows = (await queryMany(this.client, NOTIFICATION_MARKS_CQL.among, chunks.map((ids) => [user, ids]), chunks.length)).flatMap((rs) => rs.rows);
    const seen = new Map<string, number>();
    const read = new Map<string, number>();
    for (const r of rows) {
      const id = r.get('group_id') as string;
      const s = dateMs(r.get('seen_at'));
      const rd = dateMs(r.get('read_at'));
      if (s !== null) seen.set(id, s);
      if (rd !== null) read.set(id, rd);
    }
    return { seen, read };
  }

  /** All marks share the user's partition: unlogged single-partition batches. Read implies seen. */
  async mark(user: UserId, groupIds: readonly string[], kind: 'seen' | 'read', ms: number, ttlSeconds: number): Promise<void> {
    const ttl = ttlOrNull(ttlSeconds);
    if (ttl === null) return;
    const at = new Date(ms);
    const ts = micros(ms * 1000);
    const unique = [...new Set(groupIds)];
    await Promise.all(
      chunk(unique, MARK_BATCH).map((ids) =>
        this.client.batch(
          ids.map((g) =>
            kind === 'read'
              ? { query: NOTIFICATION_MARKS_CQL.markRead, params: [ttl, ts, at, at, user, g] }
              : { query: NOTIFICATION_MARKS_CQL.markSeen, params: [ttl, ts, at, user, g] },
          ),
          { ...IDEMPOTENT, logged: false },
        ),
      ),
    );
  }
}
