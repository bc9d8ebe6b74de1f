import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preValidationHookHandler, RouteOptions } from 'fastify';
import { NotFoundException } from '@nestjs/common';
import { sendError } from './error.filter';

/** The development token route (apps/api/src/controllers/dev-tokens.controller.ts). */
export const DEV_TOKENS_ROUTE = '/dev/tokens';

/** Nest's own not-found error for an unmatched route: the same status, body and message. */
const notFound = (req: FastifyRequest): NotFoundException => new NotFoundException(`Cannot ${req.method} ${req.url}`);

/**
 * With DEV_TOKENS off the route does not exist for a client: it answers as Fastify answers an unknown path,
 * which still parses the body (a malformed one is 400) and then says 404, and says 404 at once for a media type
 * no parser takes. The hooks are the route's own (added when it is registered, so call this before the app
 * initialises): no other request runs them. Rate limiting happened at onRequest, as for unknown paths.
 */
export function installDevTokensGate(fastify: FastifyInstance, enabled: boolean): void {
  if (enabled) return;
  const unparsable: onRequestHookHandler = (req: FastifyRequest, reply: FastifyReply, done) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== '' && !fastify.hasContentTypeParser(type)) return sendError(reply, notFound(req));
    done();
  };
  const gone: preValidationHookHandler = (req: FastifyRequest, reply: FastifyReply) => sendError(reply, notFound(req));
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (route.url !== DEV_TOKENS_ROUTE) return;
    route.onRequest = [...hooks(route.onRequest), unparsable];
    route.preValidation = [...hooks(route.preValidation), gone];
  });
}

const hooks = <H>(h: H | H[] | undefined): H[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);
