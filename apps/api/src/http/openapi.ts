import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { errorResponse } from './api-errors';

type Responses = NonNullable<OpenAPIObject['paths'][string]['get']>['responses'];

const json = (schema: object): { content: { 'application/json': { schema: object } } } => ({ content: { 'application/json': { schema } } });
const { schema: rateLimitedSchema, ...rateLimitedRest } = errorResponse(429, ['RATE_LIMITED']);
/** The health and metrics routes are rate limited per client address like every request. */
const rateLimited = { ...rateLimitedRest, ...json(rateLimitedSchema) };
const healthBody = (status: 'ok' | 'error'): object => ({
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: [status] } },
  additionalProperties: true,
});

/**
 * The health and metrics routes come from libs/observability, which the worker mounts too (without a
 * document), so their answers are described here, for the API's document only (docs/api.md §4.2).
 */
const OPERATIONAL: Readonly<Record<string, Responses>> = {
  '/health/live': { 200: { description: 'the process runs (no dependency checks)', ...json(healthBody('ok')) }, 429: rateLimited },
  '/health/ready': {
    200: { description: 'every check (cassandra, kafka) answered within 2 s', ...json(healthBody('ok')) },
    429: rateLimited,
    503: { description: 'a check failed: `error` holds the per-check detail (the one answer not in the error body shape)', ...json(healthBody('error')) },
  },
  '/metrics': { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, 429: rateLimited },
};

/** The API's OpenAPI document, generated from the controllers and the @app/wire DTOs that validate. */
export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Tideline')
    .setDescription('Fan-out activity streams: home, user and notification feeds (docs/api.md)')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  refuseUnknownBodyFields(doc);
  for (const [path, responses] of Object.entries(OPERATIONAL)) {
    const op = doc.paths[path]?.get;
    if (!op) throw new Error(`OpenAPI: ${path} is not routed`);
    op.responses = responses;
    op.tags = ['operations'];
  }
  return doc;
}

/** validateInput refuses unknown fields in every body (docs/api.md §2.8): say so on each request body schema. */
function refuseUnknownBodyFields(doc: OpenAPIObject): void {
  const schemas = doc.components?.schemas ?? {};
  for (const item of Object.values(doc.paths)) {
    for (const op of [item.post, item.put, item.delete]) {
      const body = op?.requestBody;
      const ref = body && 'content' in body ? body.content['application/json']?.schema : undefined;
      const name = ref && '$ref' in ref ? ref.$ref.split('/').pop() : undefined;
      const schema = name ? schemas[name] : undefined;
      if (schema && !('$ref' in schema)) schema.additionalProperties = false;
    }
  }
}
