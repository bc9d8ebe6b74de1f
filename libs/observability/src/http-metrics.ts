import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { MetricsService } from './metrics.service';

/**
 * A Fastify `onResponse` hook recording `http_request_duration_seconds{method,route,status}`.
 * `route` is the matched route template (e.g. `/feeds/home`, `/activities/:id`), never the raw URL,
 * so label cardinality stays bounded; unmatched requests are labelled `unmatched`.
 */
export function createHttpMetricsHook(metrics: MetricsService) {
  return (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.observeHttp(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
}

/** Installs the hook: `registerHttpMetrics(app.getHttpAdapter().getInstance(), app.get(MetricsService))`. */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', createHttpMetricsHook(metrics));
}
