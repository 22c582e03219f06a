/**
 * Mutation testing of the business logic (`npm run test:mutation`, which runs
 * bench/mutation.ts: it starts one DynamoDB Local for the run and prints the
 * score). Mutants that no test can tell from the original are not listed
 * here but marked where they are, with a `// Stryker disable` comment that
 * says why: `git grep -n "Stryker disable"` lists them.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'functions/*/domain/**/*.ts',
    'functions/*/use-cases/**/*.ts',
    'functions/shared/shared-circuit-breaker.ts',
    'functions/shared/cursor.ts',
    'functions/shared/http.ts',
    'functions/shared/errors.ts',
  ],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: {
      // jest finds the tests of a mutated file with --findRelatedTests, which sees only files under its roots.
      roots: ['<rootDir>/test', '<rootDir>/functions'],
      // The unit suites, the contract suites that read the code (event contracts, the generated API description and
      // event schemas), and the one adapter suite that proves the stock condition on DynamoDB Local. Left out:
      // the rest of the API description's checks (test/cdk/suites/openapi.ts), which validate the checked-in document
      // in a node of its own and synthesize the template (14 s a run, and every static mutant would run them), and
      // reach no mutated code the generated-files suite does not.
      testMatch: [
        '<rootDir>/test/unit/**/*.test.ts',
        '<rootDir>/test/contracts/events.test.ts',
        '<rootDir>/test/contracts/openapi-generated.test.ts',
        '<rootDir>/test/adapters/stock-condition.test.ts',
      ],
      // The shared AWS clients' suite waits out real 1 s deadlines on hung connections (3.4 s a run) to test code outside the
      // mutated files; every static mutant (130, run against all the suites) paid for it, about 4 of a full run's 16 min.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/shared/aws-clients\\.test\\.ts$'],
      // Stryker runs jest once per mutant: the wrapper starts DynamoDB Local once instead (SHOP_TEST_DYNAMODB_ENDPOINT),
      // and the assembly cache of the local-cloud suites, which loads the whole local cloud, is of no use here.
      globalSetup: null,
      globalTeardown: null,
    },
  },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  // The checker's program: functions/ and the unit and event-contract suites, nothing that reaches aws-cdk-lib (the
  // generated-files suite builds the document through lib/, the stock-condition suite starts DynamoDB Local through
  // local/): with them the program is 4,045 files and every mutant costs about 6 s of re-checking, without them
  // 1,386 files and a fraction of that. Those two suites still run; a mutant that would only break their types
  // is run and judged by them.
  tsconfigFile: 'tsconfig.stryker.json',
  // Two mutants at a time: CI's and this laptop's two cores, shared with whoever else works on them.
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['cdk.out', 'coverage', 'reports', 'docs', '.local-cloud', '.data'],
  reporters: ['progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
};
