import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqlMetadataStore } from '../../../src/storage/metadata-store.js';
import { metadataStoreContract } from './metadata-store-contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

metadataStoreContract('SQLite (a real file, WAL)', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-meta-'));
    dirs.push(dir);
    const file = join(dir, 'slipway.db');
    return { store: SqlMetadataStore.openSqlite(file), reopen: async () => SqlMetadataStore.openSqlite(file) };
  },
});
