import 'reflect-metadata';
import { Controller, INestMicroservice, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { Kafka, KafkaMessage } from 'kafkajs';
import { ConsumerMetrics, PoisonRecordError, RecordContext, RecordErrorsPassthrough, RecordMeta, ReliableKafkaServer, ReliableKafkaServerOptions } from '@app/messaging-kafka';

/**
 * ReliableKafkaServer as a Nest transport, without a broker: handlers are found through `@EventPattern`, each
 * configured topic's records reach the handler of its logical pattern parsed, and a handler's error reaches the
 * transport as it was thrown (so its retry/dead-letter policy can tell the kinds apart).
 */
const seen: { pattern: string; payload: unknown; meta: RecordMeta }[] = [];
const failures = new Map<string, unknown>();

@Controller()
@UseFilters(new RecordErrorsPassthrough())
class WordsController {
  @EventPattern('words')
  async onWord(@Payload() word: string, @Ctx() ctx: RecordContext): Promise<void> {
    await ctx.getHeartbeat()();
    if (failures.has(word)) throw failures.get(word);
    seen.push({ pattern: 'words', payload: word, meta: ctx.getMeta() });
  }
}

@Controller()
@UseFilters(new RecordErrorsPassthrough())
class NumbersController {
  @EventPattern('numbers')
  onNumber(@Payload() n: number, @Ctx() ctx: RecordContext): void {
    seen.push({ pattern: 'numbers', payload: n, meta: ctx.getMeta() });
  }
}

const noMetrics: ConsumerMetrics = { consumed: () => undefined, retried: () => undefined, deadLettered: () => undefined, deadLetterFailed: () => undefined, crashed: () => undefined };
const routes: ReliableKafkaServerOptions['routes'] = {
  words: { topic: 'cfg.words', parse: (v) => v?.toString() ?? '' },
  numbers: { topic: 'cfg.numbers', parse: (v) => Number(v?.toString()) },
};
const serverWith = (r: ReliableKafkaServerOptions['routes']): ReliableKafkaServer =>
  // No broker: these tests never get past the handler lookup that precedes any connection.
  new ReliableKafkaServer({} as Kafka, { send: async () => undefined }, { groupId: 'g', routes: r, dlqTopic: 'dlq', maxRecordBytes: 1024, partitionsConsumedConcurrently: 1, metrics: noMetrics });

async function microservice(server: ReliableKafkaServer, controllers: (new () => unknown)[]): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({ controllers }).compile();
  const ms = moduleRef.createNestMicroservice({ strategy: server, logger: false });
  await ms.init();
  return ms;
}

const record = (value: string, offset = '3'): KafkaMessage => ({ key: null, value: Buffer.from(value), timestamp: '1700000000000', attributes: 0, offset, headers: {} });
const metaOf = (topic: string, offset = '3'): RecordMeta => ({ topic, partition: 1, offset, timestampMs: 1_700_000_000_000, nowMs: Date.now(), maxBytes: 1024 });
const beat = jest.fn(async () => undefined);
const listenError = (server: ReliableKafkaServer): Promise<unknown> => new Promise((resolve) => void server.listen((e?: unknown) => resolve(e)));

beforeEach(() => {
  seen.length = 0;
  failures.clear();
  beat.mockClear();
});

it("routes each configured topic to its pattern's @EventPattern handler, with the parsed payload and the record context", async () => {
  const server = serverWith(routes);
  const ms = await microservice(server, [WordsController, NumbersController]);
  const handlers = server.recordHandlers();
  expect(Object.keys(handlers).sort()).toEqual(['cfg.numbers', 'cfg.words']);

  await handlers['cfg.words']?.(record('hello'), metaOf('cfg.words'), beat);
  await handlers['cfg.numbers']?.(record('42', '9'), metaOf('cfg.numbers', '9'), beat);
  expect(seen).toEqual([
    { pattern: 'words', payload: 'hello', meta: expect.objectContaining({ topic: 'cfg.words', partition: 1, offset: '3' }) },
    { pattern: 'numbers', payload: 42, meta: expect.objectContaining({ topic: 'cfg.numbers', offset: '9' }) },
  ]);
  expect(beat).toHaveBeenCalledTimes(1); // the handler's heartbeat is the consumer's
  await ms.close();
});

it("hands the handler's error and the parser's poison to the transport as they were thrown", async () => {
  const server = serverWith({ ...routes, words: { topic: 'cfg.words', parse: (v) => (v?.toString() === 'bad' ? (() => { throw new PoisonRecordError('INVALID_RECORD', 'bad word'); })() : v?.toString()) } });
  const ms = await microservice(server, [WordsController, NumbersController]);
  const transient = Object.assign(new Error('store unavailable'), { code: 'STORE_UNAVAILABLE' });
  failures.set('boom', transient);
  failures.set('odd', { not: 'an Error' });
  const handle = server.recordHandlers()['cfg.words'];
  await expect(handle?.(record('boom'), metaOf('cfg.words'), beat)).rejects.toBe(transient);
  await expect(handle?.(record('odd'), metaOf('cfg.words'), beat)).rejects.toEqual({ not: 'an Error' });
  await expect(handle?.(record('bad'), metaOf('cfg.words'), beat)).rejects.toBeInstanceOf(PoisonRecordError);
  expect(seen).toEqual([]);
  await ms.close();
});

it('refuses to start when a configured topic has no @EventPattern handler', async () => {
  const server = serverWith(routes);
  const ms = await microservice(server, [WordsController]);
  expect(String(await listenError(server))).toMatch(/no @EventPattern handler for 'numbers' \(topic cfg\.numbers\)/);
  expect(server.state).toBe('idle');
  await expect(server.ping()).rejects.toThrow(/not consuming/);
  await ms.close();
});

it('refuses to start when a handler has no configured topic', async () => {
  const server = serverWith({ words: routes['words'] as ReliableKafkaServerOptions['routes'][string] });
  const ms = await microservice(server, [WordsController, NumbersController]);
  expect(String(await listenError(server))).toMatch(/no topic is routed to the handlers of 'numbers'/);
  await ms.close();
});
