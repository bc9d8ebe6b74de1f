/**
 * @app/observability — logging, metrics and health for both apps.
 *
 * Usage (one line in each app's root module):
 *   ObservabilityModule.forRoot({
 *     service: 'api',
 *     readiness: { inject: [CassandraHealth, KafkaHealth],
 *                  useFactory: (c, k) => [{ name: 'cassandra', ping: () => c.ping() }, { name: 'kafka', ping: () => k.ping() }] },
 *   })
 * It provides (globally): the nestjs-pino Logger (in main.ts: `NestFactory.create(..., { bufferLogs: true })`
 * then `app.useLogger(app.get(Logger))`), MetricsService, FANOUT_METRICS, CONSUMER_METRICS, and the
 * controllers GET /metrics, GET /health/live, GET /health/ready. READINESS_CHECKS may instead be
 * provided by any module of the app (looked up application-wide).
 *
 * HTTP request metrics (API): Fastify hook, installed in main.ts after creating the app:
 *   registerHttpMetrics(app.getHttpAdapter().getInstance(), app.get(MetricsService));
 * It records http_request_duration_seconds{method,route,status} with the route *template*.
 */
export * from './observability.options';
export * from './metrics.service';
export * from './metrics.controller';
export * from './health.controller';
export * from './http-metrics';
export * from './logger';
export * from './observability.module';
export * from './public';
export * from './prom-text';
export * from './prom-scrape';
