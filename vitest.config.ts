import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{api,worker,db,common,runtime,dev,client,deploy}/**/*.test.ts', 'web/src/lib/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          // Workflow logic on Temporal's time-skipping test server with fake activities: every path in seconds.
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/workflow/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/chaos/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: files run one after another, each with its own worker and task queue.
          fileParallelism: false,
        },
      },
    ],
  },
});
