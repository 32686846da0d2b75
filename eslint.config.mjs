// ESLint flat config (ESLint 10 + typescript-eslint, non type-checked for speed).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TS_FILES = ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts'];
const JS_FILES = ['**/*.{js,mjs,cjs}'];

// The `globals` package is not installed; these are the Node globals our scripts use.
const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Blob',
    'Buffer',
    'TextDecoder',
    'TextEncoder',
    'URL',
    'URLSearchParams',
    'clearImmediate',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'global',
    'performance',
    'process',
    'queueMicrotask',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
);

const CROSS_PROJECT_MESSAGE = 'import libraries through @app/<lib>';
const LIB_SOURCE_PATTERNS = ['../../libs/*', '../../../libs/*', '**/libs/*/src/*'];

export default defineConfig([
  globalIgnores(['dist/', 'node_modules/', 'coverage/', '.muninn/', 'tmp/']),

  {
    name: 'muninn/typescript',
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: [...LIB_SOURCE_PATTERNS, '**/apps/*'], message: CROSS_PROJECT_MESSAGE }] },
      ],
    },
  },

  {
    // e2e tests have no alias for the apps and must import their modules by relative path;
    // libraries still have to go through @app/<lib>.
    name: 'muninn/test',
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: LIB_SOURCE_PATTERNS, message: CROSS_PROJECT_MESSAGE }] },
      ],
    },
  },

  {
    name: 'muninn/no-console-in-app-code',
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: {
      'no-console': 'error',
    },
  },

  {
    // scripts/*.mjs, eslint.config.mjs, …: plain JS rules with Node globals.
    name: 'muninn/node-scripts',
    files: JS_FILES,
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 'latest',
      globals: nodeGlobals,
    },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },

  {
    name: 'muninn/commonjs-scripts',
    files: ['**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
      },
    },
  },
]);
