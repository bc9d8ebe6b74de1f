import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Activity, deleteMarkerTtlSeconds, DomainError, FeedPolicy, homeTtlSeconds, publishedMs, ttlSecondsUntil, UserId } from '@app/domain';
import {
  ACTIVITY_STORE,
  ActivityStore,
  DELETE_MARKER_STORE,
  DeleteMarkerStore,
  FeedRef,
  FOREIGN_ID_STORE,
  ForeignIdStore,
  LIVE_PUBLISHER,
  LivePublisher,
  NOTIFICATION_STORE,
  NotificationStore,
  TIMELINE_STORE,
  TimelineStore,
} from '../ports';
import { withFirstIdentity } from '../foreign-identity';
import { DeliveryService } from './delivery.service';
import { Heartbeat } from './heartbeat';
import { PromotionService } from './promotion.service';

const refOf = (a: Activity): FeedRef => ({ ms: publishedMs(a), id: a.id, actor: a.actor });
/** Rows written for a create carry the activity (the store inlines it when small enough). */
const rowOf = (a: Activity): FeedRef => ({ ...refOf(a), activity: a });

/**
 * Creates and deletes from the activities topic. Idempotent: a record may run again after a crash or a
 * rebalance and leaves the same rows (upserts keyed by the activity id, written with the event's own
 * timestamp).
 */
@Injectable()
export class ActivityWriteService {
  private readonly policy: FeedPolicy;
  private readonly markerTtlSeconds: number;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    @Inject(ACTIVITY_STORE) private readonly activities: ActivityStore,
    @Inject(TIMELINE_STORE) private readonly timelines: TimelineStore,
    @Inject(NOTIFICATION_STORE) private readonly notifications: NotificationStore,
    @Inject(LIVE_PUBLISHER) private readonly live: LivePublisher,
    @Inject(DELETE_MARKER_STORE) private readonly markers: DeleteMarkerStore,
    @Inject(FOREIGN_ID_STORE) private readonly foreignIds: ForeignIdStore,
    private readonly promotion: PromotionService,
    private readonly delivery: DeliveryService,
  ) {
    this.policy = cfg.policy;
    this.markerTtlSeconds = deleteMarkerTtlSeconds(cfg.tuning.deleteMarkerHours);
  }

  /**
   * A new activity: store it, add it to the author's feed and own home, notify `to`, then deliver to
   * followers (or, for a pulled author, announce it to live readers only).
   */
  async ingest(given: Activity, acceptedMs: number, heartbeat: Heartbeat, byForeignId = false): Promise<'stored' | 'deleted'> {
    // Identified by (actor, foreignId) alone: a producer's re-send takes the first acceptance's id and time.
    const activity = byForeignId ? await withFirstIdentity(this.foreignIds, given, this.policy.retentionDays * 86_400) : given;
    const existing = await this.activities.get(activity.id);
    // A redelivered create must not resurrect a delete; only the actor's own delete counts (a marker by
    // anyone else, e.g. a delete record for an id not yet stored, never hides this activity).
    if (existing?.deletedBy.includes(activity.actor)) return 'deleted';
    if (existing?.activity && existing.activity.actor !== activity.actor) {
      throw new DomainError('FORBIDDEN', `activity ${activity.id} belongs to another actor`);
    }
    const now = Date.now();
    const ref = rowOf(activity);
    const ttl = ttlSecondsUntil(ref.ms, this.policy.retentionDays, now);
    if (ttl === 0) return 'stored'; // already past retention: nothing would be visible
    const ts = acceptedMs * 1000;
    // The activity and the author's feed first (one wave): follower deliveries, rebuilds and backfills all
    // read the author's feed, so it must hold the activity before any of them can miss it.
    await Promise.all([this.activities.put(activity, acceptedMs, ttl), this.timelines.appendUserFeed(ref, ts, ttl)]);

    const recipients = [...new Set(activity.to ?? [])].filter((u) => u !== activity.actor);
    const homeTtl = homeTtlSeconds(this.policy, ref.ms, now);
    // Then, in one wave: notifications, the author's own home, and whether the author is pulled. Arrival
    // is the accept time, so a replay rewrites the same value and cannot reopen a marked group.
    const [, , pulled] = await Promise.all([
      recipients.length > 0 ? this.notifications.append(recipients, { ...refOf(activity), type: activity.type, object: activity.object, receivedMs: acceptedMs }, ttl, ts) : undefined,
      homeTtl > 0 ? this.timelines.appendHome([activity.actor], ref, ts, homeTtl, 1) : undefined,
      homeTtl > 0 ? this.promotion.isPulledAuthor(activity.actor, heartbeat) : true,
    ]);
    if (recipients.length > 0) await this.live.announce({ kind: 'notification', users: recipients, activity });
    if (homeTtl === 0) return 'stored'; // older than the home window: readers pull it from user feeds
    await this.live.announce({ kind: 'home', op: 'activity', users: [activity.actor], activity });
    if (pulled) {
      await this.live.announce({ kind: 'pulled', op: 'activity', actor: activity.actor, activity });
      return 'stored';
    }
    await this.delivery.spread(activity.actor, { op: 'deliver', ref, tsMicros: ts }, heartbeat, activity);
    return 'stored';
  }

  /**
   * A delete: hide it at once (the activity's marker for hydration, the recent-deletes marker for rows that
   * carry the activity), then remove it from every feed it was written to.
   */
  async remove(id: string, actor: UserId, atMs: number, heartbeat: Heartbeat): Promise<void> {
    const existing = await this.activities.get(id);
    if (existing?.activity && existing.activity.actor !== actor) {
      throw new DomainError('FORBIDDEN', `activity ${id} belongs to another actor`);
    }
    const ts = atMs * 1000;
    await this.activities.markDeleted(id, actor, ts, this.policy.retentionDays * 86_400);
    if (!existing?.activity) return; // never stored: the marker is all there is to do
    await this.markers.record(id, actor, Date.now(), this.markerTtlSeconds);
    const a = existing.activity;
    const ref = refOf(a);
    await this.timelines.removeUserFeed(ref, ts);
    const recipients = [...new Set(a.to ?? [])].filter((u) => u !== a.actor);
    if (recipients.length > 0) await this.notifications.remove(recipients, ref, ts);
    await this.timelines.removeHome([a.actor], ref, ts, 1);
    await this.live.announce({ kind: 'home', op: 'delete', users: [a.actor], id });
    await this.live.announce({ kind: 'pulled', op: 'delete', actor: a.actor, id });
    // Followers of a pulled author may still hold rows pushed before the author crossed the
    // threshold, so removal always walks every follower; hydration hides the activity meanwhile.
    await this.delivery.spread(a.actor, { op: 'remove', ref, tsMicros: ts }, heartbeat);
  }
}
