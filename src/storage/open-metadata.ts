/**
 * @module storage/open-metadata — opens the metadata database the config names: PostgreSQL when
 * `SLIPWAY_DATABASE_URL` is set (shared by replicas; migrations applied under a lock), else the
 * SQLite file in the data directory. Everything, object metadata included, goes through `metadata.sql`.
 */
import { SqlMetadataStore } from './metadata-store.js';
import { openDatabase } from './sqlite/database.js';
import { migrateSql } from './sql/migrate.js';
import { PostgresSql } from './sql/postgres-sql.js';
import { SqliteSql } from './sql/sqlite-sql.js';

export interface OpenedMetadata {
  metadata: SqlMetadataStore;
  close(): Promise<void>;
}

export async function openMetadata(opts: { dbPath: string; databaseUrl?: string }): Promise<OpenedMetadata> {
  if (opts.databaseUrl === undefined) {
    const metadata = new SqlMetadataStore(new SqliteSql(openDatabase(opts.dbPath)));
    return { metadata, close: () => metadata.close() };
  }
  const pg = PostgresSql.connect(opts.databaseUrl);
  try {
    await migrateSql(pg);
  } catch (err) {
    await pg.close();
    throw new Error(`cannot use the database at SLIPWAY_DATABASE_URL: ${(err as Error).message}`);
  }
  const metadata = new SqlMetadataStore(pg);
  return { metadata, close: () => metadata.close() };
}
