/**
 * @app/messaging-kafka — Kafka adapters (CONTRACT §4).
 * - KafkaMessagingModule.forRoot({ role: 'api' | 'worker' }) (@Global): KAFKA, KafkaMessaging (producers,
 *   lifecycle), KafkaHealth (`ping()` for readiness), EVENT_PUBLISHER, FANOUT_CHUNK_PUBLISHER,
 *   LIVE_PUBLISHER, and LIVE_EVENT_SOURCE for the API.
 * - ReliableConsumer: the consumer failure policy (commit after success, DLQ, transient retry, crash restart;
 *   `state`/`ping()` for readiness).
 * - ConsumerLagMonitor: sets tideline_consumer_lag through a LagSink (CONSUMER_METRICS of @app/observability).
 * - codecs: snappy, lz4 and zstd registered with kafkajs on import (gzip is built in).
 * - Record parsers (parseActivityRecord, parseGraphRecord, parseChunkRecord, parseLiveRecord).
 */
export * from './codecs';
export * from './kafka-client';
export * from './records';
export * from './reliable-consumer';
export * from './safe-producer';
export * from './publishers';
export * from './live-event-source';
export * from './kafka-health';
export * from './lag-monitor';
export * from './kafka-messaging.module';
