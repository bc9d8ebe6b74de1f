import { activityIdFromIdentity, parseRfc3339, recordIdentity, toIso } from '@app/domain';
import { IHeaders, KafkaMessage } from 'kafkajs';
import { PoisonCode } from './records';

/**
 * The dead-letter topic's record format (docs/api.md §3.4): written by DeadLetterer (dead-letter.ts), read by
 * the admin CLI (`tideline dlq`). The header names live here only.
 */
export const DEAD_LETTER_HEADERS = {
  code: 'error-code',
  message: 'error-message',
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
  originalSize: 'original-size',
} as const;

/** One record of the dead-letter topic, headers decoded. */
export interface DeadLetter {
  /** Position in the dead-letter topic. */
  readonly partition: number;
  readonly offset: string;
  /** When it was dead-lettered (the dead letter's record timestamp), epoch ms. */
  readonly timestampMs: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly code: string;
  readonly message: string;
  readonly sourceTopic: string | null;
  readonly sourcePartition: number | null;
  readonly sourceOffset: string | null;
  /** Set when the value was cut to fit the dead-letter topic: the full size in bytes (the value is incomplete). */
  readonly originalSize: number | null;
}

const headerText = (headers: IHeaders | undefined, name: string): string | null => {
  const v = headers?.[name];
  if (v === undefined || v === null) return null;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? null : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
};

const intOrNull = (s: string | null): number | null => (s !== null && /^\d+$/.test(s) ? Number(s) : null);

export function parseDeadLetter(partition: number, message: KafkaMessage): DeadLetter {
  const h = message.headers;
  const H = DEAD_LETTER_HEADERS;
  const sourceOffset = headerText(h, H.sourceOffset);
  return {
    partition,
    offset: message.offset,
    timestampMs: Number(message.timestamp),
    key: message.key ?? null,
    value: message.value ?? null,
    code: headerText(h, H.code) ?? 'UNKNOWN',
    message: headerText(h, H.message) ?? '',
    sourceTopic: headerText(h, H.sourceTopic),
    sourcePartition: intOrNull(headerText(h, H.sourcePartition)),
    sourceOffset: sourceOffset !== null && /^\d+$/.test(sourceOffset) ? sourceOffset : null,
    originalSize: intOrNull(headerText(h, H.originalSize)),
  };
}

/**
 * Whether re-publishing a dead letter can succeed without anything else changing (docs/operations.md, Admin CLI):
 * - `redrivable`: PROCESSING_FAILED (a bug, or a cause now gone) and RECORD_TOO_LARGE (once KAFKA_MAX_RECORD_BYTES
 *   is raised above the value's size) can succeed as they are;
 * - `needs-force`: the value itself was refused (NOT_JSON, EMPTY_VALUE, UNKNOWN_OP, INVALID_RECORD,
 *   ACTOR_MISMATCH): re-published unchanged it is dead-lettered again, except for the few INVALID_RECORD causes
 *   that are configuration or time (FOLLOW_LIMIT, a change dated in the future);
 * - `never`: the value was cut to fit the dead-letter topic, or the source is unknown: nothing can restore it.
 */
export type RedriveVerdict = { readonly kind: 'redrivable' } | { readonly kind: 'needs-force' | 'never'; readonly reason: string };

const FORCE_REASONS: Partial<Record<PoisonCode, string>> = {
  NOT_JSON: 'the value is not JSON: it will be dead-lettered again',
  EMPTY_VALUE: 'the record has no value: it will be dead-lettered again',
  UNKNOWN_OP: 'the op is unknown: it will be dead-lettered again',
  INVALID_RECORD: 'the value failed validation: it will be dead-lettered again unless the cause was configuration (FOLLOW_LIMIT) or time (dated in the future)',
  ACTOR_MISMATCH: 'the id belongs to another actor: it will be dead-lettered again',
};

export function redriveVerdict(d: DeadLetter, maxRecordBytes: number, sourceTopics: readonly string[]): RedriveVerdict {
  if (d.originalSize !== null) return { kind: 'never', reason: `the value was cut to fit the dead-letter topic (original ${d.originalSize} bytes): it cannot be restored` };
  if (d.sourceTopic === null || d.sourcePartition === null || d.sourceOffset === null) return { kind: 'never', reason: 'the source-topic/partition/offset headers are missing' };
  if (!sourceTopics.includes(d.sourceTopic)) return { kind: 'never', reason: `source topic ${d.sourceTopic} is not one of the configured topics (${sourceTopics.join(', ')})` };
  if (d.code === 'PROCESSING_FAILED') return { kind: 'redrivable' };
  if (d.code === 'RECORD_TOO_LARGE') {
    const size = d.value?.length ?? 0;
    return size > maxRecordBytes
      ? { kind: 'needs-force', reason: `the value is ${size} bytes and KAFKA_MAX_RECORD_BYTES is ${maxRecordBytes}: raise it first` }
      : { kind: 'redrivable' };
  }
  return { kind: 'needs-force', reason: FORCE_REASONS[d.code as PoisonCode] ?? `unknown error code ${d.code}` };
}

export interface RedriveTopics {
  readonly activities: string;
  readonly follows: string;
}

/**
 * The value to re-publish, so that re-publishing it any number of times lands on the rows the original would have
 * written. A record that is identified by its own position (an activity create with neither `id` nor `foreignId`:
 * id from (topic, partition, offset), docs/api.md §1.3) would get a new identity at its new offset: it gets
 * the id of its original position, and its `published` pinned (the original record timestamp is not kept in the dead
 * letter: the dead-letter time stands in for it). A graph change without `at` is pinned the same way, so that it
 * does not outrank a later change. Anything else (not JSON, ids, foreign ids, deletes, chunks) goes as it was.
 */
export function redriveValue(d: DeadLetter, topics: RedriveTopics): Buffer | null {
  if (d.value === null || d.sourceTopic === null || d.sourcePartition === null || d.sourceOffset === null) return d.value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(d.value.toString('utf8'));
  } catch {
    return d.value;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return d.value;
  const rec = parsed as Record<string, unknown>;
  if (d.sourceTopic === topics.activities) {
    if ((rec.op !== undefined && rec.op !== 'create') || rec.id !== undefined || rec.foreignId !== undefined) return d.value;
    const publishedMs = typeof rec.published === 'string' ? parseRfc3339(rec.published) : d.timestampMs;
    if (publishedMs === null) return d.value;
    const id = activityIdFromIdentity(publishedMs, recordIdentity(d.sourceTopic, d.sourcePartition, d.sourceOffset));
    return Buffer.from(JSON.stringify({ ...rec, id, published: typeof rec.published === 'string' ? rec.published : toIso(publishedMs) }));
  }
  if (d.sourceTopic === topics.follows && rec.at === undefined) return Buffer.from(JSON.stringify({ ...rec, at: toIso(d.timestampMs) }));
  return d.value;
}
