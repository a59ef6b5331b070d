/**
 * @module test/helpers/backends — runs a store suite once per metadata backend: SQLite (a real
 * file, WAL) and PostgreSQL (a private server for the file, a fresh database per `fresh()`; skipped
 * with the reason when the binaries are missing). Every database a test opens is closed after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe } from 'vitest';
import { migrateSql } from '../../src/storage/sql/migrate.js';
import { PostgresSql } from '../../src/storage/sql/postgres-sql.js';
import type { SqlDb } from '../../src/storage/sql/sql-db.js';
import { SqliteSql } from '../../src/storage/sql/sqlite-sql.js';
import { openDatabase } from '../../src/storage/sqlite/database.js';
import { postgresUnavailable, usePostgres } from './postgres.js';

export type BackendName = 'SQLite' | 'PostgreSQL';

/** One empty, migrated database; `open()` opens another connection (pool) to the same data. */
export interface FreshDb {
  db: SqlDb;
  open(): Promise<SqlDb>;
}

export interface Backend {
  name: BackendName;
  fresh(): Promise<FreshDb>;
}

/** Calls `suite` inside a describe per backend. */
export function forEachBackend(suite: (backend: Backend) => void): void {
  describe('SQLite', () => suite(sqliteBackend()));
  describe.skipIf(postgresUnavailable())('PostgreSQL', () => suite(postgresBackend()));
}

function closeAfterEach(): (db: SqlDb) => SqlDb {
  let open: SqlDb[] = [];
  afterEach(async () => {
    const dbs = open;
    open = [];
    // A test may have closed some already; closing twice is harmless to ignore here.
    await Promise.all(dbs.map((d) => d.close().catch(() => undefined)));
  });
  return (db) => (open.push(db), db);
}

export function sqliteBackend(): Backend {
  const dirs: string[] = [];
  const track = closeAfterEach();
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    name: 'SQLite',
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'slipway-backend-'));
      dirs.push(dir);
      const file = join(dir, 'slipway.db');
      const open = async () => track(new SqliteSql(openDatabase(file)));
      return { db: await open(), open };
    },
  };
}

export function postgresBackend(): Backend & { freshUrl(): Promise<string> } {
  const pg = usePostgres();
  const track = closeAfterEach();
  return {
    name: 'PostgreSQL',
    /** A new empty database without migrations, for tests that open it themselves. */
    freshUrl: () => pg.freshDatabase(),
    async fresh() {
      const url = await pg.freshDatabase();
      const open = async () => {
        const db = track(PostgresSql.connect(url));
        await migrateSql(db);
        return db;
      };
      return { db: await open(), open };
    },
  };
}
