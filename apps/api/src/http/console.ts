import type { FastifyInstance } from 'fastify';

/**
 * The web console (apps/console, built by `npm run build:console` into dist/console), served at /console.
 * Placeholder until the console lands: registers nothing.
 */
export function installConsole(_fastify: FastifyInstance): void {
  // filled in by the console work (issue 12)
}
