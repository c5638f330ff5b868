// Jest runs the TypeScript sources as native ES modules (fauxqs ships ESM only; node runs
// with --experimental-vm-modules, see package.json), transpiled one file at a time by
// ts-jest (types are tsc's job). Pure JavaScript on purpose: transformers and resolvers
// with native per-platform packages (swc, jest 30's unrs-resolver) break `npm ci` where the
// registry lacks a platform's build.
const tsJest = [
  'ts-jest',
  {
    useESM: true,
    // isolatedModules (in this tsconfig) makes ts-jest transpile each file alone, without type checks.
    tsconfig: {
      esModuleInterop: true,
      target: 'es2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      allowImportingTsExtensions: true,
      noEmit: true,
      verbatimModuleSyntax: true,
      resolveJsonModule: true,
      isolatedModules: true,
      strict: true,
      skipLibCheck: true,
      types: ['node'],
    },
  },
];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testSequencer: '<rootDir>/test/jest/sequencer.js',
  globalSetup: '<rootDir>/test/jest/global-setup.js',
  // Integration tests run real systems with real timers: minutes, not jest's 5 s.
  testTimeout: 600_000,
  coverageProvider: 'v8',
  collectCoverageFrom: ['lambda/**/*.ts', 'local/**/*.ts', 'lib/**/*.ts', 'bin/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
};
