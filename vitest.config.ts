import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // better-sqlite3 is a native module: separate processes are the safest pool for it.
    pool: 'forks',
    testTimeout: 20_000,
    // A throwaway PostgreSQL cluster for the PostgreSQL tests (see test/pg/cluster.ts).
    globalSetup: ['test/pg/cluster.ts'],
  },
});
