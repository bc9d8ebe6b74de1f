import { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { groupAwareHeartbeat, Stopping } from './consumer-errors';
import { RecordHandler } from './consumer-types';
import { RecordProcessor } from './record-processor';
import { RecordMeta } from './records';

export interface BatchRun {
  readonly handler: RecordHandler;
  readonly processor: RecordProcessor;
  /** Keys processed at once within the batch (1 = strictly sequential). */
  readonly lanes: number;
  readonly maxRecordBytes: number;
  /** The consumer is stopping. */
  readonly stopping: () => boolean;
  /** Every record of the batch finished (before the closing heartbeat). */
  readonly onDone: () => void;
}

/** The batch's records by key, each key's records in offset order; a record without a key is a lane of its own. */
function lanesByKey(messages: readonly KafkaMessage[]): KafkaMessage[][] {
  const lanes = new Map<string, KafkaMessage[]>();
  for (const m of messages) {
    const key = m.key && m.key.length > 0 ? `k:${m.key.toString('base64')}` : `o:${m.offset}`;
    const lane = lanes.get(key);
    if (lane) lane.push(m);
    else lanes.set(key, [m]);
  }
  return [...lanes.values()];
}

/**
 * Consumes one partition batch. Records with different keys are independent (the contract orders only one
 * key's events, e.g. one actor's): up to `run.lanes` keys run at once, each key's records strictly in offset
 * order. The resolved offset only advances over the contiguous prefix of finished records, so a crash or a
 * rebalance redelivers everything from the oldest unfinished record on (handlers are idempotent).
 */
export async function consumePartitionBatch(payload: EachBatchPayload, run: BatchRun): Promise<void> {
  const { batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale } = payload;
  const heartbeat = groupAwareHeartbeat(payload.heartbeat);
  const messages = batch.messages;
  const queue = lanesByKey(messages);
  const finished = new Set<string>();
  let next = 0;
  let halted = false;
  const shouldStop = (): boolean => halted || !isRunning() || isStale() || run.stopping();
  const advance = (): void => {
    while (next < messages.length && finished.has((messages[next] as KafkaMessage).offset)) {
      resolveOffset((messages[next] as KafkaMessage).offset);
      next++;
    }
  };
  const runLanes = async (): Promise<void> => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const message of lane) {
        if (shouldStop()) return;
        const meta: RecordMeta = {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          timestampMs: Number(message.timestamp),
          nowMs: Date.now(),
          maxBytes: run.maxRecordBytes,
        };
        await run.processor.process(run.handler, message, meta, heartbeat, shouldStop);
        finished.add(message.offset);
        advance();
        await commitOffsetsIfNecessary();
      }
    }
  };
  const width = Math.max(1, Math.min(run.lanes, queue.length));
  const results = await Promise.allSettled(
    Array.from({ length: width }, () =>
      runLanes().catch((e: unknown) => {
        halted = true; // the other lanes stop at their next record; nothing after a gap is resolved
        throw e;
      }),
    ),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof Stopping));
  if (failure) throw failure.reason;
  run.onDone();
  if (!shouldStop()) await heartbeat();
}
