import { ActivityId, UserId } from './ids';

export const MAX_TO = 100;
export const MAX_FOREIGN_ID = 256;
export const MAX_EXTRA_BYTES = 8 * 1024;
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** An accepted activity (docs/api.md §1); `published` is normalised to millisecond RFC 3339 UTC. */
export interface Activity {
  readonly id: ActivityId;
  readonly actor: UserId;
  readonly type: string;
  readonly object: string;
  readonly target?: string;
  readonly published: string;
  readonly to?: readonly UserId[];
  readonly foreignId?: string;
  readonly extra?: Record<string, unknown>;
}

export const publishedMs = (a: Pick<Activity, 'published'>): number => Date.parse(a.published);

/** Parses an RFC 3339 date-time strictly (Date.parse alone accepts far too much). */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return null;
  // Date.parse rolls 2024-02-30 over to March 1st; a date that does not exist is invalid input.
  if (new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60) return null;
  const ms = Date.parse(s.toUpperCase());
  return Number.isFinite(ms) ? ms : null;
}

export const toIso = (ms: number): string => new Date(ms).toISOString();

/** Ordering of feeds (docs/api.md §1): newest first by (published, id). */
export interface FeedPosition {
  readonly ms: number;
  readonly id: string;
}

/** Negative when a sorts before b in a newest-first feed. */
export function compareNewestFirst(a: FeedPosition, b: FeedPosition): number {
  if (a.ms !== b.ms) return b.ms - a.ms;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** True when `p` lies strictly after (older than) `cursor` in newest-first order. */
export const isAfter = (p: FeedPosition, cursor: FeedPosition): boolean => compareNewestFirst(cursor, p) < 0;

export const positionOf = (a: Pick<Activity, 'id' | 'published'>): FeedPosition => ({
  ms: publishedMs(a),
  id: a.id,
});
