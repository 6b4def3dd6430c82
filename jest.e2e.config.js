/** @type {import('jest').Config} The end-to-end test (npm run e2e): real hosts, Spark and Swift. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  // Booting hosts and running Spark jobs takes minutes; each wait inside has its own bound.
  testTimeout: 900000,
};
