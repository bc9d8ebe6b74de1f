import { createHash, randomBytes } from 'node:crypto';

/** User and object ids (docs/api.md §1): 1-128 chars of A-Z a-z 0-9 _ . : @ - */
export const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** Verbs: 1-64 chars of A-Z a-z 0-9 _ . : - */
export const VERB_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export type UserId = string;
export type ActivityId = string;

export const isValidId = (s: unknown): s is string => typeof s === 'string' && ID_PATTERN.test(s);

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Encodes the 48-bit millisecond time as 10 Crockford base32 chars (ULID time layout). */
function encodeTime(ms: number): string {
  let out = '';
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Buffer): string {
  // 16 chars × 5 bits = 80 bits taken from the first 10 bytes.
  let bits = 0n;
  for (let i = 0; i < 10; i++) bits = (bits << 8n) | BigInt(bytes[i] ?? 0);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

/**
 * Activity ids are ULIDs whose time part is the activity's `published` instant, so byte order of ids
 * agrees with feed order within one millisecond's ties. The random part is either random (a fresh REST
 * submission) or a hash of the activity's identity, which is what makes redelivery idempotent:
 * the same identity always yields the same id, hence the same Cassandra primary keys (upserts).
 */
export function activityIdFromIdentity(publishedMs: number, identity: readonly string[]): ActivityId {
  const h = createHash('sha256');
  for (const part of identity) h.update(`${part.length}:${part}|`);
  return encodeTime(publishedMs) + encodeRandom(h.digest());
}

export function newActivityId(publishedMs: number): ActivityId {
  return encodeTime(publishedMs) + encodeRandom(randomBytes(10));
}

/** Identity of an activity with a producer id (docs/api.md §1: actor, foreignId, published). */
export const foreignIdentity = (actor: string, foreignId: string, publishedIso: string): string[] => [
  'fid',
  actor,
  foreignId,
  publishedIso,
];

/** Identity of a Kafka record that carries neither id nor foreignId (docs/api.md §1). */
export const recordIdentity = (topic: string, partition: number, offset: string): string[] => [
  'rec',
  topic,
  String(partition),
  offset,
];

/** Longest page cursor accepted (docs/api.md §2.3); anything longer is INVALID_CURSOR unread. */
export const MAX_CURSOR_LENGTH = 1024;
