import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../src');

/** The client is bundled for browsers as well: its source uses web platform APIs only. */
describe('@tideline/client source', () => {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

  it('imports no Node module and uses no Node global', () => {
    expect(files.length).toBeGreaterThan(5);
    const offending = files.flatMap((f) => {
      const text = readFileSync(path.join(SRC, f), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] as string).filter((m) => !m.startsWith('.') && m !== 'openapi-fetch');
      const globals = [...text.matchAll(/\b(Buffer|process|require|__dirname|setImmediate)\b[.(]/g)].map((m) => m[1] as string);
      return [...imports, ...globals].map((what) => `${f}: ${what}`);
    });
    expect(offending).toEqual([]);
  });
});
