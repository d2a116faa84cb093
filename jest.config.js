// Unit tests live beside the code (src/**/__tests__), need no app and no database.
// Integration tests (__tests__/integration) boot NocoBase through @nocobase/test against a real database;
// every @nocobase/* package resolves from the dev app's node_modules (.app), so there is one copy of each.
const path = require('path');
const appModules = path.join(__dirname, '.app', 'node_modules');
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true, decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: false, react: { runtime: 'automatic' } },
      target: 'es2021',
    },
    module: { type: 'commonjs' },
  },
];
const common = {
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  modulePaths: [appModules],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/app-template/', '<rootDir>/.app/package.json', '<rootDir>/.app/storage/', '<rootDir>/dist/'],
  setupFiles: ['<rootDir>/__tests__/helpers/env.js'],
};
module.exports = {
  testTimeout: 180000,
  projects: [
    // *.real.test.ts run the dump and restore tools against the live PostgreSQL and MariaDB servers: integration
    // tests kept beside the code they test; scripts/test.js runs them once, in the first dialect's pass.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/__tests__/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.real\\.test\\.ts$'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts', '<rootDir>/src/**/__tests__/**/*.real.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'] },
    // Minutes-long archive limits (4 GiB+, 65,600 entries): `npm run test:slow`, not part of `npm test`.
    { ...common, displayName: 'slow', testMatch: ['<rootDir>/src/**/__tests__/**/*.slow.ts'] },
  ],
};
