import { UserId } from '@app/domain';
import { ReaderState, ReaderStateStore } from '@app/feeds';
import { Client } from 'cassandra-driver';
import { byReplica, chunk, dateMs, IDEMPOTENT, micros, queryMany, textKey } from './cql';
import { USER_STATE_CQL } from './tables/user-state.cql';

/**
 * user_state. Last-read and "mark all" watermarks are written with timestamp ms*1000, so they act as
 * a max: a reordered older write never moves them back. The home floor uses the driver timestamp.
 */
/** Users per `IN` query of lastReadMany (partitions of one replica). */
export const LAST_READ_GROUP = 64;

export class CassandraReaderStateStore implements ReaderStateStore {
  constructor(private readonly client: Client) {}

  async get(user: UserId): Promise<ReaderState> {
    const row = (await this.client.execute(USER_STATE_CQL.get, [user], IDEMPOTENT)).first();
    return {
      lastReadMs: row ? dateMs(row.get('last_read_at')) : null,
      homeFloorMs: row ? dateMs(row.get('home_floor')) : null,
      seenAllMs: (row && dateMs(row.get('seen_all_at'))) ?? 0,
      readAllMs: (row && dateMs(row.get('read_all_at'))) ?? 0,
      rebuildStartedMs: row ? dateMs(row.get('rebuild_started_at')) : null,
      rebuiltMs: row ? dateMs(row.get('rebuilt_at')) : null,
      homeLayout: (row?.get('home_layout') as number | null | undefined) ?? 0,
    };
  }

  /**
   * One `IN` query per LAST_READ_GROUP users owned by the same replica (the coordinator then reads only local
   * partitions), at most ⌈concurrency / LAST_READ_GROUP⌉ queries in flight.
   */
  async lastReadMany(users: readonly UserId[], concurrency: number): Promise<Map<UserId, number>> {
    const unique = [...new Set(users)];
    const groups = byReplica(this.client, unique, textKey).flatMap((g) => chunk(g, LAST_READ_GROUP));
    const inFlight = Math.max(1, Math.ceil(concurrency / LAST_READ_GROUP));
    const results = await queryMany(this.client, USER_STATE_CQL.lastReadAmong, groups.map((g) => [g]), inFlight);
    const out = new Map<UserId, number>();
    for (const rs of results) {
      for (const row of rs.rows) {
        const ms = dateMs(row.get('last_read_at'));
        if (ms !== null) out.set(row.get('user_id') as string, ms);
      }
    }
    return out;
  }

  async setLastRead(user: UserId, ms: number): Promise<void> {
    await this.client.execute(USER_STATE_CQL.setLastRead, [micros(ms * 1000), new Date(ms), user], IDEMPOTENT);
  }

  async setHomeFloor(user: UserId, ms: number): Promise<void> {
    await this.client.execute(USER_STATE_CQL.setHomeFloor, [new Date(ms), user], IDEMPOTENT);
  }

  async startRebuild(user: UserId, ms: number): Promise<void> {
    await this.client.execute(USER_STATE_CQL.startRebuild, [micros(ms * 1000), new Date(ms), new Date(ms), user], IDEMPOTENT);
  }

  async finishRebuild(user: UserId, startedMs: number, floorMs: number, layout: number): Promise<void> {
    await this.client.execute(USER_STATE_CQL.finishRebuild, [new Date(startedMs), new Date(floorMs), layout, user], IDEMPOTENT);
  }

  async markAll(user: UserId, kind: 'seen' | 'read', ms: number): Promise<void> {
    const at = new Date(ms);
    const ts = micros(ms * 1000);
    if (kind === 'read') await this.client.execute(USER_STATE_CQL.markReadAll, [ts, at, at, user], IDEMPOTENT);
    else await this.client.execute(USER_STATE_CQL.markSeenAll, [ts, at, user], IDEMPOTENT);
  }
}
