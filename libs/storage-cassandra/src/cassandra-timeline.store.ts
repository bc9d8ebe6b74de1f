import { bucketOf, FeedPosition, HOME_BUCKET_MS, USER_FEED_BUCKET_MS, UserId } from '@app/domain';
import { FeedRef, SlicePage, TimelineStore } from '@app/feeds';
import { Client, types } from 'cassandra-driver';
import { executeMany, IDEMPOTENT, micros, ttlOrNull } from './cql';
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
 * Fanout writes touch one partition per user, so they run as concurrent single statements, never as
 * multi-partition batches. A ref's `activity`, when it fits INLINE_BODY_MAX_BYTES, is stored in the row
 * (`body`) and read back with it, so pages of such rows need no hydration.
 */
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
    await executeMany(
      this.client,
      HOME_TIMELINE_CQL.insert,
      userIds.map((u) => [u, bucket, published, ref.id, ref.actor, body, ttl, ts]),
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
    await executeMany(
      this.client,
      HOME_TIMELINE_CQL.remove,
      userIds.map((u) => [ts, u, bucket, published, ref.id]),
      concurrency,
    );
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
