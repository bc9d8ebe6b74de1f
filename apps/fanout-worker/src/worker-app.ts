import { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FanoutTransport } from './fanout.transport';
import { WorkerModule } from './worker.module';

/**
 * The worker as a hybrid Nest app: the Kafka transport (FanoutTransport) as its microservice, health and
 * metrics over HTTP. Import this only after validateEnv: the config module validates while it loads.
 */
export async function createWorkerApp(options: NestApplicationOptions = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(WorkerModule, new FastifyAdapter(), options);
  app.connectMicroservice<MicroserviceOptions>({ strategy: app.get(FanoutTransport).server });
  return app;
}

/**
 * Starts in order: modules (topics ensured, producers connected), then the consumer (joins the group), then
 * the HTTP port, so the worker is never ready before it consumes.
 */
export async function startWorkerApp(app: NestFastifyApplication, port: number, host: string): Promise<void> {
  await app.init();
  await app.startAllMicroservices();
  await app.listen(port, host);
}
