import 'reflect-metadata';
import { configFromEnv, requireJwtSecret, requireSafeDevTokens } from '@app/config';

/**
 * Validates the environment before the app module is even loaded, so that a bad variable stops the
 * process with a message naming it (not a stack trace from a decorator).
 */
async function main(): Promise<void> {
  const cfg = configFromEnv();
  requireJwtSecret(cfg);
  requireSafeDevTokens(cfg);
  const { createApiApp } = await import('./api.app');
  const app = await createApiApp();
  // SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, close the stores and
  // producers, exit 0 (docs/api.md §4). Handled here rather than by enableShutdownHooks(), which re-raises
  // the signal and so ends the process by signal instead of with code 0.
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 20_000).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await app.listen(cfg.port, '0.0.0.0');
}

main().catch((e: unknown) => {
  const msg = e instanceof Error ? (/^Invalid configuration/.test(e.message) ? e.message : (e.stack ?? e.message)) : String(e);
  process.stderr.write(`tideline api failed to start: ${msg}\n`);
  process.exit(1);
});
