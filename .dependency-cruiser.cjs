// Layer rules, enforced by `npm run lint` (and `npm run lint:layers` alone); test/layers/layers.spec.ts proves that
// every rule fires on a fixture that breaks it and that the real tree breaks none.
//
//   libs/domain  ←  libs/config  ←  libs/feeds  ←  adapters (libs/messaging-kafka, libs/storage-cassandra,
//                                                          libs/observability)  ←  apps (apps/api, apps/fanout-worker)
//
// Paths are relative to the directory depcruise runs from (the repo root); `@app/<lib>` imports are resolved through
// tsconfig.json's `paths`, so they are judged by the file they land on. The layering rules bind product code
// (`<app or lib>/src`); tests (`apps/*/test`, `libs/*/test`, `test/`) may wire any libs together, but product code may
// never reach into them.

const ADAPTERS = '(messaging-kafka|storage-cassandra|observability)';
const TEST_FILES = ['(^|/)test/', '\\.(spec|int-spec|e2e-spec|fault-spec)\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle between modules (type-only imports included) makes load order and layering undecidable. Break it by moving the shared part down a layer.',
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
    {
      name: 'domain-only-node-core',
      severity: 'error',
      comment: 'libs/domain is the pure core: it may import itself and Node\'s standard library, nothing else (no npm package, no other lib, no app).',
      from: { path: '^libs/domain/src/' },
      to: { dependencyTypesNot: ['core'], pathNot: '^libs/domain/' },
    },
    {
      name: 'config-only-to-domain',
      severity: 'error',
      comment: 'libs/config sits right above libs/domain: of the libs it may import only libs/domain.',
      from: { path: '^libs/config/src/' },
      to: { path: '^libs/', pathNot: '^libs/(config|domain)/' },
    },
    {
      name: 'wire-only-to-domain',
      severity: 'error',
      comment: 'libs/wire holds the DTOs that cross the wire (REST and Kafka); of the libs it may import only libs/domain, so that the API, the Kafka intake and feeds can all share it.',
      from: { path: '^libs/wire/src/' },
      to: { path: '^libs/', pathNot: '^libs/(wire|domain)/' },
    },
    {
      name: 'feeds-only-to-config-domain',
      severity: 'error',
      comment: 'libs/feeds holds the feed logic behind ports; of the libs it may import only libs/config, libs/wire and libs/domain, never an adapter (messaging-kafka, storage-cassandra, observability). Adapters implement its ports, not the other way round.',
      from: { path: '^libs/feeds/src/' },
      to: { path: '^libs/', pathNot: '^libs/(feeds|config|wire|domain)/' },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment: 'libs/client (@tideline/client) runs in browsers and in Node: it imports no other lib and no app; it knows the API only through its generated OpenAPI types.',
      from: { path: '^libs/client/src/' },
      to: { path: ['^libs/(?!client/)', '^apps/'] },
    },
    {
      name: 'client-no-node-core',
      severity: 'error',
      comment: 'libs/client is bundled for browsers: no Node built-in modules.',
      from: { path: '^libs/client/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'console-only-through-the-client',
      severity: 'error',
      comment: 'The web console calls the API only through @tideline/client (no other lib: they are server code).',
      from: { path: '^apps/console/' },
      to: { path: '^libs/', pathNot: '^libs/client/' },
    },
    {
      name: 'no-adapter-to-adapter',
      severity: 'error',
      comment: 'Adapters (messaging-kafka, storage-cassandra, observability) are independent of each other; the apps wire them together.',
      from: { path: `^libs/${ADAPTERS}/src/` },
      to: { path: `^libs/${ADAPTERS}/`, pathNot: '^libs/$1/' },
    },
    {
      name: 'no-app-to-app',
      severity: 'error',
      comment: 'An app never imports another app (apps/api <-> apps/fanout-worker); what both need belongs in a lib.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-to-app',
      severity: 'error',
      comment: 'Libs never import apps.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'product-not-to-testing-lib',
      severity: 'error',
      comment: 'Product code (apps/*/src, libs/*/src) never imports libs/testing (fakes and fixtures for tests only).',
      from: { path: '^(apps|libs)/[^/]+/src/', pathNot: '^libs/testing/' },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'product-not-to-test-files',
      severity: 'error',
      comment: 'Product code (apps/*/src, libs/*/src) never imports a test file: anything under a test/ folder or named *.spec.ts, *.int-spec.ts, *.e2e-spec.ts, *.fault-spec.ts.',
      from: { path: '^(apps|libs)/[^/]+/src/', pathNot: '^libs/testing/' },
      to: { path: TEST_FILES, pathNot: 'node_modules' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: libs/domain must not take even a type from an npm package.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
