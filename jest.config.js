/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // The shared machines have 2 cores; two workers keep SQLite files and timers apart.
  maxWorkers: 2,
  testTimeout: 30000,
};
