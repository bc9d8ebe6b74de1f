import { Activity, DomainError, FeedPolicy, GraphChange, MAX_FUTURE_SKEW_MS, parseRfc3339, recordIdentity } from '@app/domain';
import { acceptActivity, FanoutChunk, identifiedByForeignId, LiveEvent } from '@app/feeds';
import { ActivityRecordDto, DeleteRecordDto, GraphRecordDto, validateInput } from '@app/wire';

/** Why a record was dead-lettered; the `error-code` header. */
export type PoisonCode = 'NOT_JSON' | 'RECORD_TOO_LARGE' | 'INVALID_RECORD' | 'UNKNOWN_OP' | 'EMPTY_VALUE' | 'ACTOR_MISMATCH' | 'PROCESSING_FAILED';

export class PoisonRecordError extends Error {
  constructor(readonly code: PoisonCode, message: string) {
    super(message);
    this.name = 'PoisonRecordError';
  }
}

export interface RecordMeta {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestampMs: number;
  readonly nowMs: number;
  readonly maxBytes: number;
}

export type ActivityCommand =
  /** `byForeignId`: identified by (actor, foreignId) alone (no `published`, no `id`): the worker takes the first acceptance's identity. */
  | { readonly kind: 'create'; readonly activity: Activity; readonly acceptedMs: number; readonly byForeignId: boolean }
  | { readonly kind: 'delete'; readonly id: string; readonly actor: string; readonly atMs: number };

function parseJson(value: Buffer | null, meta: RecordMeta): unknown {
  if (value === null || value.length === 0) throw new PoisonRecordError('EMPTY_VALUE', 'record has no value');
  if (value.length > meta.maxBytes) throw new PoisonRecordError('RECORD_TOO_LARGE', `record value is ${value.length} bytes; the limit is ${meta.maxBytes}`);
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch (e) {
    throw new PoisonRecordError('NOT_JSON', `value is not JSON: ${(e as Error).message}`);
  }
}

/**
 * A change dated more than MAX_FUTURE_SKEW_MS ahead of now is refused (INVALID_RECORD): graph edges and
 * tombstones are last-write-wins by their time, so a far-future one would pin its state against every later
 * change (REST or Kafka) until that date. Producers on Kafka are not fully trusted; the API's clock is.
 */
function notInFuture(atMs: number, meta: RecordMeta, what: string): number {
  if (atMs > meta.nowMs + MAX_FUTURE_SKEW_MS) {
    // A record timestamp can exceed the Date range (int64 ms): print it raw then, never throw a RangeError.
    const when = Math.abs(atMs) <= 8.64e15 ? new Date(atMs).toISOString() : `${atMs} ms`;
    throw new PoisonRecordError('INVALID_RECORD', `${what} ${when} is more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes in the future`);
  }
  return atMs;
}

function validated<T extends object>(cls: new () => T, raw: unknown): T {
  try {
    return validateInput(cls, raw);
  } catch (e) {
    if (e instanceof DomainError) throw new PoisonRecordError('INVALID_RECORD', e.message);
    throw e;
  }
}

/**
 * Parses an `activities` record (docs/api.md §3). A record without `id` and `foreignId` gets an id
 * derived from topic/partition/offset, and a missing `published` defaults to the record timestamp,
 * so a redelivered record always maps to the same activity.
 */
export function parseActivityRecord(value: Buffer | null, meta: RecordMeta, policy: FeedPolicy): ActivityCommand {
  const raw = parseJson(value, meta);
  const op = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>)['op'] : undefined;
  if (op === 'delete') {
    const d = validated(DeleteRecordDto, raw);
    return { kind: 'delete', id: d.id, actor: d.actor, atMs: notInFuture(meta.timestampMs, meta, 'delete record timestamp') };
  }
  if (op !== undefined && op !== 'create') throw new PoisonRecordError('UNKNOWN_OP', `unknown op ${JSON.stringify(op)}`);
  const dto = validated(ActivityRecordDto, raw);
  try {
    const activity = acceptActivity(dto, {
      nowMs: meta.nowMs,
      defaultPublishedMs: meta.timestampMs,
      recordIdentity: recordIdentity(meta.topic, meta.partition, meta.offset),
      policy,
    });
    // acceptedMs times the stored rows (write timestamps): a record timestamp far ahead would make them outlive a
    // later delete. `published` is checked above; the accept time is capped at the same skew rather than refused.
    return { kind: 'create', activity, acceptedMs: Math.min(meta.timestampMs, meta.nowMs + MAX_FUTURE_SKEW_MS), byForeignId: identifiedByForeignId(dto) };
  } catch (e) {
    if (e instanceof DomainError) throw new PoisonRecordError('INVALID_RECORD', e.message);
    throw e;
  }
}

/** Parses a `follows` record; the change time is `at` when given, else the record timestamp (never far future). */
export function parseGraphRecord(value: Buffer | null, meta: RecordMeta): GraphChange {
  const raw = parseJson(value, meta);
  const op = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['op'] : undefined;
  if (typeof op === 'string' && !['follow', 'unfollow', 'mute', 'unmute'].includes(op)) {
    throw new PoisonRecordError('UNKNOWN_OP', `unknown op ${JSON.stringify(op)}`);
  }
  const dto = validated(GraphRecordDto, raw);
  if (dto.user === dto.target) throw new PoisonRecordError('INVALID_RECORD', 'user and target must differ');
  const at = dto.at !== undefined ? parseRfc3339(dto.at) : null;
  const atMs = notInFuture(at ?? meta.timestampMs, meta, at !== null ? '`at`' : 'record timestamp');
  return { op: dto.op, user: dto.user, target: dto.target, atMs };
}

/** Internal records are written by Tideline itself; a malformed one is still dead-lettered, never retried. */
/** A chunk's optional activity must be the activity its ref names (it is written into every home row). */
function bodyMatches(ref: { id: string; actor: string; activity?: unknown }): boolean {
  const a = ref.activity as Record<string, unknown> | undefined;
  if (a === undefined) return true;
  return (
    typeof a === 'object' && a !== null && !Array.isArray(a) && a.id === ref.id && a.actor === ref.actor &&
    typeof a.type === 'string' && typeof a.object === 'string' && typeof a.published === 'string'
  );
}

export function parseChunkRecord(value: Buffer | null, meta: RecordMeta): FanoutChunk {
  const raw = parseJson(value, { ...meta, maxBytes: Number.MAX_SAFE_INTEGER }) as Partial<FanoutChunk> | null;
  // Every property access is guarded: a TypeError here would be retried as a bug instead of dead-lettered.
  const ref = raw !== null && typeof raw === 'object' ? (raw.ref as unknown) : undefined;
  const refOk =
    typeof ref === 'object' && ref !== null &&
    typeof (ref as { id?: unknown }).id === 'string' && typeof (ref as { ms?: unknown }).ms === 'number' && typeof (ref as { actor?: unknown }).actor === 'string' &&
    bodyMatches(ref as { id: string; actor: string; activity?: unknown });
  const ok =
    raw !== null && typeof raw === 'object' && (raw.op === 'deliver' || raw.op === 'remove') && Array.isArray(raw.users) &&
    raw.users.every((u) => typeof u === 'string') && typeof raw.tsMicros === 'number' && typeof raw.seq === 'number' && refOk;
  if (!ok) throw new PoisonRecordError('INVALID_RECORD', 'malformed fanout chunk');
  return raw as FanoutChunk;
}

export function parseLiveRecord(value: Buffer | null): LiveEvent | null {
  if (!value) return null;
  try {
    return JSON.parse(value.toString('utf8')) as LiveEvent;
  } catch {
    return null;
  }
}
