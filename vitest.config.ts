import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // better-sqlite3 is a native module: separate processes are the safest pool for it.
    pool: 'forks',
    testTimeout: 20_000,
  },
});
