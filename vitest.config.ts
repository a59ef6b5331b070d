import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The pinned Python clients (scripts/setup-test-clients) come first on PATH, so `python3`, `aws`
// and `pytest` in tests are those, never whatever the machine happens to have.
const root = fileURLToPath(new URL('.', import.meta.url));
const venvBin = join(root, '.venv', 'bin');

// The S3 suites run a second time with object bytes in a foreign S3 store (moto in server mode,
// test/helpers/moto.ts): SLIPWAY_OBJECT_STORE_URL must answer as the data directory does.
const FOREIGN_OBJECTS = [
  'test/integration/s3/sdk.int.test.ts',
  'test/integration/s3/python-clients.int.test.ts',
  'test/integration/s3/conformance-objects.int.test.ts',
  'test/integration/s3/conformance-multipart.int.test.ts',
  'test/integration/s3/tagging-encryption.int.test.ts',
  'test/integration/s3/streaming-signature.int.test.ts',
  'test/integration/s3/website.int.test.ts',
];

// Unit tests sit beside the code; integration tests start real servers, Docker containers and
// SDK clients, so they get long timeouts and run in separate processes.
export default defineConfig({
  test: {
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
    projects: [
      // Not in the root: `extends` concatenates arrays, so a root `include` would join every project's.
      { extends: true, test: { name: 'default', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      { extends: true, test: { name: 'foreign-objects', include: FOREIGN_OBJECTS, env: { SLIPWAY_TEST_OBJECT_STORE: 'moto' } } },
    ],
  },
});
