/**
 * @app/messaging-kafka — Kafka adapters (docs/api.md §3).
 * - KafkaMessagingModule.forRoot({ role: 'api' | 'worker' }) (@Global): KAFKA, KafkaMessaging (producers,
 *   lifecycle), KafkaHealth (`ping()` for readiness), EVENT_PUBLISHER, FANOUT_CHUNK_PUBLISHER,
 *   LIVE_PUBLISHER, and LIVE_EVENT_SOURCE for the API.
 * - ReliableKafkaServer: the Nest microservice transport (CustomTransportStrategy) of the worker: routes each
 *   configured topic to the `@EventPattern` handler of a logical pattern name, with a parsed payload and a
 *   RecordContext (meta, heartbeat); controllers use `@UseFilters(RecordErrorsPassthrough)`.
 * - ReliableConsumer: the consumer failure policy (commit after success, DLQ, transient retry, crash restart;
 *   `state`/`ping()` for readiness), split over partition-batch, record-processor and dead-letter.
 * - ConsumerLagMonitor: sets tideline_consumer_lag through a LagSink (CONSUMER_METRICS of @app/observability).
 * - codecs: snappy, lz4 and zstd registered with kafkajs on import (gzip is built in).
 * - Record parsers (parseActivityRecord, parseGraphRecord, parseChunkRecord, parseLiveRecord).
 */
export * from './codecs';
export * from './kafka-client';
export * from './records';
export * from './kafka-errors';
export * from './consumer-types';
export * from './reliable-consumer';
export * from './record-context';
export * from './reliable-kafka.server';
export * from './safe-producer';
export * from './publishers';
export * from './live-event-source';
export * from './kafka-health';
export * from './lag-monitor';
export * from './kafka-messaging.module';
export * from './dead-letters';
export * from './topic-reader';
export * from './group-offsets';
