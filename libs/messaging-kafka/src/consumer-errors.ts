import { DomainError } from '@app/domain';
import { PoisonRecordError } from './records';

/** The consumer is stopping (or the batch went stale) while a record waited: it is abandoned uncommitted. */
export class Stopping extends Error {}

/**
 * A heartbeat failed because the group is rebalancing (or forgot us). kafkajs only rejoins when this
 * error leaves eachBatch, so it must never be treated as a transient handler failure and retried in
 * place: that would keep the partition busy forever while the group waits for us.
 */
export class GroupChanged extends Error {
  constructor(readonly original: unknown) {
    super((original as Error)?.message ?? 'group changed');
  }
}

const GROUP_ERROR_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);
const isGroupError = (e: unknown): boolean => GROUP_ERROR_TYPES.has((e as { type?: string } | null)?.type ?? '');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** kafkajs's heartbeat, with a group change turned into GroupChanged (see there). */
export function groupAwareHeartbeat(rawHeartbeat: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await rawHeartbeat();
    } catch (e) {
      if (isGroupError(e)) throw new GroupChanged(e);
      throw e;
    }
  };
}

/** Errors that must leave the retry loops at once (a rebalance, or the consumer stopping). */
/** Retries in place back off from 200 ms, doubling up to 5 s (heart-beating while they wait). */
export const RETRY_IN_PLACE = { initialDelayMs: 200, maxDelayMs: 5_000 } as const;

export const mustLeave = (e: unknown): boolean => e instanceof GroupChanged || e instanceof Stopping;

/** The dead-letter code and reason of a record's own fault (invalid record), or null for any other error. */
export function poisonOf(e: unknown): { code: string; message: string } | null {
  if (e instanceof PoisonRecordError) return { code: e.code, message: e.message };
  if (e instanceof DomainError && (e.code === 'VALIDATION_FAILED' || e.code === 'FORBIDDEN')) {
    return { code: e.code === 'FORBIDDEN' ? 'ACTOR_MISMATCH' : 'INVALID_RECORD', message: e.message };
  }
  return null;
}

/** Waits `ms`, heart-beating every 250 ms so the group keeps the partition; throws Stopping when told to stop. */
export async function backoff(ms: number, heartbeat: () => Promise<void>, shouldStop: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (shouldStop()) throw new Stopping();
    await sleep(Math.min(250, until - Date.now()));
    try {
      await heartbeat();
    } catch (e) {
      // A rebalance must reach kafkajs (see GroupChanged); other heartbeat failures (broker
      // unreachable) are left to the next attempt.
      if (e instanceof GroupChanged) throw e;
    }
  }
  if (shouldStop()) throw new Stopping();
}
