import 'reflect-metadata';
import { INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { APP_CONFIG } from '@app/config';
import { toIso } from '@app/domain';
import { FanoutService, StoreUnavailableError } from '@app/feeds';
import { KafkaMessaging, PoisonRecordError, RecordHandler, RecordMeta } from '@app/messaging-kafka';
import { CONSUMER_METRICS } from '@app/observability';
import { testConfig } from '@app/testing';
import { ActivitiesController } from '../src/activities.controller';
import { FanoutChunksController } from '../src/fanout-chunks.controller';
import { FanoutTransport } from '../src/fanout.transport';
import { FollowsController } from '../src/follows.controller';

/**
 * The worker's handlers are registered through `@EventPattern`: the real controllers and FanoutTransport in a
 * Nest microservice (FanoutService faked, no broker). A record on each configured topic reaches its controller
 * parsed and ends in the FanoutService method of its kind; errors reach the transport as thrown.
 */
const cfg = testConfig('wu');
const T = cfg.kafka.topics;
const calls: [string, ...unknown[]][] = [];
let failWith: unknown = null;
const record = (method: string) => async (...args: unknown[]): Promise<void> => {
  if (failWith) throw failWith;
  calls.push([method, ...args.filter((a) => typeof a !== 'function')]);
};
const fanout = { ingest: record('ingest'), remove: record('remove'), applyGraphChange: record('applyGraphChange'), applyChunk: record('applyChunk') };

let ms: INestMicroservice;
let transport: FanoutTransport;
let handlers: Record<string, RecordHandler>;

const NOW = Math.floor(Date.now() / 1000) * 1000;
const meta = (topic: string): RecordMeta => ({ topic, partition: 0, offset: '11', timestampMs: NOW, nowMs: NOW, maxBytes: cfg.kafka.maxRecordBytes });
const message = (value: unknown): Parameters<RecordHandler>[0] => ({ key: null, value: Buffer.from(JSON.stringify(value)), timestamp: String(NOW), attributes: 0, offset: '11', headers: {} });
const heartbeat = async (): Promise<void> => undefined;
const deliver = (topic: string, value: unknown): Promise<void> => (handlers[topic] as RecordHandler)(message(value), meta(topic), heartbeat);

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({
    controllers: [ActivitiesController, FollowsController, FanoutChunksController],
    providers: [
      FanoutTransport,
      { provide: APP_CONFIG, useValue: cfg },
      { provide: FanoutService, useValue: fanout },
      // No broker: the transport is never started here, only its handler lookup is used.
      { provide: KafkaMessaging, useValue: { kafka: {}, durable: { send: async () => undefined } } },
      { provide: CONSUMER_METRICS, useValue: {} },
    ],
  }).compile();
  transport = moduleRef.get(FanoutTransport);
  ms = moduleRef.createNestMicroservice({ strategy: transport.server, logger: false });
  await ms.init();
  handlers = transport.server.recordHandlers();
});

afterAll(async () => {
  await ms?.close();
});

beforeEach(() => {
  calls.length = 0;
  failWith = null;
});

it('consumes exactly the configured topics', () => {
  expect(Object.keys(handlers).sort()).toEqual([T.activities, T.fanout, T.follows].sort());
});

it('hands a create on the activities topic to FanoutService.ingest, a delete to remove', async () => {
  await deliver(T.activities, { actor: 'alice', type: 'post', object: 'note:1', foreignId: 'p1', published: toIso(NOW) });
  await deliver(T.activities, { op: 'delete', id: 'some-id', actor: 'alice' });
  // No published, a foreignId: identified by (actor, foreignId) alone, so ingest takes the first acceptance's identity.
  await deliver(T.activities, { actor: 'alice', type: 'post', object: 'note:2', foreignId: 'p2' });
  expect(calls).toEqual([
    ['ingest', expect.objectContaining({ actor: 'alice', type: 'post', object: 'note:1', foreignId: 'p1', published: toIso(NOW) }), NOW, false],
    ['remove', 'some-id', 'alice', NOW],
    ['ingest', expect.objectContaining({ actor: 'alice', object: 'note:2', foreignId: 'p2' }), NOW, true],
  ]);
});

it('hands a follows record to applyGraphChange and a fanout chunk to applyChunk', async () => {
  await deliver(T.follows, { op: 'follow', user: 'bob', target: 'alice', at: toIso(NOW) });
  const chunk = { op: 'deliver', ref: { id: 'a1', ms: NOW, actor: 'alice' }, tsMicros: NOW * 1000, users: ['bob', 'carol'], seq: 0 };
  await deliver(T.fanout, chunk);
  expect(calls).toEqual([
    ['applyGraphChange', { op: 'follow', user: 'bob', target: 'alice', atMs: NOW }],
    ['applyChunk', chunk],
  ]);
});

it('lets poison and transient failures reach the transport unchanged (dead letter vs retry in place)', async () => {
  await expect(deliver(T.follows, { op: 'follow', user: 'bob', target: 'bob' })).rejects.toBeInstanceOf(PoisonRecordError);
  failWith = new StoreUnavailableError('cassandra', 'no host available');
  await expect(deliver(T.fanout, { op: 'remove', ref: { id: 'a1', ms: NOW, actor: 'alice' }, tsMicros: 1, users: [], seq: 0 })).rejects.toBe(failWith);
  expect(calls).toEqual([]);
});
