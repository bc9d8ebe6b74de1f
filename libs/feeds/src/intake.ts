import {
  Activity,
  activityIdFromIdentity,
  DomainError,
  FeedPolicy,
  foreignIdentity,
  MAX_FUTURE_SKEW_MS,
  newActivityId,
  parseRfc3339,
  retentionFloorMs,
  toIso,
} from '@app/domain';
import { ActivityInputDto, ActivityRecordDto } from '@app/wire';

export interface AcceptContext {
  readonly nowMs: number;
  /** `published` when the input has none: the accept time (REST) or the Kafka record timestamp. */
  readonly defaultPublishedMs: number;
  /** Identity for inputs with neither id nor foreignId; absent = assign a fresh random id. */
  readonly recordIdentity?: readonly string[];
  readonly policy: FeedPolicy;
}

/**
 * Turns a validated input into the domain activity: normalises `published`, enforces the time rules
 * and assigns the id (docs/api.md §1). The id is deterministic whenever the input is identifiable, which is
 * what makes retries and redeliveries land on the same rows.
 */
export function acceptActivity(input: ActivityInputDto | ActivityRecordDto, ctx: AcceptContext): Activity {
  const ms = input.published !== undefined ? parseRfc3339(input.published) : ctx.defaultPublishedMs;
  if (ms === null) throw new DomainError('VALIDATION_FAILED', 'published must be an RFC 3339 date-time', [{ field: 'published', problems: ['must be an RFC 3339 date-time'] }]);
  if (ms > ctx.nowMs + MAX_FUTURE_SKEW_MS) {
    throw new DomainError('VALIDATION_FAILED', 'published is more than 5 minutes in the future', [{ field: 'published', problems: ['must not be more than 5 minutes in the future'] }]);
  }
  if (ms < retentionFloorMs(ctx.policy, ctx.nowMs)) {
    throw new DomainError('VALIDATION_FAILED', 'published is older than the retention window', [{ field: 'published', problems: ['must be within the retention window'] }]);
  }
  const published = toIso(ms);
  const given = 'id' in input ? input.id : undefined;
  const id =
    given ??
    (input.foreignId !== undefined
      ? activityIdFromIdentity(ms, foreignIdentity(input.actor, input.foreignId, published))
      : ctx.recordIdentity
        ? activityIdFromIdentity(ms, ctx.recordIdentity)
        : newActivityId(ms));
  return {
    id,
    actor: input.actor,
    type: input.type,
    object: input.object,
    published,
    ...(input.target !== undefined ? { target: input.target } : {}),
    ...(input.to !== undefined ? { to: [...new Set(input.to)] } : {}),
    ...(input.foreignId !== undefined ? { foreignId: input.foreignId } : {}),
    ...(input.extra !== undefined ? { extra: input.extra } : {}),
  };
}
