import { retry } from '@app/feeds';
import { Admin } from 'kafkajs';
import { isCoordinatorPending } from './kafka-errors';

/** A consumer group as the broker describes it now (state: Empty, Stable, PreparingRebalance, Dead, ...). */
export interface GroupView {
  readonly groupId: string;
  readonly state: string;
  readonly members: readonly { readonly memberId: string; readonly clientId: string; readonly clientHost: string }[];
}

/** How long describeGroup keeps asking while the broker has no coordinator for the group yet (isCoordinatorPending). */
export const COORDINATOR_WAIT_MS = 8_000;

export async function describeGroup(admin: Admin, groupId: string, coordinatorWaitMs = COORDINATOR_WAIT_MS): Promise<GroupView> {
  const { groups } = await retry(() => admin.describeGroups([groupId]), { initialDelayMs: 200, maxDelayMs: 1_000, deadlineMs: coordinatorWaitMs, retryOn: isCoordinatorPending });
  const g = groups.find((x) => x.groupId === groupId);
  return {
    groupId,
    state: g?.state ?? 'Dead',
    members: (g?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost })),
  };
}

/** Polls until the group has no member, or fails at the deadline (e.g. workers still running). */
export async function waitForEmptyGroup(admin: Admin, groupId: string, timeoutMs: number, pollMs = 1_000, onPoll?: (g: GroupView) => void): Promise<GroupView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const g = await describeGroup(admin, groupId);
    onPoll?.(g);
    if (g.members.length === 0) return g;
    if (Date.now() + pollMs > deadline) {
      throw new Error(`group ${groupId} still has ${g.members.length} member(s) after ${timeoutMs} ms (state ${g.state}): stop the workers first`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export type ReplayTarget = { readonly toTimeMs: number } | { readonly toOffset: string };

/** One partition of a replay: `committed` null = the group has no offset there yet. */
export interface ReplayStep {
  readonly partition: number;
  readonly committed: string | null;
  readonly low: string;
  readonly high: string;
  readonly target: string;
  /** `back`: the group will redo target..committed; `unchanged`: it is already at or before the target. */
  readonly action: 'back' | 'unchanged';
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/**
 * Where `groupId` would restart on each partition of `topic`: the first offset at or after the time (or the given
 * offset), clamped to the partition's [low, high]. A replay only moves back: a partition whose committed
 * offset is already before the target stays where it is (moving it forward would skip records).
 */
export async function planReplay(admin: Admin, groupId: string, topic: string, target: ReplayTarget): Promise<ReplayStep[]> {
  const [watermarks, committedList] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const committed = new Map((committedList.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, p.offset]));
  const byTime = 'toTimeMs' in target ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, target.toTimeMs)).map((s) => [s.partition, s.offset])) : null;
  return watermarks
    .map((w): ReplayStep => {
      const low = BigInt(w.low);
      const high = BigInt(w.high);
      const raw = byTime ? byTime.get(w.partition) ?? w.high : (target as { toOffset: string }).toOffset;
      const wanted = BigInt(raw) < 0n ? high : BigInt(raw);
      const t = min(max(wanted, low), high);
      const c = committed.get(w.partition);
      const current = c !== undefined && BigInt(c) >= 0n ? BigInt(c) : null;
      const action = current === null || t < current ? 'back' : 'unchanged';
      return { partition: w.partition, committed: current === null ? null : String(current), low: w.low, high: w.high, target: String(action === 'back' ? t : current), action };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Commits the plan's `back` steps for the group (which must have no members: Kafka refuses otherwise). */
export async function applyReplay(admin: Admin, groupId: string, topic: string, steps: readonly ReplayStep[]): Promise<void> {
  const partitions = steps.filter((s) => s.action === 'back').map((s) => ({ partition: s.partition, offset: s.target }));
  if (partitions.length > 0) await admin.setOffsets({ groupId, topic, partitions });
}
