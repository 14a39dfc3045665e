// @ts-check
// ESLint flat config for the superstep workspace. The layout it enforces is described in docs/design.md ("The shape").
//
// What runs where:
// - every *.ts file (packages/*/src, test/, vitest.config.ts; hand-written *.d.ts too) is linted with type
//   information from the root tsconfig.json through the project service, with typescript-eslint's
//   strict-type-checked + stylistic-type-checked sets;
// - plain JS (*.js, *.mjs: this file, packages/runtime/src/entry/worker.mjs) is linted without type
//   information: the tsconfig does not include JS (no allowJs), and these files are tiny bootstraps;
// - import rules (cycle check, thread boundaries, package boundaries) run on both; the cycle check is our own
//   (lint/no-import-cycle.js), because it counts type-only imports.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import noImportCycle from './lint/no-import-cycle.js';

const root = path.dirname(fileURLToPath(import.meta.url));
const runtimeSrc = 'packages/runtime/src';

// ---------------------------------------------------------------------------------------------------------
// Import restrictions by module name. Flat config replaces (does not merge) a rule's options when a later
// block matches the same file, so every block below passes the full list through `restrictImports`.

/** Packages export only through their entry files (docs/design.md, "The shape"): no `@superstep/<pkg>/src/...`. */
const NO_DEEP_PACKAGE_IMPORTS = {
  regex: '^@superstep/(?!runtime/(?:executor|testing|nats)$)[^/]+/.+',
  message:
    'Import a workspace package only through its entry points (`@superstep/<pkg>`, `@superstep/runtime/executor`, `@superstep/runtime/testing` or `@superstep/runtime/nats`); deep imports bypass its public API.',
};

/** Modules that tie code to one thread, to the pool, or to the file system. */
const THREAD_BOUND_MODULES = [
  {
    regex: '^(node:)?worker_threads$',
    message: 'shared/ code must run on any thread: take ports/ids as parameters instead of importing worker_threads.',
  },
  { regex: '^piscina(/.*)?$', message: 'piscina is wrapped only by main/hosts/actor-pool.ts.' },
  { regex: '^(node:)?fs(/.*)?$', message: 'shared/ code is pure: no file system access.' },
];

/** The main-thread entry of the runtime; executor code and worker code use `@superstep/runtime/executor`. */
const RUNTIME_MAIN_ENTRY = {
  regex: '^@superstep/runtime$',
  message:
    'Executor modules and worker code import `@superstep/runtime/executor` (worker-safe), never the main-thread entry `@superstep/runtime`.',
};

/**
 * @param {Array<{ regex: string; message: string }>} patterns
 * @returns {['error', { patterns: Array<{ regex: string; message: string }> }]}
 */
const restrictImports = (...patterns) => ['error', { patterns: [NO_DEEP_PACKAGE_IMPORTS, ...patterns] }];

/** @param {string} p */
const fromRoot = (p) => `./${p}`;

export default defineConfig([
  // ESLint always skips node_modules/ and .git/. Build output and coverage are generated; `tmp/` is scratch
  // space (see .gitignore). Generated *.d.ts live under dist/ and are skipped with it; hand-written *.d.ts
  // in src/ (module shims such as shared/comlink-modules.d.ts) are source and stay linted.
  globalIgnores(['**/dist/', '**/coverage/', 'tmp/']),

  {
    name: 'superstep/all-files',
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },

  // ---------------------------------------------------------------------------------------------------
  // TypeScript, type-aware.
  {
    name: 'superstep/typescript',
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      // An un-awaited promise in an async runtime is a lost error or a thread that outlives its run.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Status unions and message `type` unions must be handled case by case; a `default:` does not count.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      // With verbatimModuleSyntax, type-only imports must say so; inline `type` matches the existing code.
      // `typeof import('./executors.ts')` stays allowed: it is the documented way to type an executor module
      // (`executorModule<typeof import('./x.ts')>(url)`) without loading it on the main thread.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // `import { type A } from 'x'` still emits `import 'x'` under verbatimModuleSyntax: use `import type`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Options tweak, not a switch-off: numbers in messages ("options.maxThreads must be ≥ 1, got 0") are
      // fine; objects, nullish values and unions still have to be formatted explicitly.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // The usual `_unused` convention for deliberately ignored parameters and destructured values.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-restricted-imports': restrictImports(),
    },
  },

  // ---------------------------------------------------------------------------------------------------
  // Size limits for the runtime (docs/design.md, "The shape"): a file past ~400 lines is two concepts, a
  // function past ~80 lines is several steps that want names, and more than 3 positional parameters want an
  // options object. Blank lines and comments do not count: a limit must not push out the "why" comments.
  {
    name: 'superstep/size/runtime',
    files: [`${runtimeSrc}/**/*.ts`],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
      '@typescript-eslint/max-params': ['error', { max: 3 }],
    },
  },
  {
    // A test's `describe` callback (and a contract suite's) is a list of cases, not one procedure: its length
    // counts the behaviours checked, not how tangled one of them is. Test files keep the file and parameter
    // limits.
    name: 'superstep/size/runtime-tests',
    files: [`${runtimeSrc}/**/*.test.ts`, `${runtimeSrc}/**/*.contract.ts`],
    rules: { 'max-lines-per-function': 'off' },
  },

  // ---------------------------------------------------------------------------------------------------
  // Imports: cycles, package boundaries, thread boundaries. Applies to TS and JS alike.
  {
    name: 'superstep/imports',
    plugins: { 'import-x': importX, superstep: noImportCycle },
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: path.join(root, 'tsconfig.json'), alwaysTryTypes: true }),
      ],
    },
    rules: {
      // Import cycles, type-only imports included (lint/no-import-cycle.js says why it replaces
      // import-x/no-cycle, which skips them). Workspace packages cannot import our files back.
      'superstep/no-import-cycle': 'error',
      'import-x/no-self-import': 'error',
      // `../../runtime/src/x.ts` from another package is a deep import in disguise.
      'import-x/no-relative-packages': 'error',
      // Thread boundaries by resolved path (any depth of `../`, `index.ts` re-export backdoors included).
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            {
              target: fromRoot(`${runtimeSrc}/shared`),
              from: [
                fromRoot(`${runtimeSrc}/main`),
                fromRoot(`${runtimeSrc}/worker`),
                fromRoot(`${runtimeSrc}/entry`),
                fromRoot(`${runtimeSrc}/index.ts`),
                fromRoot(`${runtimeSrc}/executor.ts`),
              ],
              message: 'shared/ is safe on both threads and depends on nothing outside shared/.',
            },
            {
              target: [fromRoot(`${runtimeSrc}/worker`), fromRoot(`${runtimeSrc}/entry`)],
              from: [fromRoot(`${runtimeSrc}/main`), fromRoot(`${runtimeSrc}/index.ts`)],
              message: 'Worker code must not load main-thread code; share contracts through shared/.',
            },
            {
              target: fromRoot(`${runtimeSrc}/main`),
              from: [fromRoot(`${runtimeSrc}/worker`), fromRoot(`${runtimeSrc}/entry`)],
              message: 'Main-thread code must not load worker code; share contracts through shared/.',
            },
            {
              // The test harness runs worker code in the test's own process: it starts no thread and so
              // must not reach the pool or anything else of the main thread.
              target: [fromRoot(`${runtimeSrc}/testing`), fromRoot(`${runtimeSrc}/testing.ts`)],
              from: [fromRoot(`${runtimeSrc}/main`), fromRoot(`${runtimeSrc}/index.ts`)],
              message: '`@superstep/runtime/testing` runs worker code in-process; it must not load main-thread code.',
            },
            {
              target: fromRoot(`${runtimeSrc}/executor.ts`),
              from: [
                fromRoot(`${runtimeSrc}/main`),
                fromRoot(`${runtimeSrc}/worker`),
                fromRoot(`${runtimeSrc}/entry`),
                fromRoot(`${runtimeSrc}/index.ts`),
              ],
              message: '`@superstep/runtime/executor` is the worker-safe entry: it re-exports shared/ only.',
            },
          ],
        },
      ],
    },
  },

  // Thread boundaries by module name (node builtins and packages have no path inside the repo to match).
  // Tests are exempt from the module-name lists only: they run on the main thread under vitest, never
  // inside an actor host, and may start a real worker or read a fixture file.
  {
    name: 'superstep/boundaries/runtime-shared',
    files: [`${runtimeSrc}/shared/**/*.ts`, `${runtimeSrc}/executor.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports(...THREAD_BOUND_MODULES, RUNTIME_MAIN_ENTRY),
    },
  },
  {
    name: 'superstep/boundaries/runtime-worker',
    files: [`${runtimeSrc}/worker/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports(
        { regex: '^piscina(/.*)?$', message: 'piscina belongs to the main thread (main/hosts/actor-pool.ts).' },
        RUNTIME_MAIN_ENTRY,
      ),
    },
  },
  {
    // The worker bootstrap is plain JS, so the core rule (same options) applies.
    name: 'superstep/boundaries/runtime-worker-entry',
    files: [`${runtimeSrc}/entry/**/*.{js,mjs}`],
    rules: {
      'no-restricted-imports': restrictImports(
        { regex: '^piscina(/.*)?$', message: 'piscina belongs to the main thread (main/hosts/actor-pool.ts).' },
        RUNTIME_MAIN_ENTRY,
      ),
    },
  },
  {
    // Executor modules run inside actor hosts: only the worker-safe entry of the runtime. Besides the
    // executors package, that is test/fixtures/ (executor modules loaded by the cross-package tests) and
    // any `executors.ts` module (the name the docs and examples give an executor module).
    name: 'superstep/boundaries/executor-modules',
    files: ['packages/executors/src/**/*.ts', 'packages/*/src/**/executors.ts', 'test/fixtures/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports(RUNTIME_MAIN_ENTRY),
    },
  },
]);
