import { randomBytes } from 'node:crypto';
import { Kafka, KafkaMessage } from 'kafkajs';

/** Offsets [from, to) of one partition. */
export interface OffsetRange {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

export interface BoundedReadOptions {
  /** Only these ranges; default: every partition from its low to its high watermark as of the call. */
  readonly ranges?: readonly OffsetRange[];
  /** The read fails (it never waits forever) when the ranges are not read within this time. Default 60 s. */
  readonly timeoutMs?: number;
  /** Called as records arrive: records read so far, records in the ranges (upper bound: compaction, aborts). */
  readonly onProgress?: (done: number, total: number) => void;
  /** The consumer group id prefix; a random suffix is added and the group deleted afterwards. */
  readonly groupPrefix: string;
}

/** A record as read, with its partition. */
export interface ReadRecord {
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** Every partition's [low, high) watermarks now: what a bounded read covers. */
export async function topicRanges(kafka: Kafka, topic: string): Promise<OffsetRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads the given offset ranges of `topic` once and returns their records in (partition, offset) order. Bounded:
 * the ranges end at watermarks fixed before the read starts, so records arriving meanwhile are not waited for,
 * and the whole read has a deadline. Uses a throwaway consumer group (nothing is committed; the group is
 * deleted afterwards), since kafkajs consumers cannot be assigned partitions without one.
 */
export async function readRanges(kafka: Kafka, topic: string, opts: BoundedReadOptions): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  await scanRanges(kafka, topic, opts, (r) => out.push(r));
  return out.sort((a, b) => a.partition - b.partition || (BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1));
}

/**
 * As readRanges, but hands each record to `each` as it arrives (in offset order within a partition) instead of
 * keeping them: memory stays bounded by what `each` keeps, whatever the topic holds.
 */
export async function scanRanges(kafka: Kafka, topic: string, opts: BoundedReadOptions, each: (r: ReadRecord) => void): Promise<void> {
  const ranges = (opts.ranges ?? (await topicRanges(kafka, topic))).filter((r) => BigInt(r.to) > BigInt(r.from));
  const total = ranges.reduce((n, r) => n + Number(BigInt(r.to) - BigInt(r.from)), 0);
  opts.onProgress?.(0, total);
  if (ranges.length === 0) return;
  const byPartition = new Map(ranges.map((r) => [r.partition, r]));
  const groupId = `${opts.groupPrefix}-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const remaining = new Set(byPartition.keys());
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reading ${topic} did not finish within ${opts.timeoutMs ?? 60_000} ms (${done}/${total} records read)`)), opts.timeoutMs ?? 60_000);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch }) => {
        const range = byPartition.get(batch.partition);
        if (!range || !remaining.has(batch.partition)) return;
        const from = BigInt(range.from);
        const to = BigInt(range.to);
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < from) continue;
          if (offset >= to) break;
          each({ partition: batch.partition, message });
          done++;
        }
        opts.onProgress?.(Math.min(done, total), total);
        // The batch reached the end of the range (lastOffset() is the high watermark - 1 for an empty batch).
        if (BigInt(batch.lastOffset()) >= to - 1n) {
          remaining.delete(batch.partition);
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          if (remaining.size === 0) finish();
        }
      },
    });
    for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.from });
    // Partitions of the topic outside the ranges are not read at all.
    const others = (await topicRanges(kafka, topic)).map((r) => r.partition).filter((p) => !byPartition.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    await Promise.race([finished, deadline]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await deleteGroup(kafka, groupId);
  }
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Best effort: an empty group without offsets expires by itself.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
