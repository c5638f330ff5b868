// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** The product does not depend on the embedded system, the CDK app, the benches, the cost report or the tests. */
const PRODUCT_LAYER = {
  group: ['**/local/*', '**/lib/*', '**/bench/*', '**/cost/*', '**/test/*', '**/local/**', '**/lib/**', '**/bench/**', '**/cost/**', '**/test/**'],
  message: 'lambda/ is the product: it imports nothing from local/, lib/, bench/, cost/ or test/.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.alki/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Layout is Prettier's (npm run lint checks it): ESLint's rules that would disagree with it are off.
  prettier,
  {
    languageOptions: { globals: { Buffer: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [] }],
    },
  },
  {
    // The local console runs in the browser.
    files: ['local/console/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        fetch: 'readonly',
        URLSearchParams: 'readonly',
        Node: 'readonly',
        setInterval: 'readonly',
      },
    },
  },
  {
    files: ['lambda/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PRODUCT_LAYER] }],
    },
  },
  {
    // The client library runs in applications: the product's API, operations and adapters, nothing of the embedded system, the CDK app or the tests.
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...PRODUCT_LAYER.group, '**/bin/**', '**/lambda/*/handler.ts'],
              message: 'client/ imports the product (lambda/) but no handler, and nothing of local/, lib/, bin/, bench/, cost/ or test/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CDK app deploys the handlers' bundles; it imports no handler.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/lambda/*/handler.ts', '**/test/**', '**/bench/**', '**/cost/**'], message: 'lib/ imports no handler, test, bench or cost module.' },
          ],
        },
      ],
    },
  },
  {
    // The benches and the cost report measure the product and the embedded system; they import nothing from the tests
    // (the fault simulation, a test harness, runs as a process of its own: test/support/fault-worker.ts).
    files: ['bench/**/*.ts', 'cost/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test/**'], message: 'bench/ and cost/ import nothing from test/.' }] }],
    },
  },
  {
    // The cost report prices what the benches and the scale model measure; never the other way round.
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/test/**', '**/cost/**'], message: 'bench/ imports nothing from test/ or cost/ (cost/ builds on bench/).' }] },
      ],
    },
  },
  {
    // The engine stays pure: no AWS SDK, no adapters.
    files: ['lambda/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            PRODUCT_LAYER,
            {
              group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '../store/*', 'aws-cdk-lib', 'aws-cdk-lib/*'],
              message: 'lambda/core is pure TypeScript: no AWS SDK or adapters.',
            },
          ],
        },
      ],
    },
  },
);
