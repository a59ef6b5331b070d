/**
 * @module storage/log-retention — keeps the log store bounded: per-group retention by age
 * (PutRetentionPolicy) and a total size cap, oldest events first. Runs in the background; each
 * pass is one transaction per step, so a crash mid-pass leaves a consistent store.
 */
import type { Db } from './sqlite/database.js';

/** Bytes a stored event counts for (message + the 26-byte overhead CloudWatch bills). */
const EVENT_OVERHEAD = 26;

export class LogRetention {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly opts: { maxBytes: number; intervalMs?: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.enforce(), this.opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass: age limits, then the size cap. Returns how many events were removed. */
  enforce(now = Date.now()): number {
    return this.enforceAge(now) + this.enforceSize();
  }

  private enforceAge(now: number): number {
    let removed = 0;
    const groups = this.db.prepare('SELECT name, retention_days FROM log_groups WHERE retention_days IS NOT NULL').all() as {
      name: string;
      retention_days: number;
    }[];
    for (const g of groups) {
      const cutoff = now - g.retention_days * 86_400_000;
      removed += this.db.transaction(() => {
        const streams = this.db.prepare('SELECT id FROM log_streams WHERE group_name = ?').all(g.name) as { id: number }[];
        let n = 0;
        for (const s of streams) {
          n += this.db.prepare('DELETE FROM log_events WHERE stream_id = ? AND timestamp < ?').run(s.id, cutoff).changes;
          this.recount(s.id);
        }
        return n;
      })();
    }
    return removed;
  }

  private enforceSize(): number {
    let removed = 0;
    for (;;) {
      const total = (this.db.prepare('SELECT coalesce(sum(stored_bytes), 0) AS b FROM log_streams').get() as { b: number }).b;
      if (total <= this.opts.maxBytes) return removed;
      const excess = total - this.opts.maxBytes;
      removed += this.db.transaction(() => {
        // Oldest first by timestamp across all streams; delete just past the excess, in bounded batches.
        const rows = this.db
          .prepare('SELECT id, stream_id, length(CAST(message AS BLOB)) AS len FROM log_events ORDER BY timestamp, id LIMIT 5000')
          .all() as { id: number; stream_id: number; len: number }[];
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
        const del = this.db.prepare('DELETE FROM log_events WHERE id = ?');
        for (const id of ids) del.run(id);
        for (const s of touched) this.recount(s);
        return ids.length;
      })();
    }
  }

  private recount(streamId: number): void {
    this.db
      .prepare(
        `UPDATE log_streams SET
           stored_bytes = (SELECT coalesce(sum(length(CAST(message AS BLOB)) + ${EVENT_OVERHEAD}), 0) FROM log_events WHERE stream_id = @id),
           first_event_time = (SELECT min(timestamp) FROM log_events WHERE stream_id = @id)
         WHERE id = @id`,
      )
      .run({ id: streamId });
  }
}
