import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The pinned Python clients (scripts/setup-test-clients) come first on PATH, so `python3`, `aws`
// and `pytest` in tests are those, never whatever the machine happens to have.
const root = fileURLToPath(new URL('.', import.meta.url));
const venvBin = join(root, '.venv', 'bin');

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
    env: {
      SLIPWAY_LOG_LEVEL: process.env.SLIPWAY_LOG_LEVEL ?? 'warn',
      PATH: `${venvBin}${delimiter}${process.env.PATH ?? ''}`,
      VIRTUAL_ENV: join(root, '.venv'),
    },
  },
});
