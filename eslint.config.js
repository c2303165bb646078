// Lint holds the architecture's import rules: workflows and domain stay deterministic (no Node
// built-ins, no clients, only *types* from activities), clients never touch Temporal, production
// code never imports the simulators, and no import cycles anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';
import globals from 'globals';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', '.cache/**', 'test-artifacts/**', 'bench-results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })] },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows and domain must stay deterministic: no Node built-ins.' })),
            { name: '@temporalio/client', message: 'Not inside workflows.' },
            { name: '@temporalio/worker', message: 'Not inside workflows.' },
            { name: '@temporalio/activity', message: 'Not inside workflows.' },
          ],
          patterns: [
            { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Workflows import only the types of activities.' },
            { group: ['**/clients/**', '**/workers/**', '**/config', '**/config/**', '**/sim/**', '**/report/**'], message: 'Workflows and domain import only domain/ and @temporalio/workflow.' },
          ],
        },
      ],
    },
  },
  {
    files: ['clients/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@temporalio/*'], message: 'clients/ never imports Temporal: activities adapt clients.' }, { group: ['**/sim/**'], message: 'Production code never imports the simulators.' }] }],
    },
  },
  {
    files: ['activities/**/*.ts', 'workers/**/*.ts', 'report/**/*.ts', 'config/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/sim/**', '**/sim'], message: 'Production code never imports the simulators.' }] }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
