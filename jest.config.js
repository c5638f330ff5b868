// Jest runs the TypeScript sources as native ES modules (fauxqs ships ESM only; node runs
// with --experimental-vm-modules, see package.json), transformed by swc.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, module: { type: 'es6' } }];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testSequencer: '<rootDir>/test/jest/sequencer.js',
  globalSetup: '<rootDir>/test/jest/global-setup.js',
  // Integration tests run real systems with real timers: minutes, not jest's 5 s.
  testTimeout: 600_000,
  coverageProvider: 'v8',
  collectCoverageFrom: ['lambda/**/*.ts', 'local/**/*.ts', 'lib/**/*.ts', 'bin/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
};
