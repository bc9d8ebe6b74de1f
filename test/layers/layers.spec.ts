// The layer rules in .dependency-cruiser.cjs can fail, and the real tree passes them.
//
// Each file under test/layers/fixtures/ named uses-*.ts or cycle-*.ts breaks exactly one rule; the other fixture files
// are allowed imports (Node core from domain, config -> domain, feeds -> config/wire/domain, wire -> domain, adapter -> feeds/config/domain,
// app -> adapters, a test helper -> anything), so the expected list below is the whole list, and an allowed import that a
// rule flagged would fail it too. dependency-cruiser's API runs in a child process (test/layers/cruise.mjs) since it is
// an ES module with top-level await, which jest's CommonJS module system cannot load.
import { execFile } from 'child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';

const REPO = join(__dirname, '..', '..');
const CONFIG = join(REPO, '.dependency-cruiser.cjs');
const CRUISE = join(__dirname, 'cruise.mjs');
const FIXTURES = join(__dirname, 'fixtures');

interface Violation {
  rule: string;
  severity: string;
  from: string;
  to: string;
  cycle?: string[];
}

interface CruiseResult {
  modules: number;
  violations: Violation[];
  unresolved: { from: string; module: string }[];
}

const RULES = [
  'no-circular',
  'domain-only-node-core',
  'config-only-to-domain',
  'wire-only-to-domain',
  'feeds-only-to-config-domain',
  'no-adapter-to-adapter',
  'no-app-to-app',
  'no-lib-to-app',
  'product-not-to-testing-lib',
  'product-not-to-test-files',
];

async function cruiseIn(cwd: string, dirs: string[]): Promise<CruiseResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [CRUISE, CONFIG, ...dirs], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as CruiseResult;
}

const line = (v: Violation): string => `${v.rule}: ${v.from} -> ${v.to.replace(/^(\.\.\/)*node_modules\//, 'node_modules/')}`;

describe('layer rules (.dependency-cruiser.cjs)', () => {
  let fixtures: CruiseResult;

  beforeAll(async () => {
    fixtures = await cruiseIn(FIXTURES, ['apps', 'libs']);
  }, 60_000);

  it('resolves every fixture import, @app aliases included', () => {
    expect(fixtures.unresolved).toEqual([]);
    expect(fixtures.modules).toBeGreaterThan(20);
  });

  it('reports every rule, as an error, on the fixture that breaks it, and nothing else', () => {
    expect(fixtures.violations.map(line).sort()).toEqual(
      [
        'no-circular: libs/feeds/src/cycle-a.ts -> libs/feeds/src/cycle-b.ts',
        'domain-only-node-core: libs/domain/src/uses-npm.ts -> node_modules/rxjs/dist/types/index.d.ts',
        'domain-only-node-core: libs/domain/src/uses-npm-type.ts -> node_modules/kafkajs/index.js',
        'domain-only-node-core: libs/domain/src/uses-lib.ts -> libs/config/src/index.ts',
        'config-only-to-domain: libs/config/src/uses-feeds.ts -> libs/feeds/src/index.ts',
        'wire-only-to-domain: libs/wire/src/uses-feeds.ts -> libs/feeds/src/index.ts',
        'feeds-only-to-config-domain: libs/feeds/src/uses-adapter.ts -> libs/storage-cassandra/src/index.ts',
        'no-adapter-to-adapter: libs/storage-cassandra/src/uses-kafka.ts -> libs/messaging-kafka/src/index.ts',
        'no-adapter-to-adapter: libs/observability/src/uses-storage.ts -> libs/storage-cassandra/src/index.ts',
        'no-app-to-app: apps/a/src/uses-other-app.ts -> apps/b/src/main.ts',
        'no-lib-to-app: libs/observability/src/uses-app.ts -> apps/b/src/main.ts',
        'product-not-to-testing-lib: apps/a/src/uses-testing.ts -> libs/testing/src/index.ts',
        'product-not-to-test-files: libs/messaging-kafka/src/uses-test-helper.ts -> libs/feeds/test/helper.ts',
      ].sort(),
    );
    expect(fixtures.violations.every((v) => v.severity === 'error')).toBe(true);
    expect(new Set(fixtures.violations.map((v) => v.rule))).toEqual(new Set(RULES));
  });

  it.each(RULES)('rule %s fires on a fixture', (rule) => {
    expect(fixtures.violations.some((v) => v.rule === rule)).toBe(true);
  });

  it('counts a product import of a *.spec.ts file as a test-file import', async () => {
    // Made on the fly: a *.spec.ts fixture inside the repo would be picked up by jest as a test suite.
    const dir = mkdtempSync(join(tmpdir(), 'tideline-layers-'));
    try {
      mkdirSync(join(dir, 'libs', 'feeds', 'src'), { recursive: true });
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: './' } }));
      writeFileSync(join(dir, 'libs', 'feeds', 'src', 'sample.spec.ts'), 'export const sample = 1;\n');
      writeFileSync(join(dir, 'libs', 'feeds', 'src', 'uses-spec.ts'), "export { sample } from './sample.spec';\n");
      const result = await cruiseIn(dir, ['libs']);
      expect(result.violations.map(line)).toEqual([
        'product-not-to-test-files: libs/feeds/src/uses-spec.ts -> libs/feeds/src/sample.spec.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('finds no violation in the real tree (apps, libs)', async () => {
    const real = await cruiseIn(REPO, ['apps', 'libs']);
    expect(real.modules).toBeGreaterThan(100);
    expect(real.violations.map(line)).toEqual([]);
  }, 120_000);
});
