import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { Kafka } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { ConsumerState, DeadLetterSender, RecordHandler, ReliableConsumerOptions } from './consumer-types';
import { ConsumerLagMonitor, LagSink } from './lag-monitor';
import { RecordContext } from './record-context';
import { RecordMeta } from './records';
import { ReliableConsumer } from './reliable-consumer';

/** Where the records of one `@EventPattern` name come from, and how their values become its payload. */
export interface KafkaRoute<T = unknown> {
  /** The configured topic name (patterns are fixed logical names; topic names come from the config). */
  readonly topic: string;
  /** The handler's payload; throws PoisonRecordError (or a validation DomainError) for an invalid record. */
  readonly parse: (value: Buffer | null, meta: RecordMeta) => T;
  /** Keys processed concurrently within one partition batch (default 1 = strictly sequential). */
  readonly lanes?: number;
}

export interface ReliableKafkaServerOptions extends Omit<ReliableConsumerOptions, 'handlers' | 'lanesFor' | 'onState'> {
  /** `@EventPattern` name → its topic and parser. Every route needs exactly one event handler, and vice versa. */
  readonly routes: Readonly<Record<string, KafkaRoute>>;
  /** Where the consumer lag of the routes' topics goes (tideline_consumer_lag); polled while consuming. */
  readonly lag?: LagSink;
}

/** The transport id of ReliableKafkaServer (`@EventPattern(name, RELIABLE_KAFKA)` to bind a handler to it only). */
export const RELIABLE_KAFKA = Symbol.for('tideline.reliable-kafka');

type ServerEvents = { state: (state: ConsumerState) => void };

/**
 * A Nest microservice transport (CustomTransportStrategy) over ReliableConsumer: each record of a route's
 * topic is parsed and handed to the route's `@EventPattern` handler, under ReliableConsumer's policy (per-key
 * lanes, commit of the finished prefix, retry in place with heartbeats, dead letters, crash restart). The
 * stock Kafka transport of @nestjs/microservices cannot do this (docs/architecture.md).
 * - `listen` refuses to start when a route has no event handler or a handler has no route;
 * - a handler's error must reach the transport unchanged: controllers use `@UseFilters(RecordErrorsPassthrough)`;
 * - `state`/`ping()` for readiness, `status` (and `on('state')`) report the consumer state;
 * - `close()` finishes the record in flight, commits, leaves the group. Idempotent.
 */
export class ReliableKafkaServer extends Server<ServerEvents, ConsumerState> implements CustomTransportStrategy {
  private readonly log = new Logger(ReliableKafkaServer.name);
  private readonly listeners: ServerEvents['state'][] = [];
  private consumer: ReliableConsumer | null = null;
  private lagMonitor: ConsumerLagMonitor | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly dlq: DeadLetterSender,
    private readonly opts: ReliableKafkaServerOptions,
  ) {
    super();
    this.transportId = RELIABLE_KAFKA;
  }

  /** The consumer's state (`idle` before `listen`); only `running` means records are being consumed. */
  get state(): ConsumerState {
    return this.consumer?.state ?? 'idle';
  }

  /** For readiness checks: resolves while consuming, else rejects with the state (and the last crash). */
  ping(): Promise<void> {
    return this.consumer ? this.consumer.ping() : Promise.reject(new Error('consumer is idle, not consuming'));
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const handlers = this.recordHandlers();
      const topics = Object.keys(handlers);
      const lanes = new Map(Object.values(this.opts.routes).map((r) => [r.topic, r.lanes ?? 1]));
      this.consumer = new ReliableConsumer(this.kafka, this.dlq, {
        ...this.opts,
        handlers,
        lanesFor: (topic) => lanes.get(topic) ?? 1,
        onState: (state) => this.emitState(state),
      });
      await this.consumer.start();
      if (this.opts.lag) {
        this.lagMonitor = new ConsumerLagMonitor(this.kafka, this.opts.groupId, topics, this.opts.lag);
        this.lagMonitor.start();
      }
      this.log.log({ groupId: this.opts.groupId, topics: Object.fromEntries(Object.entries(this.opts.routes).map(([p, r]) => [p, r.topic])) }, 'Kafka transport consuming');
      callback();
    } catch (e) {
      callback(e);
    }
  }

  /** Stops taking work: the record in flight finishes, resolved offsets are committed, the group is left. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.lagMonitor?.stop();
      await this.consumer?.stop();
      if (this.consumer) this.log.log('Kafka transport stopped');
    })();
    return this.closing;
  }

  on<K extends keyof ServerEvents = keyof ServerEvents, C extends ServerEvents[K] = ServerEvents[K]>(event: K, callback: C): void {
    if (event !== 'state') throw new Error(`ReliableKafkaServer has no event '${String(event)}'`);
    this.listeners.push(callback);
  }

  /** The kafkajs consumer in use (it is replaced after a crash restart). */
  unwrap<T>(): T {
    const consumer = this.consumer?.kafkaConsumer;
    if (!consumer) throw new Error('Not consuming. Call "listen" (startAllMicroservices) first.');
    return consumer as T;
  }

  /**
   * The consumer's handler per topic: each route's records go to the handler registered with
   * `@EventPattern(<route name>)`. Throws when a route has no event handler or a handler no route.
   */
  recordHandlers(): Record<string, RecordHandler> {
    const routes = Object.entries(this.opts.routes);
    const missing = routes.filter(([pattern]) => !this.getHandlerByPattern(pattern)?.isEventHandler);
    if (missing.length > 0) {
      throw new Error(`no @EventPattern handler for ${missing.map(([p, r]) => `'${p}' (topic ${r.topic})`).join(', ')}`);
    }
    const unrouted = [...this.getHandlers().keys()].filter((p) => !(p in this.opts.routes));
    if (unrouted.length > 0) throw new Error(`no topic is routed to the handlers of ${unrouted.map((p) => `'${p}'`).join(', ')}`);
    const handlers: Record<string, RecordHandler> = {};
    for (const [pattern, route] of routes) {
      if (handlers[route.topic]) throw new Error(`topic ${route.topic} is routed to more than one pattern`);
      handlers[route.topic] = this.dispatcher(route, this.getHandlerByPattern(pattern) as MessageHandler);
    }
    return handlers;
  }

  private dispatcher(route: KafkaRoute, handler: MessageHandler): RecordHandler {
    return async (message, meta, heartbeat) => {
      const payload = route.parse(message.value, meta);
      const result: unknown = await handler(payload, new RecordContext([meta, heartbeat]));
      // An error of the handler arrives as an erroring Observable (through the controller's exception filter).
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    };
  }

  private emitState(state: ConsumerState): void {
    this._status$.next(state);
    for (const listener of this.listeners) listener(state);
  }
}
