import { Activity } from '@app/domain';
import { types } from 'cassandra-driver';

/**
 * Activities up to this size (UTF-8 bytes of their JSON) travel inside timeline rows; larger ones (an
 * `extra` near its 8 KiB cap) are hydrated from `activities`, so one big activity fanned out to a million
 * homes costs a reference per home, not its body.
 */
export const INLINE_BODY_MAX_BYTES = 2048;

/** The `body` bind value: the activity's JSON, or `unset` (no cell, no tombstone) when absent or too large. */
export function inlineBody(activity: Activity | undefined): string | typeof types.unset {
  if (!activity) return types.unset;
  const json = JSON.stringify(activity);
  // Bytes ≤ 3 × UTF-16 length: skip the exact count when it cannot exceed the limit.
  if (json.length * 3 <= INLINE_BODY_MAX_BYTES || Buffer.byteLength(json, 'utf8') <= INLINE_BODY_MAX_BYTES) return json;
  return types.unset;
}

/**
 * The activity of a row's `body`, or undefined (no body, or one that does not describe the row: it is then
 * hydrated from `activities` like a row without one).
 */
export function parseBody(body: unknown, id: string, actor: string): Activity | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const a = JSON.parse(body) as Activity;
    return a !== null && typeof a === 'object' && a.id === id && a.actor === actor ? a : undefined;
  } catch {
    return undefined;
  }
}
