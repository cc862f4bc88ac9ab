import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time: most of a file's time is spent waiting (on PostgreSQL, timers,
    // child processes, Chromium), and one at a time took the whole suite past 27 minutes on a
    // 2-core machine. Vitest's default here is one fewer than the cores.
    maxWorkers: 2,
  },
});
