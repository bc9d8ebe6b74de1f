import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import {
  Activity,
  activityIdFromIdentity,
  DomainError,
  FeedPolicy,
  FieldProblem,
  foreignIdentity,
  MAX_FUTURE_SKEW_MS,
  newActivityId,
  parseRfc3339,
  retentionFloorMs,
  toIso,
} from '@app/domain';
import { ActivityInputDto, ActivityRecordDto } from './dto/activity-input.dto';

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own: FieldProblem[] = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Deeper JSON than any activity needs; the walk below is iterative, so hostile depth cannot overflow. */
export const MAX_JSON_DEPTH = 32;

/**
 * Rejects input that the transformer must never see: nesting beyond MAX_JSON_DEPTH (it recurses and
 * would overflow the stack) and prototype-polluting keys (which it would silently drop). The same check
 * runs for REST bodies and Kafka records, so both paths refuse the same inputs.
 */
function assertShape(raw: object): void {
  const stack: [unknown, number][] = [[raw, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_JSON_DEPTH) throw new DomainError('VALIDATION_FAILED', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    for (const key of Object.keys(v)) {
      const child = (v as Record<string, unknown>)[key];
      // The same keys Fastify's JSON parser refuses: `__proto__`, and `constructor` carrying `prototype`.
      const poisoned = key === '__proto__' || (key === 'constructor' && typeof child === 'object' && child !== null && 'prototype' in child);
      if (poisoned) throw new DomainError('VALIDATION_FAILED', `forbidden key ${JSON.stringify(key)}`, [{ field: key, problems: ['is not allowed'] }]);
      stack.push([child, depth + 1]);
    }
  }
}

/**
 * Validates an untrusted plain value against a DTO class (whitelist, no unknown fields).
 * Throws VALIDATION_FAILED listing every offending field.
 */
export function validateInput<T extends object>(cls: new () => T, raw: unknown): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DomainError('VALIDATION_FAILED', 'body must be a JSON object');
  }
  assertShape(raw);
  const dto = plainToInstance(cls, raw, { enableImplicitConversion: false });
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    const fields = flatten(errors);
    throw new DomainError('VALIDATION_FAILED', fields.map((f) => f.problems.join('; ')).join('; '), fields);
  }
  return dto;
}

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
 * and assigns the id (CONTRACT §1). The id is deterministic whenever the input is identifiable, which is
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
