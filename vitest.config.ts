import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code; integration tests start real servers, Docker containers and
// SDK clients, so they get long timeouts and run in separate processes.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    // Server logs stay quiet in tests unless asked for (SLIPWAY_LOG_LEVEL=info npm test).
    env: { SLIPWAY_LOG_LEVEL: process.env.SLIPWAY_LOG_LEVEL ?? 'warn' },
  },
});
