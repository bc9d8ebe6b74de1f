import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { DomainError } from '@app/domain';

/**
 * The one body parser of the API (docs/api.md §2.8): JSON in, nothing else.
 * - An empty `application/json` body is no body (`POST .../seen` and `/read` then mark all; a route that
 *   needs a body answers 400 from validation).
 * - A `__proto__` or `constructor.prototype` key is refused by name, never merged into an object
 *   (secure-json-parse, the parser Fastify itself uses, which reports it as a plain "invalid JSON").
 * - Other media types (form-encoded, multipart, octet-stream) are 415: Nest's form parser is not installed
 *   (`bodyParser: false` in api.app.ts). `text/plain` is read as a string so validation can say what is wrong.
 */
export function installJsonBody(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (e) {
      const forbidden = /forbidden prototype/i.test((e as Error).message);
      done(new DomainError('VALIDATION_FAILED', forbidden ? 'body must not contain a __proto__ or constructor.prototype key' : 'body is not valid JSON'), undefined);
    }
  });
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body === '' ? undefined : body));
}
