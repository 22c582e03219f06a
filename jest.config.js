/**
 * One jest config for every suite. TypeScript (and the ESM-only packages in
 * node_modules, such as @middy/core) are compiled to CommonJS by esbuild, which
 * is already a dependency for the Lambda bundles; type-checking is `tsc` in
 * `npm test`, so jest only transpiles.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '\\.[cm]?[jt]s$': '<rootDir>/test/support/esbuild-transform.js' },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  setupFiles: ['<rootDir>/test/support/env.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  // Two workers on CI's two cores (jest's default would be one): most suites wait on a local cloud
  // (timers, retries, DynamoDB Local), so two at once take about 6 minutes instead of 10.
  maxWorkers: 2,
  // The longest suites first, so that neither worker ends the run alone (see the file).
  testSequencer: '<rootDir>/test/support/slow-first-sequencer.js',
};
