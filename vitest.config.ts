import { defineConfig } from 'vitest/config';

// Forks, not threads: Temporal workers and native modules misbehave in worker threads.
// `unit` needs nothing running; `integration` brings up (or reuses) the local stack once;
// `chaos` brings up a private stack of its own (scripts/chaos).
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/replay/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/stack.ts'],
          // Two cores: integration files share one stack and compete for CPU; run two at a time.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          // Its own stack (restarting Temporal and RabbitMQ must not hit the shared one), so no
          // global setup; after the integration tests, alone, since it loads both cores.
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          maxWorkers: 1,
          testTimeout: 20 * 60_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
