import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteSql } from './sqlite-sql.js';

function open(): SqliteSql {
  const sql = new SqliteSql(new Database(':memory:'));
  sql.db.exec('CREATE TABLE t (v INTEGER)');
  return sql;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SqliteSql: transactions that await', () => {
  it('runs transactions that wait for the same open one one after another (no second BEGIN)', async () => {
    const sql = open();
    let release!: () => void;
    const first = sql.transaction(async () => {
      await sql.run('INSERT INTO t VALUES (1)');
      await new Promise<void>((r) => (release = r));
    });
    await tick();
    // Several callers wait for the same transaction to end; they must not all start at once.
    const waiting = [2, 3, 4].map((v) => sql.transaction(async () => {
      await sql.run('INSERT INTO t VALUES (?)', [v]);
      await tick();
    }));
    release();
    await expect(Promise.all([first, ...waiting])).resolves.toBeDefined();
    expect((await sql.all<{ v: number }>('SELECT v FROM t ORDER BY v')).map((r) => r.v)).toEqual([1, 2, 3, 4]);
  });

  it('keeps a statement from outside out of a transaction that starts while it waits, so a rollback does not take it', async () => {
    const sql = open();
    let release!: () => void;
    const first = sql.transaction(async () => {
      await new Promise<void>((r) => (release = r));
    });
    await tick();
    const outside = sql.run('INSERT INTO t VALUES (7)');
    const failing = sql.transaction(async () => {
      await sql.run('INSERT INTO t VALUES (8)');
      await tick();
      throw new Error('boom');
    });
    release();
    await first;
    await outside;
    await expect(failing).rejects.toThrow('boom');
    expect((await sql.all<{ v: number }>('SELECT v FROM t')).map((r) => r.v)).toEqual([7]);
  });
});
