/**
 * @module storage/sql/sql-db — the one asynchronous SQL interface every metadata store is written
 * against, so each store exists once and runs on SQLite (one machine) or PostgreSQL (cluster mode,
 * `SLIPWAY_DATABASE_URL`). Statements use `?` placeholders and a portable subset of SQL; the few
 * places where the dialects differ ask `dialect`.
 *
 * Transactions: `transaction(fn)` runs `fn` with every statement issued inside it — by any store
 * sharing this SqlDb, however deep in the call — on the same transaction (tracked with
 * AsyncLocalStorage), so stores compose without passing a handle around. A transaction inside a
 * transaction joins it.
 */

export type SqlDialect = 'sqlite' | 'postgres';
export type SqlParam = string | number | bigint | null | Buffer;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface SqlDb {
  readonly dialect: SqlDialect;
  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlParam[]): Promise<RunResult>;
  /** Several statements with no parameters (schema changes). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A unique or primary-key constraint refused the write (SQLite and PostgreSQL codes). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** `SELECT … FOR UPDATE` where the dialect has row locks (SQLite's writer lock already serialises). */
export function forUpdate(db: SqlDb): string {
  return db.dialect === 'postgres' ? ' FOR UPDATE' : '';
}

/** Scalar two-argument minimum / maximum: SQLite's min()/max(), PostgreSQL's LEAST/GREATEST. */
export function least(db: SqlDb, a: string, b: string): string {
  return db.dialect === 'postgres' ? `LEAST(${a}, ${b})` : `min(${a}, ${b})`;
}
export function greatest(db: SqlDb, a: string, b: string): string {
  return db.dialect === 'postgres' ? `GREATEST(${a}, ${b})` : `max(${a}, ${b})`;
}

/**
 * `column` contains a text, the text's own % and _ taken literally. Callers compare lower-cased
 * columns with lower-cased text: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
 */
export function containsClause(column: string): string {
  return `${column} LIKE ? ESCAPE '\\'`;
}
export function containsParam(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
