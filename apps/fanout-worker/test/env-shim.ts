/**
 * TEST-ONLY WORKAROUND (delete once libs/config is fixed): `Env` declares its numeric/boolean fields
 * without type annotations (`PORT = 3000`), so TypeScript emits `design:type Object` and
 * class-transformer's implicit conversion leaves "3" a string; every numeric env override (e.g.
 * KAFKA_PARTITIONS from testEnv) then fails validation. This restores the metadata from the defaults'
 * runtime types. It is a no-op once the fields are annotated. Loaded with `-r` by worker child processes
 * and imported first by the integration tests.
 */
import 'reflect-metadata';
// Imported from the file, not the index: the index loads config.module.ts, which validates on load.
import { Env } from '../../../libs/config/src/env.schema';

const defaults = new Env() as unknown as Record<string, unknown>;
for (const [key, value] of Object.entries(defaults)) {
  const type = typeof value === 'number' ? Number : typeof value === 'boolean' ? Boolean : null;
  if (type && Reflect.getMetadata('design:type', Env.prototype, key) !== type) {
    Reflect.defineMetadata('design:type', type, Env.prototype, key);
  }
}
