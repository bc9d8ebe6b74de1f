#!/usr/bin/env node
// Regenerates libs/client/src/generated/openapi.ts from the OpenAPI document the real API serves:
//
//   npm run client:generate        (node scripts/with-infra.mjs node scripts/client-generate.mjs)
//
// The API runs on a free port with the e2e tier's throwaway environment (its own topics and consumer group, the
// shared test keyspace, migrated here if needed); the rendering is libs/client/codegen.mjs, the same one the drift
// test (test/e2e/client-drift.e2e-spec.ts) compares the committed file against.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { renderClientTypes } from '../libs/client/codegen.mjs';
import { ROOT, startProcess, testEnv } from './lib/app-process.mjs';

const OUT = path.join(ROOT, 'libs/client/src/generated/openapi.ts');
const log = (msg) => console.error(`[client-generate] ${msg}`);

/** A port nobody listens on right now (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function main() {
  const port = await freePort();
  const env = testEnv(`g${randomBytes(4).toString('hex')}`, { MIGRATE_ON_START: 'true', PORT: String(port) });
  const api = `http://127.0.0.1:${port}`;
  const proc = await startProcess('api', 'apps/api/src/main.ts', env, `${api}/health/ready`);
  try {
    const res = await fetch(`${api}/docs-json`);
    if (res.status !== 200) throw new Error(`GET /docs-json answered ${res.status}`);
    const text = await renderClientTypes(await res.json());
    const before = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, text);
    log(`${path.relative(ROOT, OUT)} ${before === text ? 'unchanged' : 'written'}`);
  } finally {
    await proc.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    log(e.stack ?? String(e));
    process.exit(1);
  },
);
