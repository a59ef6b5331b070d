/**
 * @module storage/lease-store — which replica reconciles a work-queue key (docs/cluster.md
 * "Replicas: leases and fencing"). A lease is one row: holder, a fencing token bumped on every
 * change of holder, and an expiry taken from the database's clock (replicas' clocks may differ).
 * Every operation is one statement, so two replicas racing for a key cannot both win. Lease keys are
 * work-queue keys in lower case: resource names are case-insensitive.
 */
import type { SqlDb } from './sql/sql-db.js';

/** A lease a replica holds: the key and the token its writes are fenced with. */
export interface HeldLease {
  key: string;
  token: number;
  /** Wake-ups other replicas asked for so far (a counter: more than last seen means reconcile now). */
  wake: number;
}

/** Resource statuses after which no reconcile is needed (jobs, executions, a failed endpoint). */
export const TERMINAL_STATUSES: readonly string[] = ['Completed', 'Failed', 'Stopped', 'Succeeded'];

export class LeaseStore {
  constructor(private readonly sql: SqlDb) {}

  /** The database's clock in epoch milliseconds, as an SQL expression. */
  private get now(): string {
    return this.sql.dialect === 'postgres'
      ? 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)'
      : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
  }

  /**
   * Claims `key` for `holder` if it is free, expired or already the holder's (then it is renewed).
   * Returns the token, or undefined while another holder's lease runs.
   */
  async claim(key: string, holder: string, ttlMs: number): Promise<HeldLease | undefined> {
    const row = await this.sql.get<{ token: number; wake: number }>(
      `INSERT INTO leases (resource_key, holder, token, expires_at) VALUES (?, ?, 1, ${this.now} + ?)
       ON CONFLICT (resource_key) DO UPDATE SET
         token = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END,
         holder = excluded.holder,
         expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at < ${this.now}
       RETURNING token, wake`,
      [key, holder, ttlMs],
    );
    return row ? { key, token: Number(row.token), wake: Number(row.wake) } : undefined;
  }

  /** Asks the holder of `key` to reconcile it now (this replica changed it but does not hold it). */
  async wake(key: string): Promise<void> {
    await this.sql.run('UPDATE leases SET wake = wake + 1 WHERE resource_key = ?', [key]);
  }

  /** Extends every lease `holder` still holds; returns them (a lease taken over is not among them). */
  async renewAll(holder: string, ttlMs: number): Promise<HeldLease[]> {
    const rows = await this.sql.all<{ resource_key: string; token: number; wake: number }>(
      `UPDATE leases SET expires_at = ${this.now} + ? WHERE holder = ? RETURNING resource_key, token, wake`,
      [ttlMs, holder],
    );
    return rows.map((r) => ({ key: r.resource_key, token: Number(r.token), wake: Number(r.wake) }));
  }

  /** Gives up one lease (another replica may claim it at once). */
  async release(key: string, holder: string): Promise<void> {
    await this.sql.run(`UPDATE leases SET holder = '', expires_at = 0 WHERE resource_key = ? AND holder = ?`, [key, holder]);
  }

  /** Gives up every lease of `holder` (clean shutdown). */
  async releaseAll(holder: string): Promise<void> {
    await this.sql.run(`UPDATE leases SET holder = '', expires_at = 0 WHERE holder = ?`, [holder]);
  }

  /**
   * Keys that need a holder: resources of `kinds` not in a terminal state whose lease expired or
   * was never taken (their creator died before claiming), and expired leases of the non-resource
   * kinds `otherKinds` (e.g. the autoscaling driver).
   */
  async orphans(kinds: readonly string[], otherKinds: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    if (kinds.length > 0) {
      const rows = await this.sql.all<{ k: string }>(
        `SELECT r.kind || ':' || r.name AS k FROM resources r LEFT JOIN leases l ON l.resource_key = lower(r.kind || ':' || r.name)
         WHERE r.kind IN (${kinds.map(() => '?').join(',')}) AND r.status NOT IN (${TERMINAL_STATUSES.map(() => '?').join(',')})
           AND (l.resource_key IS NULL OR l.expires_at < ${this.now})`,
        [...kinds, ...TERMINAL_STATUSES],
      );
      for (const r of rows) out.push(r.k);
    }
    for (const kind of otherKinds) {
      const rows = await this.sql.all<{ resource_key: string }>(
        `SELECT resource_key FROM leases WHERE substr(resource_key, 1, ?) = ? AND expires_at < ${this.now}`,
        [kind.length + 1, `${kind}:`],
      );
      for (const r of rows) out.push(r.resource_key);
    }
    return out;
  }

  /** `kind:Name` as the resource spells it, for a lease key (lower-case); undefined for non-resources. */
  async resourceKey(leaseKey: string): Promise<string | undefined> {
    const i = leaseKey.indexOf(':');
    const row = await this.sql.get<{ k: string }>(`SELECT kind || ':' || name AS k FROM resources WHERE kind = ? AND name_lower = ?`, [leaseKey.slice(0, i), leaseKey.slice(i + 1)]);
    return row?.k;
  }

  /** The holder and token of `key` (tests, diagnostics). */
  async get(key: string): Promise<{ holder: string; token: number; expiresAt: number } | undefined> {
    const row = await this.sql.get<{ holder: string; token: number; expires_at: number }>('SELECT holder, token, expires_at FROM leases WHERE resource_key = ?', [key]);
    return row ? { holder: row.holder, token: Number(row.token), expiresAt: Number(row.expires_at) } : undefined;
  }

  /**
   * Inside a transaction: whether `holder` still holds `key` with `token`. On PostgreSQL the lease
   * row is share-locked until the transaction ends, so a claim by another replica waits for this
   * write to commit and cannot slip in between the check and the write.
   */
  async stillHeld(key: string, holder: string, token: number): Promise<boolean> {
    const lock = this.sql.dialect === 'postgres' ? ' FOR SHARE' : '';
    const row = await this.sql.get<{ token: number }>(`SELECT token FROM leases WHERE resource_key = ? AND holder = ? AND token = ?${lock}`, [key, holder, token]);
    return row !== undefined;
  }
}
