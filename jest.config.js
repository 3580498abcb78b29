/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // jose (used by the Agents SDK's JWT checks) ships only ES modules. Node 20 loads it
    // through require(esm); Jest's module runtime cannot, so Jest compiles it to CommonJS.
    '^.+/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // The shared machines have 2 cores; two workers keep SQLite files and timers apart.
  maxWorkers: 2,
  testTimeout: 30000,
  setupFilesAfterEnv: ['<rootDir>/test/helpers/close-engines.ts'],
};
