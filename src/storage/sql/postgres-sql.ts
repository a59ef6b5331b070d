/**
 * @module storage/sql/postgres-sql — SqlDb over a node-postgres pool (`SLIPWAY_DATABASE_URL`).
 * `?` placeholders become `$n`; BIGINT, COUNT and NUMERIC — what SUM() of a BIGINT column returns
 * (https://www.postgresql.org/docs/15/functions-aggregate.html) — come back as numbers, as SQLite
 * gives them (every integer Slipway stores — epoch milliseconds, sizes, counters — is far below 2^53). A transaction holds one pooled
 * connection; statements inside it, from any store, run on that connection.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { RunResult, SqlDb, SqlParam } from './sql-db.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const toNumber = (v: string): number => Number(v);

export interface PostgresOptions {
  /** Connections per replica (default 10). */
  maxConnections?: number;
  /** A statement that runs longer fails (default 30 s): a stuck query never holds a handler forever. */
  statementTimeoutMs?: number;
}

export class PostgresSql implements SqlDb {
  readonly dialect = 'postgres' as const;
  private readonly inside = new AsyncLocalStorage<pg.PoolClient>();
  private readonly converted = new Map<string, string>();

  constructor(readonly pool: pg.Pool) {}

  static connect(url: string, opts: PostgresOptions = {}): PostgresSql {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.maxConnections ?? 10,
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      connectionTimeoutMillis: 10_000,
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID || oid === NUMERIC_OID ? toNumber : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    });
    // An idle connection that breaks (database restart) is dropped from the pool, not fatal.
    pool.on('error', () => undefined);
    return new PostgresSql(pool);
  }

  async all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    const r = await this.runner().query(this.text(sql), params as unknown[]);
    return r.rows as T[];
  }

  async get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<RunResult> {
    const r = await this.runner().query(this.text(sql), params as unknown[]);
    return { changes: r.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.runner().query(sql);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return fn();
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await this.inside.run(client, fn);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Runs `fn` on one connection of its own outside any transaction (session-level locks). */
  async withConnection<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private runner(): pg.Pool | pg.PoolClient {
    return this.inside.getStore() ?? this.pool;
  }

  private text(sql: string): string {
    let t = this.converted.get(sql);
    if (t === undefined) {
      t = numberPlaceholders(sql);
      if (this.converted.size >= 1000) this.converted.clear();
      this.converted.set(sql, t);
    }
    return t;
  }
}

/** `?` → `$1, $2, …`, leaving quoted literals and identifiers alone. */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
