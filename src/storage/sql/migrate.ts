/**
 * @module storage/sql/migrate — applies the schema migrations on a SqlDb. On PostgreSQL several
 * replicas may start at once: a transaction-scoped advisory lock lets one apply them while the
 * others wait, then find them applied.
 */
import { MIGRATIONS, type Migration } from '../migrations/index.js';
import { postgresDdl } from './postgres-ddl.js';
import type { SqlDb } from './sql-db.js';

/** Any constant both sides agree on: Slipway's migration lock. */
const MIGRATION_LOCK = 0x5117_3a77;

export async function migrateSql(db: SqlDb, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  await db.transaction(async () => {
    if (db.dialect === 'postgres') await db.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const applied = new Set((await db.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await db.exec(db.dialect === 'postgres' ? (m.postgres ?? postgresDdl(m.sql)) : m.sql);
      await db.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, Date.now()]);
    }
  });
}
