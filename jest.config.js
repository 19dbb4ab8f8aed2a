/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/data/'],
  testTimeout: 60_000,
  // swc-transformed TypeScript global setup: trains the built-in intent model once per run.
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
};
