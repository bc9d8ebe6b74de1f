import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG, AppConfig, validateEnv } from '@app/config';

/** Longest a graceful stop may take before the process gives up and exits 1. */
const SHUTDOWN_DEADLINE_MS = 30_000;

async function bootstrap(): Promise<void> {
  // Validate before importing the module: ConfigModule.forRoot validates while the module file loads,
  // and that error would otherwise surface as a stack trace instead of a message naming the variable.
  try {
    validateEnv(process.env);
  } catch (e) {
    process.stderr.write(`fanout-worker: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const { createWorkerApp, startWorkerApp } = await import('./worker-app');
  const { FanoutTransport } = await import('./fanout.transport');

  // Hybrid app: the Kafka transport is its microservice (controllers per topic), health and metrics are HTTP.
  const app = await createWorkerApp({ bufferLogs: true });
  app.useLogger(app.get(Logger));
  // A contextual Nest logger: nestjs-pino then treats (object, message) correctly.
  const logger = new NestLogger('FanoutWorker');
  // SIGTERM/SIGINT are handled below rather than by enableShutdownHooks(): Nest re-raises the signal
  // after closing, which would end the process by signal instead of with exit code 0 (docs/api.md §4).
  // Order: stop consuming (the in-flight record finishes, resolved offsets are committed, the group is
  // left), then close the app (storage and producers).
  let shuttingDown = false;
  const shutdown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.log({ signal }, 'shutting down');
    setTimeout(() => {
      process.stderr.write('fanout-worker: graceful shutdown timed out\n');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    void (async () => {
      try {
        await app.get(FanoutTransport).stop();
        await app.close();
        process.exit(0);
      } catch (e) {
        process.stderr.write(`fanout-worker: shutdown failed: ${(e as Error).stack ?? String(e)}\n`);
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const cfg = app.get<AppConfig>(APP_CONFIG);
  await startWorkerApp(app, cfg.workerHttpPort, '0.0.0.0');
  logger.log({ port: cfg.workerHttpPort, groupId: cfg.kafka.groupId, topics: cfg.kafka.topics }, 'fanout worker consuming; listening (health, metrics)');
}

bootstrap().catch((e: unknown) => {
  process.stderr.write(`fanout-worker: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
