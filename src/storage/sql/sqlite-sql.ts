/**
 * @module storage/sql/sqlite-sql — SqlDb over one better-sqlite3 connection. Statements run
 * synchronously (SQLite is in-process), so a call outside a transaction costs one resolved promise.
 * While a transaction is open — it may await between its statements — statements from outside it
 * wait until it ends: one connection must never mix them into the open transaction.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { RunResult, SqlDb, SqlParam } from './sql-db.js';

type Statement = Database.Statement<unknown[]>;

export class SqliteSql implements SqlDb {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();
  private readonly inside = new AsyncLocalStorage<symbol>();
  /** Settles when the open transaction ends; undefined when none is open. */
  private open: Promise<void> | undefined;
  private openId: symbol | undefined;

  constructor(readonly db: Database.Database) {}

  async all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    while (this.held()) await this.open;
    return this.statement(sql).all(...params) as T[];
  }

  async get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    while (this.held()) await this.open;
    return this.statement(sql).get(...params) as T | undefined;
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<RunResult> {
    while (this.held()) await this.open;
    return { changes: this.statement(sql).run(...params).changes };
  }

  async exec(sql: string): Promise<void> {
    while (this.held()) await this.open;
    this.db.exec(sql);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.openId !== undefined && this.inside.getStore() === this.openId) return fn();
    while (this.held()) await this.open;
    const id = Symbol('transaction');
    let end!: () => void;
    this.open = new Promise<void>((resolve) => (end = resolve));
    this.openId = id;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.inside.run(id, fn);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.open = undefined;
      this.openId = undefined;
      end();
    }
  }

  async close(): Promise<void> {
    while (this.held()) await this.open;
    this.db.close();
  }

  /**
   * Whether another caller's transaction holds the connection (statements inside it go on). Every
   * caller loops on it inline (`while (this.held()) await this.open`) and acts in the same
   * continuation as its last check: awaiting a helper instead would add a hop in which another
   * waiter could claim the connection first (two BEGINs, or a statement inside someone else's
   * transaction).
   */
  private held(): boolean {
    return this.open !== undefined && this.inside.getStore() !== this.openId;
  }

  private statement(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      // Statements are the code's own; only IN-lists vary in length. Bounded all the same.
      if (this.statements.size >= 1000) this.statements.clear();
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}
