/**
 * A record small when compressed but far over KAFKA_MAX_RECORD_BYTES once decompressed (docs/api.md §3 v1.1).
 *
 * kcat writes, gzip-compressed (the codec kafkajs always had, so this tests the size and nothing else), a 5 MB JSON activity (a few KB on the wire: the broker takes it, `activities`
 * allows max(2 × maxRecordBytes, 1 MiB) per batch), then a normal activity on the same partition. Checked: the
 * dead-letter topic gets the big record with error-code RECORD_TOO_LARGE, its value cut to fit the DLQ topic
 * (max(2 × maxRecordBytes, 1 MiB): it could never take 5 MB) and `original-size` = the full size; the normal record after it is processed
 * (the partition is not held by a dead-letter send retried forever); nothing was skipped; the worker is up.
 */
import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { loadAppConfig } from '@app/config';
import { recordTopicMaxBytes } from '@app/messaging-kafka';
import { uniqueTag, waitFor } from '@app/testing';
import { Fixtures, openFixtures } from '../../apps/fanout-worker/test/fixtures';
import { portFor, startWorker, WorkerProcess } from '../../apps/fanout-worker/test/worker-process';
import { faultEnv, note, readDlq, secondMs, userFeedIds } from './support/faults';
import { kcatProduce, requireKcat } from './support/kcat';

jest.setTimeout(180_000);

const tag = uniqueTag('ov');
const env = faultEnv(tag);
const cfg = loadAppConfig(env);
const T = cfg.kafka.topics;
let fx: Fixtures;
let worker: WorkerProcess;

beforeAll(async () => {
  requireKcat();
  fx = await openFixtures(cfg);
  worker = await startWorker(env, portFor(4));
});

afterAll(async () => {
  await worker?.stop();
  await fx?.close();
});

it('dead-letters a record too large once decompressed, cut to fit with its original size, and the partition flows on', async () => {
  const author = `${tag}-author`;
  const ms = secondMs();
  const published = toIso(ms);
  const big = JSON.stringify({ actor: author, type: 'post', object: 'note:big', foreignId: 'big', published, extra: { pad: 'x'.repeat(5 * 1024 * 1024) } });
  const maxBytes = cfg.kafka.maxRecordBytes;
  expect(big.length).toBeGreaterThan(5 * 1024 * 1024);
  const after = JSON.stringify({ actor: author, type: 'post', object: 'note:after', foreignId: 'after', published });
  const afterId = activityIdFromIdentity(ms, foreignIdentity(author, 'after', published));

  // librdkafka checks message.max.bytes against the uncompressed record: raise it for this producer only.
  await kcatProduce(T.activities, 0, 'gzip', [{ key: author, value: big }], { 'message.max.bytes': String(16 * 1024 * 1024) });
  await kcatProduce(T.activities, 0, 'none', [{ key: author, value: after }]);

  await waitFor('the record after the oversized one to be processed', async () => (await userFeedIds(fx.client, author, ms)).includes(afterId), {
    timeoutMs: 60_000,
    intervalMs: 250,
    describe: () => ({ workerAlive: worker.proc.exitCode === null, output: worker.output().slice(-1000) }),
  });
  const dlq = await readDlq(fx.kafka, T.dlq, `${tag}-dlq-reader`, (es) => es.length >= 1, 30_000);
  note(`oversized record: ${big.length} bytes decompressed; DLQ entries ${dlq.length}, value ${dlq[0]?.value?.length ?? 0} bytes, headers ${JSON.stringify(dlq[0]?.headers ?? {})}`);
  expect(dlq).toHaveLength(1);
  const entry = dlq[0] as (typeof dlq)[number];
  expect(entry.headers).toMatchObject({ 'error-code': 'RECORD_TOO_LARGE', 'original-size': String(Buffer.byteLength(big)), 'source-topic': T.activities, 'source-partition': '0' });
  expect(entry.key).toBe(author);
  const cutTo = entry.value?.length ?? 0;
  expect(cutTo).toBeGreaterThanOrEqual(maxBytes);
  expect(cutTo).toBeLessThanOrEqual(recordTopicMaxBytes(maxBytes));
  expect(entry.value?.equals(Buffer.from(big).subarray(0, cutTo))).toBe(true);
  expect(await userFeedIds(fx.client, author, ms)).toEqual([afterId]);
  expect(await worker.metric('tideline_dead_letter_failures_total')).toBe(0);
  expect(worker.proc.exitCode).toBeNull();
});
