/**
 * @module storage/log-retention — keeps the log store bounded: per-group retention by age
 * (PutRetentionPolicy) and a total size cap, oldest events first. Runs in the background; each
 * pass is one transaction per step, so a crash mid-pass leaves a consistent store.
 */
import type { SqlDb } from './sql/sql-db.js';
import { logger } from '../platform/logger.js';

/** Bytes a stored event counts for (message + the 26-byte overhead CloudWatch bills). */
const EVENT_OVERHEAD = 26;

export class LogRetention {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly sql: SqlDb,
    private readonly opts: { maxBytes: number; intervalMs?: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.enforce().catch((err: unknown) => logger.warn({ err }, 'log retention pass failed'));
    }, this.opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass: age limits, then the size cap. Returns how many events were removed. */
  async enforce(now = Date.now()): Promise<number> {
    return (await this.enforceAge(now)) + (await this.enforceSize());
  }

  private async enforceAge(now: number): Promise<number> {
    let removed = 0;
    const groups = (await this.sql.all('SELECT name, retention_days FROM log_groups WHERE retention_days IS NOT NULL')) as {
      name: string;
      retention_days: number;
    }[];
    for (const g of groups) {
      const cutoff = now - g.retention_days * 86_400_000;
      removed += await this.sql.transaction(async () => {
        const streams = (await this.sql.all('SELECT id FROM log_streams WHERE group_name = ?', [g.name])) as { id: number }[];
        let n = 0;
        for (const s of streams) {
          n += (await this.sql.run('DELETE FROM log_events WHERE stream_id = ? AND timestamp < ?', [s.id, cutoff])).changes;
          await this.recount(s.id);
        }
        return n;
      });
    }
    return removed;
  }

  private async enforceSize(): Promise<number> {
    let removed = 0;
    for (;;) {
      const total = ((await this.sql.get('SELECT coalesce(sum(stored_bytes), 0) AS b FROM log_streams')) as { b: number }).b;
      if (total <= this.opts.maxBytes) return removed;
      const excess = total - this.opts.maxBytes;
      removed += await this.sql.transaction(async () => {
        // Oldest first by timestamp across all streams; delete just past the excess, in bounded batches.
        const rows = (await this.sql.all('SELECT id, stream_id, octet_length(message) AS len FROM log_events ORDER BY timestamp, id LIMIT 5000')) as { id: number; stream_id: number; len: number }[];
        if (rows.length === 0) return 0;
        let freed = 0;
        const ids: number[] = [];
        const touched = new Set<number>();
        for (const r of rows) {
          ids.push(r.id);
          touched.add(r.stream_id);
          freed += r.len + EVENT_OVERHEAD;
          if (freed >= excess) break;
        }
        for (const id of ids) await this.sql.run('DELETE FROM log_events WHERE id = ?', [id]);
        for (const s of touched) await this.recount(s);
        return ids.length;
      });
    }
  }

  private async recount(streamId: number): Promise<void> {
    await this.sql.run(`UPDATE log_streams SET
           stored_bytes = (SELECT coalesce(sum(octet_length(message) + ${EVENT_OVERHEAD}), 0) FROM log_events WHERE stream_id = ?),
           first_event_time = (SELECT min(timestamp) FROM log_events WHERE stream_id = ?)
         WHERE id = ?`, [streamId, streamId, streamId]);
  }
}
