import { bucketOf, FeedPosition, HOME_BUCKET_MS, USER_FEED_BUCKET_MS, UserId } from '@app/domain';
import { FeedRef, SlicePage, TimelineStore } from '@app/feeds';
import { Client, types } from 'cassandra-driver';
import { BatchLimits, executeByReplica, executeMany, IDEMPOTENT, intKey, micros, routingKey, textKey, ttlOrNull } from './cql';
import { inlineBody, parseBody } from './inline-body';
import { BucketedFeed, readBucketed } from './slice-reader';
import { HOME_TIMELINE_CQL } from './tables/home-timeline.cql';
import { USER_FEED_CQL } from './tables/user-feed.cql';

const positionOf = (row: types.Row): FeedPosition => ({ ms: (row.get('published') as Date).getTime(), id: row.get('id') as string });

function withBody(p: FeedPosition, actor: UserId, body: unknown): FeedRef {
  const activity = parseBody(body, p.id, actor);
  return activity ? { ...p, actor, activity } : { ...p, actor };
}

const USER_FEED: BucketedFeed = {
  bucketMs: USER_FEED_BUCKET_MS,
  sliceBefore: USER_FEED_CQL.sliceBefore,
  sliceAll: USER_FEED_CQL.sliceAll,
  toRef: (row, actor) => withBody(positionOf(row), actor, row.get('body')),
};

const HOME: BucketedFeed = {
  bucketMs: HOME_BUCKET_MS,
  sliceBefore: HOME_TIMELINE_CQL.sliceBefore,
  sliceAll: HOME_TIMELINE_CQL.sliceAll,
  toRef: (row) => withBody(positionOf(row), row.get('actor') as string, row.get('body')),
};

/**
 * user_feed and home_timeline. Inserts are `USING TTL ? AND TIMESTAMP ?` and deletes `USING TIMESTAMP ?`
 * with the caller's event time, so replays and reordering resolve by last-write-wins (a delete wins a
 * tie). A TTL below one second means the row would already be expired: the write is skipped.
 * Fanout writes touch one partition per user. They go out as small unlogged batches of rows owned by the
 * same replica (`executeByReplica`): one request per batch instead of one per row, measured at about twice the
 * rows per second and a third of the client CPU per row of single statements on this machine; never a batch
 * spanning replicas, which would make the coordinator forward it. A ref's `activity`, when it fits INLINE_BODY_MAX_BYTES, is stored in the row
 * (`body`) and read back with it, so pages of such rows need no hydration.
 */
/** Home rows per fanout batch: under Cassandra's warnings (10 partitions, 5 KiB per unlogged batch). */
export const HOME_BATCH: BatchLimits = { rows: 10, bytes: 4_500 };
/** Home rows' partition key (user_id, bucket): the first two bind values of both insert and remove. */
const homeKey = (userAt: number) => (p: unknown[]): Buffer => routingKey([textKey(p[userAt] as string), intKey(p[userAt + 1] as number)]);
const insertKey = homeKey(0);
const removeKey = homeKey(1);
/** Bytes a home row adds to a batch: its body (when inlined) and ids. */
const insertSize = (p: unknown[]): number => 64 + (typeof p[5] === 'string' ? p[5].length : 0);
const removeSize = (): number => 64;

export class CassandraTimelineStore implements TimelineStore {
  constructor(private readonly client: Client) {}

  async appendUserFeed(ref: FeedRef, tsMicros: number, ttlSeconds: number): Promise<void> {
    const ttl = ttlOrNull(ttlSeconds);
    if (ttl === null) return;
    await this.client.execute(
      USER_FEED_CQL.insert,
      [ref.actor, bucketOf(ref.ms, USER_FEED_BUCKET_MS), new Date(ref.ms), ref.id, inlineBody(ref.activity), ttl, micros(tsMicros)],
      IDEMPOTENT,
    );
  }

  async removeUserFeed(ref: FeedRef, tsMicros: number): Promise<void> {
    await this.client.execute(
      USER_FEED_CQL.remove,
      [micros(tsMicros), ref.actor, bucketOf(ref.ms, USER_FEED_BUCKET_MS), new Date(ref.ms), ref.id],
      IDEMPOTENT,
    );
  }

  readUserFeed(actor: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage> {
    return readBucketed(this.client, USER_FEED, actor, before, floorMs, limit);
  }

  async appendHome(userIds: readonly UserId[], ref: FeedRef, tsMicros: number, ttlSeconds: number, concurrency: number): Promise<void> {
    const ttl = ttlOrNull(ttlSeconds);
    if (ttl === null) return;
    const bucket = bucketOf(ref.ms, HOME_BUCKET_MS);
    const published = new Date(ref.ms);
    const ts = micros(tsMicros);
    const body = inlineBody(ref.activity);
    await executeByReplica(
      this.client,
      HOME_TIMELINE_CQL.insert,
      userIds.map((u) => [u, bucket, published, ref.id, ref.actor, body, ttl, ts]),
      insertKey,
      insertSize,
      HOME_BATCH,
      concurrency,
    );
  }

  async appendHomeMany(
    userId: UserId,
    refs: readonly FeedRef[],
    tsMicros: number,
    ttlOf: (ref: FeedRef) => number,
    concurrency: number,
  ): Promise<void> {
    const ts = micros(tsMicros);
    const params: unknown[][] = [];
    for (const ref of refs) {
      const ttl = ttlOrNull(ttlOf(ref));
      if (ttl !== null) params.push([userId, bucketOf(ref.ms, HOME_BUCKET_MS), new Date(ref.ms), ref.id, ref.actor, inlineBody(ref.activity), ttl, ts]);
    }
    await executeMany(this.client, HOME_TIMELINE_CQL.insert, params, concurrency);
  }

  async removeHome(userIds: readonly UserId[], ref: FeedRef, tsMicros: number, concurrency: number): Promise<void> {
    const bucket = bucketOf(ref.ms, HOME_BUCKET_MS);
    const published = new Date(ref.ms);
    const ts = micros(tsMicros);
    await executeByReplica(this.client, HOME_TIMELINE_CQL.remove, userIds.map((u) => [ts, u, bucket, published, ref.id]), removeKey, removeSize, HOME_BATCH, concurrency);
  }

  async removeHomeMany(userId: UserId, refs: readonly FeedRef[], tsMicros: number, concurrency: number): Promise<void> {
    const ts = micros(tsMicros);
    await executeMany(
      this.client,
      HOME_TIMELINE_CQL.remove,
      refs.map((ref) => [ts, userId, bucketOf(ref.ms, HOME_BUCKET_MS), new Date(ref.ms), ref.id]),
      concurrency,
    );
  }

  readHome(userId: UserId, before: FeedPosition | null, floorMs: number, limit: number): Promise<SlicePage> {
    return readBucketed(this.client, HOME, userId, before, floorMs, limit);
  }
}
