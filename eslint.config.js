// Lint rules that catch what the compiler cannot: unawaited promises (a lost error, or a step that
// silently runs after the response) and impure imports in workflow code (non-determinism on replay).
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'web/build/',
      'web/.svelte-kit/',
      '.data/',
      'test-results/',
      'client/openapi-types.ts',
      'client/app-router.ts',
      'test/consumer/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `tsc --noEmit` with noUnusedLocals already reports these; `no-undef` does not understand types.
      'no-undef': 'off',
    },
  },
  {
    // Tests poke at parsed YAML, JSON and error shapes; product code keeps the rule.
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The samples' rule: workflow code runs in Temporal's deterministic sandbox and is replayed.
    files: ['worker/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins (use activities).',
          })),
          patterns: [
            {
              group: [
                'pg',
                'drizzle-orm',
                'drizzle-orm/*',
                'undici',
                'express',
                '@temporalio/activity',
                '@temporalio/client',
                '@temporalio/worker',
                '**/db/*',
                '**/activities/*',
              ],
              allowTypeImports: true,
              message: 'Workflow code must be deterministic: only @temporalio/workflow, pure shared modules and activity types.',
            },
          ],
        },
      ],
    },
  },
);
