// Test tiers (see README): unit = pure logic, in-memory fakes allowed; integration = one capability lib
// against the real Cassandra/Kafka started by scripts/infra.mjs; e2e = the real apps over HTTP/Kafka;
// faults = fault injection (stops/kills real servers and workers).
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  rootDir: __dirname,
};
// Tiers against real services: generous per-test budget; waits inside tests poll with their own deadlines.
const slow = { testTimeout: 180_000 };

module.exports = {
  testTimeout: 180_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'] },
    { ...base, ...slow, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs,test}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts' },
    { ...base, ...slow, displayName: 'e2e', testMatch: ['<rootDir>/{apps,libs,test}/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts' },
    { ...base, ...slow, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts' },
  ],
};
