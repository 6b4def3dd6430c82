/** @type {import('jest').Config} The deploy tests (npm run test:cloud): real applies on the local cloud. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cloud'],
  testMatch: ['**/*.cloud.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // Each deploy or destroy has its own bound (support.ts); a whole test runs several.
  testTimeout: 900000,
};
