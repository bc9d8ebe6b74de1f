/**
 * Compressed records (docs/api.md §3 v1.1): Kafka producers may compress with gzip, snappy, lz4 or zstd.
 *
 * kcat (librdkafka, an independent client) writes, per codec, compressed batches of valid activities mixed with
 * invalid records to one partition of `activities`, and a follow dated far in the future (zstd) to `follows`;
 * a delete with a record timestamp 30 minutes ahead follows, then an uncompressed activity on the same partition.
 * Checked: every valid activity is in the author's user feed and the follower's home exactly once; every invalid
 * record (future-dated ones included) is in the dead-letter topic with its error-code and source headers; the
 * uncompressed record after them is processed too (the partition keeps flowing); the worker never crashed its
 * consumer and is ready with a `consumer` check up.
 */
import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { loadAppConfig } from '@app/config';
import { uniqueTag, waitFor } from '@app/testing';
import { Fixtures, openFixtures } from '../../apps/fanout-worker/test/fixtures';
import { portFor, startWorker, WorkerProcess } from '../../apps/fanout-worker/test/worker-process';
import { checkHomes, faultEnv, groupLag, note, readDlq, secondMs, userFeedIds } from './support/faults';
import { KcatCodec, kcatProduce, KcatRecord, requireKcat } from './support/kcat';

jest.setTimeout(240_000);

const CODECS: readonly KcatCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];
const tag = uniqueTag('cc');
const env = faultEnv(tag);
const cfg = loadAppConfig(env);
const T = cfg.kafka.topics;
let fx: Fixtures;
let worker: WorkerProcess;

beforeAll(async () => {
  requireKcat();
  fx = await openFixtures(cfg);
  worker = await startWorker(env, portFor(3));
});

afterAll(async () => {
  await worker?.stop();
  await fx?.close();
});

it('consumes gzip, snappy, lz4 and zstd batches written by librdkafka, dead-letters their invalid records and keeps the partition flowing', async () => {
  const author = `${tag}-author`;
  const follower = `${tag}-fan`;
  await fx.stores.graph.apply({ op: 'follow', user: follower, target: author, atMs: Date.now() - 60_000 });
  await fx.stores.readers.setLastRead(follower, Date.now());
  const ms = secondMs();
  const published = toIso(ms);
  const idOf = (fid: string): string => activityIdFromIdentity(ms, foreignIdentity(author, fid, published));
  // Padding makes each batch compressible, so librdkafka really sends it compressed (it falls back to
  // uncompressed when compression does not pay).
  const valid = (fid: string): string => JSON.stringify({ actor: author, type: 'post', object: `note:${fid}`, foreignId: fid, published, extra: { pad: 'tideline '.repeat(200) } });

  const expected: string[] = [];
  const invalid: { codec: string; value: string; codes: string[] }[] = [];
  for (const codec of CODECS) {
    const records: KcatRecord[] = [];
    for (let i = 0; i < 4; i++) {
      const fid = `${codec}-${i}`;
      records.push({ key: author, value: valid(fid) });
      expected.push(fid);
      if (i === 1) {
        const truncated = valid(`${codec}-truncated`).slice(0, 60);
        records.push({ key: author, value: truncated });
        invalid.push({ codec, value: truncated, codes: ['NOT_JSON'] });
      }
      if (i === 2) {
        const unknownOp = JSON.stringify({ actor: author, type: 'post', object: 'o', op: `nope-${codec}` });
        records.push({ key: author, value: unknownOp });
        invalid.push({ codec, value: unknownOp, codes: ['UNKNOWN_OP'] });
      }
    }
    await kcatProduce(T.activities, 0, codec, records);
  }
  // Producers on Kafka are not trusted with the clock: a follow dated a year ahead is refused, not applied (it
  // would otherwise outrank the unfollow after it, made now, and pin the edge for a year).
  const squatter = `${tag}-squatter`;
  const futureFollow = JSON.stringify({ op: 'follow', user: squatter, target: author, at: toIso(Date.now() + 365 * 86_400_000) });
  await kcatProduce(T.follows, 0, 'zstd', [{ key: squatter, value: futureFollow }, { key: squatter, value: JSON.stringify({ op: 'unfollow', user: squatter, target: author }) }]);
  invalid.push({ codec: 'zstd (follows)', value: futureFollow, codes: ['INVALID_RECORD'] });
  // Likewise a delete whose record timestamp is 30 minutes ahead (brokers may refuse timestamps over an hour ahead):
  // refused, so the activity it names stays in every feed.
  const futureDelete = JSON.stringify({ op: 'delete', id: idOf('gzip-0'), actor: author });
  await fx.produce(T.activities, author, futureDelete, Date.now() + 30 * 60_000);
  invalid.push({ codec: 'none (future delete)', value: futureDelete, codes: ['INVALID_RECORD'] });
  // After every compressed batch, on the same partition: an uncompressed record must be processed too.
  await kcatProduce(T.activities, 0, 'none', [{ key: author, value: valid('tail') }]);
  expected.push('tail');

  const ids = new Set(expected.map(idOf));
  await waitFor('every valid activity in the author feed', async () => (await userFeedIds(fx.client, author, ms)).filter((id) => ids.has(id)).length >= ids.size, {
    timeoutMs: 90_000,
    intervalMs: 250,
    describe: async () => ({ feed: (await userFeedIds(fx.client, author, ms)).length, of: ids.size, workerAlive: worker.proc.exitCode === null, output: worker.output().slice(-800) }),
  });
  await waitFor('the group to commit everything', async () => (await groupLag(fx.admin, cfg.kafka.groupId, [T.activities, T.follows])) === 0, { timeoutMs: 60_000, intervalMs: 250 });

  const feed = await userFeedIds(fx.client, author, ms);
  const missing = expected.filter((fid) => !feed.includes(idOf(fid)));
  const duplicated = expected.filter((fid) => feed.filter((id) => id === idOf(fid)).length > 1);
  const homes = await checkHomes(fx.client, [follower], () => ids, [ms]);

  const dlq = await readDlq(fx.kafka, T.dlq, `${tag}-dlq-reader`, (es) => es.length >= invalid.length, 60_000);
  const problems: string[] = [];
  for (const bad of invalid) {
    const found = dlq.filter((e) => e.value?.toString() === bad.value);
    if (found.length !== 1) {
      problems.push(`${bad.codec}: ${found.length} DLQ entries for ${bad.value.slice(0, 40)}`);
      continue;
    }
    const h = found[0]?.headers ?? {};
    if (!bad.codes.includes(h['error-code'] ?? '')) problems.push(`${bad.codec}: error-code ${h['error-code']} (${h['error-message']}), expected ${bad.codes.join('|')}`);
    if (!(h['error-message'] ?? '').trim()) problems.push(`${bad.codec}: empty error-message`);
    for (const k of ['source-topic', 'source-partition', 'source-offset']) if (!h[k]) problems.push(`${bad.codec}: no ${k} header`);
  }
  const squatterFollows = await fx.stores.graph.isFollowing(squatter, author);
  note(`compressed codecs: ${expected.length} valid (${CODECS.join(', ')} + 1 uncompressed), ${invalid.length} invalid; feed missing ${missing.length}, duplicated ${duplicated.length}; DLQ ${dlq.length}, problems ${problems.length}`);

  expect({ missing, duplicated }).toEqual({ missing: [], duplicated: [] });
  expect(homes).toEqual({ users: 1, missing: 0, duplicated: 0, extra: 0, examples: [] });
  expect(problems).toEqual([]);
  expect(dlq).toHaveLength(invalid.length);
  expect(squatterFollows).toBe(false);
  expect(worker.proc.exitCode).toBeNull();
  expect(await worker.metric('tideline_consumer_crashes_total')).toBe(0);
  const ready = await fetch(`http://127.0.0.1:${worker.port}/health/ready`);
  expect(ready.status).toBe(200);
  expect(((await ready.json()) as { info?: Record<string, { status: string }> }).info?.['consumer']?.status).toBe('up');
});
