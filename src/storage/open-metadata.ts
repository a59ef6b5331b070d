/**
 * @module storage/open-metadata — opens the metadata database the config names: PostgreSQL when
 * `SLIPWAY_DATABASE_URL` is set (shared by replicas; migrations applied under a lock), else the
 * SQLite file in the data directory. The SQLite connection is also returned for the parts that
 * still speak to it directly (the embedded object store's metadata).
 */
import { SqlMetadataStore } from './metadata-store.js';
import { openDatabase, type Db } from './sqlite/database.js';
import { migrateSql } from './sql/migrate.js';
import { PostgresSql } from './sql/postgres-sql.js';
import { SqliteSql } from './sql/sqlite-sql.js';

export interface OpenedMetadata {
  metadata: SqlMetadataStore;
  /** The local SQLite file (the embedded object store's metadata lives there in both modes). */
  sqlite: Db;
  close(): Promise<void>;
}

export async function openMetadata(opts: { dbPath: string; databaseUrl?: string }): Promise<OpenedMetadata> {
  const sqlite = openDatabase(opts.dbPath);
  if (opts.databaseUrl === undefined) {
    const metadata = new SqlMetadataStore(new SqliteSql(sqlite));
    return { metadata, sqlite, close: () => metadata.close() };
  }
  const pg = PostgresSql.connect(opts.databaseUrl);
  try {
    await migrateSql(pg);
  } catch (err) {
    await pg.close();
    sqlite.close();
    throw new Error(`cannot use the database at SLIPWAY_DATABASE_URL: ${(err as Error).message}`);
  }
  const metadata = new SqlMetadataStore(pg);
  return {
    metadata,
    sqlite,
    close: async () => {
      await metadata.close();
      sqlite.close();
    },
  };
}
