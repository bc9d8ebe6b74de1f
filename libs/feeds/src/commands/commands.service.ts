import { Inject, Injectable, Logger } from '@nestjs/common';
import { Activity, deleteMarkerTtlSeconds, DomainError, FeedPolicy, GraphOp, ttlSecondsUntil, UserId } from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ActivityInputDto } from '@app/wire';
import { acceptActivity } from '../intake';
import { isTransientError } from '../transient';
import { identifiedByForeignId, withFirstIdentity } from '../foreign-identity';
import {
  ActivityStore,
  DELETE_MARKER_STORE,
  DeleteMarkerStore,
  EVENT_PUBLISHER,
  EventPublisher,
  FOREIGN_ID_STORE,
  ForeignIdStore,
  GRAPH_STORE,
  GraphStore,
} from '../ports';
import { READ_ACTIVITY_STORE } from '../read/activity-cache';
import { CursorCodec } from '../read/cursor';
import { ReaderContexts } from '../read/reader-contexts';
import { RecentDeletes } from '../read/recent-deletes';
import { GraphEntry, toGraphEntry } from '../views';
import { assertActsFor, Caller } from './access';

/**
 * The API's commands. Activities are accepted here and published to Kafka (the worker does the rest);
 * the follow graph is written synchronously (read-your-writes) and then published for the asynchronous
 * part (backfill, unmerge). A delete hides the activity at once (marker row) before its fanout removal.
 */
@Injectable()
export class CommandsService {
  private readonly log = new Logger(CommandsService.name);
  private readonly policy: FeedPolicy;
  private readonly followLimit: number;
  private readonly markerHours: number;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    private readonly cursors: CursorCodec,
    @Inject(READ_ACTIVITY_STORE) private readonly activities: ActivityStore,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    @Inject(EVENT_PUBLISHER) private readonly events: EventPublisher,
    @Inject(DELETE_MARKER_STORE) private readonly markers: DeleteMarkerStore,
    @Inject(FOREIGN_ID_STORE) private readonly foreignIds: ForeignIdStore,
    private readonly contexts: ReaderContexts,
    private readonly recentDeletes: RecentDeletes,
  ) {
    this.policy = cfg.policy;
    this.followLimit = cfg.followLimit;
    this.markerHours = cfg.tuning.deleteMarkerHours;
  }

  /**
   * The activity row is stored before the event is published, so its id is deletable the moment the 202
   * is sent (docs/api.md), before the worker has fanned it out. The row alone shows in no feed: feeds list
   * only what the worker wrote, and the worker skips an activity its actor already deleted. Publishing
   * needs Kafka only: while Cassandra is unavailable the row is skipped (the worker writes it anyway), and
   * only a delete in that window answers 404 (or 503, Cassandra being down).
   * REST ids cannot collide across actors (a foreignId id hashes the actor), so no ownership read is needed.
   */
  async accept(caller: Caller, input: ActivityInputDto): Promise<Activity> {
    assertActsFor(caller, input.actor);
    const now = Date.now();
    let activity = acceptActivity(input, { nowMs: now, defaultPublishedMs: now, policy: this.policy });
    if (identifiedByForeignId(input)) {
      // A retry answers with the first acceptance (CONTRACT v1.1 §1); claiming needs Cassandra (else 503).
      activity = await withFirstIdentity(this.foreignIds, activity, this.policy.retentionDays * 86_400);
      const first = await this.activities.get(activity.id);
      if (first?.activity?.actor === activity.actor) activity = first.activity;
    }
    try {
      await this.activities.put(activity, now, ttlSecondsUntil(Date.parse(activity.published), this.policy.retentionDays, now));
    } catch (e) {
      if (!isTransientError(e)) throw e;
      this.log.warn({ id: activity.id, err: (e as Error).message }, 'activity row not stored before publishing (Cassandra unavailable)');
    }
    await this.events.publishActivity(activity, now);
    return activity;
  }

  /**
   * 202 for any activity ever accepted, also one no feed shows yet and one already deleted: a delete
   * retried after a 503 publishes the removal again, so it completes everywhere (docs/api.md). The
   * recent-deletes marker is written here too (the worker writes its own), so every API instance hides the
   * activity within one poll even while the worker is behind.
   */
  async delete(caller: Caller, id: string): Promise<void> {
    const stored = await this.activities.get(id);
    if (!stored?.activity) throw new DomainError('NOT_FOUND', `no activity ${id}`);
    assertActsFor(caller, stored.activity.actor);
    const now = Date.now();
    if (!stored.deleted) await this.activities.markDeleted(id, stored.activity.actor, now * 1000, this.policy.retentionDays * 86_400);
    this.recentDeletes.add(id, now);
    await this.markers.record(id, stored.activity.actor, now, deleteMarkerTtlSeconds(this.markerHours));
    await this.events.publishDelete(id, stored.activity.actor, now);
  }

  /**
   * The event is published before the graph is written: if the publish fails (503) nothing happened; if
   * the write after it fails (503), the worker applies the same change (same timestamp) from the event,
   * so a retry or no retry both end with the whole effect (edge, backfill or removal, pull registration).
   */
  async changeGraph(caller: Caller, op: GraphOp, user: UserId, target: UserId): Promise<void> {
    assertActsFor(caller, user);
    if (user === target) {
      throw new DomainError('VALIDATION_FAILED', `a user cannot ${op} themselves`, [{ field: 'targetId', problems: ['must differ from userId'] }]);
    }
    if (op === 'follow' && !(await this.graph.isFollowing(user, target))) {
      if ((await this.graph.followingCount(user, this.followLimit)) >= this.followLimit) {
        throw new DomainError('FOLLOW_LIMIT_REACHED', `${user} already follows ${this.followLimit} accounts, the most allowed`);
      }
    }
    const change = { op, user, target, atMs: Date.now() };
    await this.events.publishGraphChange(change);
    await this.graph.apply(change);
    // Read-your-writes on this instance; the others drop it when the worker announces the applied change.
    this.contexts.invalidate([user]);
  }

  async list(direction: 'following' | 'followers' | 'muted', user: UserId, limit: number, cursor?: string): Promise<{ items: GraphEntry[]; next: string | null }> {
    const after = cursor ? this.cursors.decode(cursor, direction, user).id : null;
    const page =
      direction === 'following'
        ? await this.graph.followingPage(user, after, limit)
        : direction === 'followers'
          ? await this.graph.followersPage(user, after, limit)
          : await this.graph.mutedPage(user, after, limit);
    return {
      items: page.items.map(toGraphEntry),
      next: page.next ? this.cursors.encode({ k: direction, u: user, ms: 0, id: page.next }) : null,
    };
  }
}
