import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Stack, startStack } from './support/stack';

const ROOT = path.resolve(__dirname, '../..');
const GENERATED = path.join(ROOT, 'libs/client/src/generated/openapi.ts');

/** libs/client/codegen.mjs run as a filter: the very rendering npm run client:generate writes (jest cannot load it in-process). */
function render(doc: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'libs/client/codegen.mjs')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`codegen.mjs exited with ${code}: ${err}`))));
    p.stdin.end(doc);
  });
}

/** The committed client types are what the running API's OpenAPI document renders to. */
describe('typed client drift', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({}, { workers: 0 });
  }, 180_000);
  afterAll(async () => s?.close());

  it('libs/client/src/generated/openapi.ts matches GET /docs-json', async () => {
    const res = await fetch(`${s.api}/docs-json`);
    expect(res.status).toBe(200);
    const rendered = await render(await res.text());
    const committed = readFileSync(GENERATED, 'utf8');
    if (rendered !== committed) {
      throw new Error("libs/client/src/generated/openapi.ts is out of date with the API's OpenAPI document: run npm run client:generate and commit it");
    }
    expect(rendered).toBe(committed);
  });
});
