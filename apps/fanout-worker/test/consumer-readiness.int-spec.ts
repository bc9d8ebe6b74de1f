import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CompressionCodecs, CompressionTypes, KafkaJSNotImplemented } from 'kafkajs';
import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { KAFKA_CODECS } from '@app/messaging-kafka';
import { testConfig, testEnv, uniqueTag, waitFor } from '@app/testing';
import { kcatProduce, requireKcat } from '../../../test/faults/support/kcat';
import { Fixtures, openFixtures } from './fixtures';
import { portFor } from './worker-process';

/**
 * The worker's readiness follows its Kafka consumer: the real WorkerModule (in this process, so that the test can
 * take LZ4 decoding away from its kafkajs, as it was before the codecs were registered) against the real Kafka and
 * Cassandra. While the consumer is crashed, GET /health/ready is 503 with `consumer` down; once it rejoined, 200.
 */
jest.setTimeout(120_000);

const tag = uniqueTag('wr');
const env = testEnv(tag, { KAFKA_PARTITIONS: '1' });
const cfg = testConfig(tag, { KAFKA_PARTITIONS: '1' });
const port = portFor(5);
const registry = CompressionCodecs as unknown as Record<number, () => unknown>;
let app: NestFastifyApplication | undefined;
let fx: Fixtures;
// Test files share the process under --runInBand: process.env is restored after this one.
const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));

type Ready = { status: number; consumer?: { status: string; message?: string } };
async function ready(): Promise<Ready> {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
  const body = (await res.json()) as { info?: Record<string, { status: string }>; error?: Record<string, { status: string; message?: string }> };
  return { status: res.status, consumer: body.error?.['consumer'] ?? body.info?.['consumer'] };
}

beforeAll(async () => {
  requireKcat();
  Object.assign(process.env, env);
  // The config module validates process.env while its file loads: import the worker only now.
  const { createWorkerApp, startWorkerApp } = await import('../src/worker-app');
  app = await createWorkerApp({ logger: ['error'] });
  await startWorkerApp(app, port, '127.0.0.1');
  fx = await openFixtures(cfg);
});

afterAll(async () => {
  registry[CompressionTypes.LZ4] = KAFKA_CODECS[CompressionTypes.LZ4] as () => unknown;
  await app?.close();
  await fx?.close();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

it('is unready (503, consumer down) while its consumer is crashed, and ready again once it rejoined', async () => {
  await waitFor('ready with the consumer up', async () => {
    const r = await ready();
    return r.status === 200 && r.consumer?.status === 'up';
  });

  registry[CompressionTypes.LZ4] = () => {
    // kafkajs's own class and message for a codec it lacks (its typings declare no constructor arguments).
    throw new (KafkaJSNotImplemented as unknown as new (message: string) => Error)('LZ4 compression not implemented (removed by this test)');
  };
  const author = `${tag}-author`;
  const ms = Math.floor(Date.now() / 1000) * 1000;
  const value = JSON.stringify({ actor: author, type: 'post', object: 'note:lz4', foreignId: 'lz4', published: toIso(ms) });
  await kcatProduce(cfg.kafka.topics.activities, 0, 'lz4', [{ key: author, value }]);
  const down = await waitFor(
    'readiness 503 with the consumer down',
    async () => {
      const r = await ready();
      return r.status === 503 && r.consumer?.status === 'down' ? r : null;
    },
    { intervalMs: 25 },
  );
  expect(down.consumer?.message).toMatch(/not consuming/);

  registry[CompressionTypes.LZ4] = KAFKA_CODECS[CompressionTypes.LZ4] as () => unknown;
  const id = activityIdFromIdentity(ms, foreignIdentity(author, 'lz4', toIso(ms)));
  await waitFor('the record consumed after the restart', async () => (await fx.userFeedRows(author, ms, id)) === 1, { timeoutMs: 60_000 });
  await waitFor('ready again', async () => {
    const r = await ready();
    return r.status === 200 && r.consumer?.status === 'up';
  });
});
