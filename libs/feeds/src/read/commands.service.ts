import { Inject, Injectable } from '@nestjs/common';
import { Activity, DomainError, FeedPolicy, GraphOp, toIso, UserId } from '@app/domain';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ActivityInputDto } from '../dto/activity-input.dto';
import { acceptActivity, validateInput } from '../intake';
import { ActivityStore, EVENT_PUBLISHER, EventPublisher, GRAPH_STORE, GraphStore } from '../ports';
import { READ_ACTIVITY_STORE } from './activity-cache';
import { CursorCodec } from './cursor';

export interface Caller {
  readonly sub: UserId;
  readonly admin: boolean;
}

export interface GraphEntry {
  readonly userId: UserId;
  readonly since: string;
}

/** Acting for another user needs the admin scope (CONTRACT §3). */
export function assertActsFor(caller: Caller, user: UserId): void {
  if (caller.sub !== user && !caller.admin) throw new DomainError('FORBIDDEN', `token subject ${caller.sub} may not act for ${user}`);
}

/**
 * The API's commands. Activities are accepted here and published to Kafka (the worker does the rest);
 * the follow graph is written synchronously (read-your-writes) and then published for the asynchronous
 * part (backfill, unmerge). A delete hides the activity at once (marker row) before its fanout removal.
 */
@Injectable()
export class CommandsService {
  private readonly policy: FeedPolicy;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    private readonly cursors: CursorCodec,
    @Inject(READ_ACTIVITY_STORE) private readonly activities: ActivityStore,
    @Inject(GRAPH_STORE) private readonly graph: GraphStore,
    @Inject(EVENT_PUBLISHER) private readonly events: EventPublisher,
  ) {
    this.policy = cfg.policy;
  }

  async publish(caller: Caller, body: unknown): Promise<Activity> {
    const input = validateInput(ActivityInputDto, body);
    assertActsFor(caller, input.actor);
    const now = Date.now();
    const activity = acceptActivity(input, { nowMs: now, defaultPublishedMs: now, policy: this.policy });
    await this.events.publishActivity(activity, now);
    return activity;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const stored = await this.activities.get(id);
    if (!stored || stored.deleted || stored.activity.type === '') throw new DomainError('NOT_FOUND', `no activity ${id}`);
    assertActsFor(caller, stored.activity.actor);
    const now = Date.now();
    await this.activities.markDeleted(id, stored.activity.actor, now * 1000, this.policy.retentionDays * 86_400);
    await this.events.publishDelete(id, stored.activity.actor, now);
  }

  async changeGraph(caller: Caller, op: GraphOp, user: UserId, target: UserId): Promise<void> {
    assertActsFor(caller, user);
    if (user === target) {
      throw new DomainError('VALIDATION_FAILED', `a user cannot ${op} themselves`, [{ field: 'targetId', problems: ['must differ from userId'] }]);
    }
    const change = { op, user, target, atMs: Date.now() };
    await this.graph.apply(change);
    await this.events.publishGraphChange(change);
  }

  async list(direction: 'following' | 'followers', user: UserId, limit: number, cursor?: string): Promise<{ items: GraphEntry[]; next: string | null }> {
    const after = cursor ? this.cursors.decode(cursor, direction, user).id : null;
    const page = direction === 'following' ? await this.graph.followingPage(user, after, limit) : await this.graph.followersPage(user, after, limit);
    return {
      items: page.items.map((i) => ({ userId: i.userId, since: toIso(i.sinceMs) })),
      next: page.next ? this.cursors.encode({ k: direction, u: user, ms: 0, id: page.next }) : null,
    };
  }
}
