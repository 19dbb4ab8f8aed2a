/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
    // jose (under @microsoft/agents-hosting's jwks-rsa) ships only ES modules, which Jest's own
    // require cannot load on Node 20: compile it to CommonJS like our own code.
    '/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/data/'],
  testTimeout: 60_000,
  // swc-transformed TypeScript global setup: trains the built-in intent model once per run.
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
};
