import { GraphChange, UserId } from '@app/domain';
import { GraphPage, GraphStore } from '@app/feeds';
import { Client, types } from 'cassandra-driver';
import { chunk, dateMs, IDEMPOTENT, micros, queryMany, selectAll, selectPages } from './cql';
import { FOLLOW_COUNTS_CQL } from './tables/follow-counts.cql';
import { FOLLOWERS_CQL } from './tables/followers.cql';
import { FOLLOWING_CQL } from './tables/following.cql';
import { HIGH_FOLLOWER_AUTHORS_CQL } from './tables/high-follower-authors.cql';
import { PUSH_PINNED_AUTHORS_CQL } from './tables/push-pinned-authors.cql';
import { MUTES_CQL } from './tables/mutes.cql';
import { PULLED_FOLLOWS_CQL } from './tables/pulled-follows.cql';

/** `IN` lists on a clustering key stay small: one partition, at most this many keys per statement. */
export const IN_CHUNK = 100;
const COUNTER = { prepare: true, isIdempotent: false } as const;

/**
 * Follow graph (following + followers mirrors), mutes, counts and the hybrid push/pull tables.
 *
 * `apply` writes with `USING TIMESTAMP atMs*1000`, so the newest change to an edge wins whatever
 * order changes arrive in. It reads the edge before and after the write: `exists` is the state after
 * (a newer opposite change may have won), `changed` is whether that differs from before.
 *
 * follow_counts is approximate: it moves only when `changed`, but two concurrent applies of the same
 * change can both observe the old state and both count, and a counter update that times out may or
 * may not have applied (counters are never retried). It only drives the high-follower threshold,
 * where an error of a few is irrelevant.
 */
export class CassandraGraphStore implements GraphStore {
  constructor(private readonly client: Client) {}

  async apply(change: GraphChange): Promise<{ exists: boolean; changed: boolean }> {
    const { op, user, target, atMs } = change;
    const ts = micros(atMs * 1000);
    const since = new Date(atMs);
    const isMute = op === 'mute' || op === 'unmute';
    const probe = isMute ? MUTES_CQL.exists : FOLLOWING_CQL.exists;
    const before = await this.exists(probe, user, target);
    switch (op) {
      case 'follow':
        await Promise.all([
          this.client.execute(FOLLOWING_CQL.insert, [user, target, since, ts], IDEMPOTENT),
          this.client.execute(FOLLOWERS_CQL.insert, [target, user, since, ts], IDEMPOTENT),
        ]);
        break;
      case 'unfollow':
        await Promise.all([
          this.client.execute(FOLLOWING_CQL.remove, [ts, user, target], IDEMPOTENT),
          this.client.execute(FOLLOWERS_CQL.remove, [ts, target, user], IDEMPOTENT),
        ]);
        break;
      case 'mute':
        await this.client.execute(MUTES_CQL.insert, [user, target, since, ts], IDEMPOTENT);
        break;
      case 'unmute':
        await this.client.execute(MUTES_CQL.remove, [ts, user, target], IDEMPOTENT);
        break;
      default: {
        const never: never = op;
        throw new Error(`Unknown graph op ${String(never)}`);
      }
    }
    const exists = await this.exists(probe, user, target);
    const changed = exists !== before;
    if (changed && !isMute) {
      const delta = types.Long.fromNumber(exists ? 1 : -1);
      await Promise.all([
        this.client.execute(FOLLOW_COUNTS_CQL.addFollowers, [delta, target], COUNTER),
        this.client.execute(FOLLOW_COUNTS_CQL.addFollowing, [delta, user], COUNTER),
      ]);
    }
    return { exists, changed };
  }

  private async exists(cql: string, user: UserId, target: UserId): Promise<boolean> {
    const rs = await this.client.execute(cql, [user, target], IDEMPOTENT);
    return rs.rowLength > 0;
  }

  isFollowing(user: UserId, target: UserId): Promise<boolean> {
    return this.exists(FOLLOWING_CQL.exists, user, target);
  }

  /** One statement per IN_CHUNK candidates, all issued at once (one round-trip wave). */
  async followingAmong(user: UserId, candidates: readonly UserId[]): Promise<Set<UserId>> {
    const unique = [...new Set(candidates)];
    const chunks = chunk(unique, IN_CHUNK);
    const results = await queryMany(this.client, FOLLOWING_CQL.among, chunks.map((c) => [user, c]), chunks.length);
    const out = new Set<UserId>();
    for (const rs of results) for (const row of rs.rows) out.add(row.get('target_id') as string);
    return out;
  }

  async mutedBy(user: UserId): Promise<Set<UserId>> {
    const rows = await selectAll(this.client, MUTES_CQL.all, [user]);
    return new Set(rows.map((r) => r.get('target_id') as string));
  }

  followingPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage> {
    return this.page(FOLLOWING_CQL, 'target_id', user, after, limit);
  }

  mutedPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage> {
    return this.page(MUTES_CQL, 'target_id', user, after, limit);
  }

  followersPage(user: UserId, after: UserId | null, limit: number): Promise<GraphPage> {
    return this.page(FOLLOWERS_CQL, 'follower_id', user, after, limit);
  }

  /** Reads limit + 1 rows so `next` is null exactly on the last page. */
  private async page(
    cql: { pageFirst: string; pageAfter: string },
    column: string,
    user: UserId,
    after: UserId | null,
    limit: number,
  ): Promise<GraphPage> {
    const rs =
      after === null
        ? await this.client.execute(cql.pageFirst, [user, limit + 1], IDEMPOTENT)
        : await this.client.execute(cql.pageAfter, [user, after, limit + 1], IDEMPOTENT);
    const items = rs.rows.slice(0, limit).map((r) => ({ userId: r.get(column) as string, sinceMs: dateMs(r.get('since')) ?? 0 }));
    const last = items[items.length - 1];
    return { items, next: rs.rowLength > limit && last ? last.userId : null };
  }

  async *followerPages(user: UserId, pageSize: number): AsyncIterable<UserId[]> {
    for await (const rows of selectPages(this.client, FOLLOWERS_CQL.all, [user], pageSize)) {
      yield rows.map((r) => r.get('follower_id') as string);
    }
  }

  async *followingPages(user: UserId, pageSize: number): AsyncIterable<UserId[]> {
    for await (const rows of selectPages(this.client, FOLLOWING_CQL.all, [user], pageSize)) {
      yield rows.map((r) => r.get('target_id') as string);
    }
  }

  async followerCount(user: UserId): Promise<number> {
    const row = (await this.client.execute(FOLLOW_COUNTS_CQL.get, [user], IDEMPOTENT)).first();
    const v = row?.get('followers') as types.Long | null | undefined;
    return v ? Math.max(0, v.toNumber()) : 0;
  }

  async followingCount(user: UserId, upTo: number): Promise<number> {
    const rs = await this.client.execute(FOLLOWING_CQL.upTo, [user, upTo], { ...IDEMPOTENT, fetchSize: upTo });
    return rs.rowLength;
  }

  async isHighFollower(author: UserId): Promise<boolean> {
    const rs = await this.client.execute(HIGH_FOLLOWER_AUTHORS_CQL.get, [author], IDEMPOTENT);
    return rs.rowLength > 0;
  }

  async markHighFollower(author: UserId, sinceMs: number): Promise<void> {
    await this.client.execute(HIGH_FOLLOWER_AUTHORS_CQL.insert, [author, new Date(sinceMs)], IDEMPOTENT);
  }

  async unmarkHighFollower(author: UserId): Promise<void> {
    await this.client.execute(HIGH_FOLLOWER_AUTHORS_CQL.remove, [author], IDEMPOTENT);
  }

  async isPushPinned(author: UserId): Promise<boolean> {
    const rs = await this.client.execute(PUSH_PINNED_AUTHORS_CQL.get, [author], IDEMPOTENT);
    return rs.rowLength > 0;
  }

  async setPushPin(author: UserId, sinceMs: number | null): Promise<void> {
    if (sinceMs === null) await this.client.execute(PUSH_PINNED_AUTHORS_CQL.remove, [author], IDEMPOTENT);
    else await this.client.execute(PUSH_PINNED_AUTHORS_CQL.insert, [author, new Date(sinceMs)], IDEMPOTENT);
  }

  async addPulledFollow(user: UserId, author: UserId, tsMicros: number): Promise<void> {
    await this.client.execute(PULLED_FOLLOWS_CQL.insert, [user, author, micros(tsMicros)], IDEMPOTENT);
  }

  async removePulledFollow(user: UserId, author: UserId, tsMicros: number): Promise<void> {
    await this.client.execute(PULLED_FOLLOWS_CQL.remove, [micros(tsMicros), user, author], IDEMPOTENT);
  }

  async pulledFollows(user: UserId): Promise<UserId[]> {
    const rows = await selectAll(this.client, PULLED_FOLLOWS_CQL.all, [user]);
    return rows.map((r) => r.get('author_id') as string);
  }
}
