/**
 * @module storage/log-store — container output stored as CloudWatch Logs groups, streams and
 * events (SQLite, indexed by stream and time). Writers are controllers; readers are the Logs API,
 * the live tail and the console.
 */
import { EventEmitter } from 'node:events';
import type { Db } from './sqlite/database.js';

export interface LogEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}

export interface StoredLogEvent extends LogEvent {
  id: number;
  ingestionTime: number;
  streamName: string;
}

/** A position in a stream's (timestamp, id) order. */
export interface Cursor {
  timestamp: number;
  id: number;
}

export interface LogStreamInfo {
  id: number;
  groupName: string;
  name: string;
  creationTime: number;
  firstEventTime: number | null;
  lastEventTime: number | null;
  lastIngestionTime: number | null;
  storedBytes: number;
}

export interface LogGroupInfo {
  name: string;
  creationTime: number;
  retentionDays: number | null;
  storedBytes: number;
}

/**
 * Log groups, streams and events. `append` stores a batch in one transaction and then emits
 * `append` on `events` with `{ group, stream, events: StoredLogEvent[] }` (live tails listen);
 * pages are in (timestamp, id) order with exclusive cursors.
 */
export interface LogStore {
  readonly events: EventEmitter;
  ensureGroup(group: string, now?: number): void;
  ensureStream(group: string, stream: string, now?: number): number;
  append(group: string, stream: string, events: readonly LogEvent[]): void;
  streams(group: string, prefix?: string): LogStreamInfo[];
  groups(prefix?: string): LogGroupInfo[];
  groupExists(group: string): boolean;
  streamId(group: string, stream: string): number | undefined;
  deleteGroup(group: string): boolean;
  deleteStream(group: string, stream: string): boolean;
  setRetention(group: string, days: number | null): void;
  page(
    streamId: number,
    q: { startTime?: number; endTime?: number; after?: Cursor; before?: Cursor; limit: number; newestFirst: boolean },
  ): StoredLogEvent[];
  scan(streamIds: number[], q: { startTime?: number; endTime?: number; after?: Cursor; limit: number }): (StoredLogEvent & { streamId: number })[];
  readStream(group: string, stream: string, opts?: { afterId?: number; limit?: number }): StoredLogEvent[];
  tail(group: string, stream: string, n: number): string[];
}

export class SqliteLogStore implements LogStore {
  /** Emits `append` with `{ group, stream, events: StoredLogEvent[] }` for live tails. */
  readonly events = new EventEmitter();

  constructor(private readonly db: Db) {
    this.events.setMaxListeners(0);
  }

  ensureGroup(group: string, now = Date.now()): void {
    this.db.prepare('INSERT OR IGNORE INTO log_groups (name, creation_time) VALUES (?, ?)').run(group, now);
  }

  ensureStream(group: string, stream: string, now = Date.now()): number {
    this.ensureGroup(group, now);
    this.db.prepare('INSERT OR IGNORE INTO log_streams (group_name, name, creation_time) VALUES (?, ?, ?)').run(group, stream, now);
    return (this.db.prepare('SELECT id FROM log_streams WHERE group_name = ? AND name = ?').get(group, stream) as { id: number }).id;
  }

  /** Appends events in one transaction (callers batch lines to keep ingest fast). */
  append(group: string, stream: string, events: readonly LogEvent[]): void {
    if (events.length === 0) return;
    const now = Date.now();
    const stored: StoredLogEvent[] = [];
    this.db.transaction(() => {
      const streamId = this.ensureStream(group, stream, now);
      const insert = this.db.prepare('INSERT INTO log_events (stream_id, timestamp, ingestion_time, message) VALUES (?, ?, ?, ?)');
      let bytes = 0;
      let first = Number.POSITIVE_INFINITY;
      let last = 0;
      for (const e of events) {
        const info = insert.run(streamId, e.timestamp, now, e.message);
        stored.push({ id: Number(info.lastInsertRowid), timestamp: e.timestamp, message: e.message, ingestionTime: now, streamName: stream });
        bytes += Buffer.byteLength(e.message) + 26; // CloudWatch's per-event overhead
        first = Math.min(first, e.timestamp);
        last = Math.max(last, e.timestamp);
      }
      this.db
        .prepare(
          `UPDATE log_streams SET
             first_event_time = min(coalesce(first_event_time, ?), ?),
             last_event_time = max(coalesce(last_event_time, ?), ?),
             last_ingestion_time = ?, stored_bytes = stored_bytes + ?
           WHERE id = ?`,
        )
        .run(first, first, last, last, now, bytes, streamId);
    })();
    this.events.emit('append', { group, stream, events: stored });
  }

  streams(group: string, prefix = ''): LogStreamInfo[] {
    const rows = this.db
      .prepare(
        `SELECT id, group_name, name, creation_time, first_event_time, last_event_time, last_ingestion_time, stored_bytes
         FROM log_streams WHERE group_name = ? AND substr(name, 1, ?) = ? ORDER BY name`,
      )
      .all(group, prefix.length, prefix) as {
      id: number;
      group_name: string;
      name: string;
      creation_time: number;
      first_event_time: number | null;
      last_event_time: number | null;
      last_ingestion_time: number | null;
      stored_bytes: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      groupName: r.group_name,
      name: r.name,
      creationTime: r.creation_time,
      firstEventTime: r.first_event_time,
      lastEventTime: r.last_event_time,
      lastIngestionTime: r.last_ingestion_time,
      storedBytes: r.stored_bytes,
    }));
  }

  groups(prefix = ''): LogGroupInfo[] {
    const rows = this.db
      .prepare(
        `SELECT g.name, g.creation_time, g.retention_days, coalesce(sum(s.stored_bytes), 0) AS stored_bytes
         FROM log_groups g LEFT JOIN log_streams s ON s.group_name = g.name
         WHERE substr(g.name, 1, ?) = ? GROUP BY g.name ORDER BY g.name`,
      )
      .all(prefix.length, prefix) as { name: string; creation_time: number; retention_days: number | null; stored_bytes: number }[];
    return rows.map((r) => ({ name: r.name, creationTime: r.creation_time, retentionDays: r.retention_days, storedBytes: r.stored_bytes }));
  }

  groupExists(group: string): boolean {
    return this.db.prepare('SELECT 1 FROM log_groups WHERE name = ?').get(group) !== undefined;
  }

  streamId(group: string, stream: string): number | undefined {
    const row = this.db.prepare('SELECT id FROM log_streams WHERE group_name = ? AND name = ?').get(group, stream) as { id: number } | undefined;
    return row?.id;
  }

  deleteGroup(group: string): boolean {
    return this.db.prepare('DELETE FROM log_groups WHERE name = ?').run(group).changes > 0;
  }

  deleteStream(group: string, stream: string): boolean {
    return this.db.prepare('DELETE FROM log_streams WHERE group_name = ? AND name = ?').run(group, stream).changes > 0;
  }

  setRetention(group: string, days: number | null): void {
    this.db.prepare('UPDATE log_groups SET retention_days = ? WHERE name = ?').run(days, group);
  }

  /**
   * One page of a stream's events in (timestamp, id) order. `after`/`before` are exclusive cursor
   * positions; with `newestFirst` the page is the newest events before the cursor, returned in
   * ascending order as GetLogEvents does.
   */
  page(
    streamId: number,
    q: { startTime?: number; endTime?: number; after?: Cursor; before?: Cursor; limit: number; newestFirst: boolean },
  ): StoredLogEvent[] {
    const { where, params } = eventFilter('stream_id = ?', [streamId], q);
    const dir = q.newestFirst ? 'DESC' : 'ASC';
    const rows = this.db
      .prepare(`SELECT id, stream_id, timestamp, ingestion_time, message FROM log_events WHERE ${where} ORDER BY timestamp ${dir}, id ${dir} LIMIT ?`)
      .all(...params, q.limit) as EventRow[];
    if (q.newestFirst) rows.reverse();
    return rows.map(toEvent);
  }

  /** Events of several streams of a group merged in (timestamp, id) order, after a cursor. */
  scan(
    streamIds: number[],
    q: { startTime?: number; endTime?: number; after?: Cursor; limit: number },
  ): (StoredLogEvent & { streamId: number })[] {
    if (streamIds.length === 0) return [];
    const { where, params } = eventFilter(`stream_id IN (${streamIds.map(() => '?').join(',')})`, streamIds, q);
    const rows = this.db
      .prepare(`SELECT id, stream_id, timestamp, ingestion_time, message FROM log_events WHERE ${where} ORDER BY timestamp, id LIMIT ?`)
      .all(...params, q.limit) as EventRow[];
    return rows.map(toEvent);
  }

  /** Events of one stream in time order (oldest first), for tests, FailureReason tails and the Logs API. */
  readStream(group: string, stream: string, opts: { afterId?: number; limit?: number } = {}): StoredLogEvent[] {
    const rows = this.db
      .prepare(
        `SELECT e.id, e.timestamp, e.ingestion_time, e.message FROM log_events e
         JOIN log_streams s ON s.id = e.stream_id
         WHERE s.group_name = ? AND s.name = ? AND e.id > ?
         ORDER BY e.timestamp, e.id LIMIT ?`,
      )
      .all(group, stream, opts.afterId ?? 0, opts.limit ?? 10_000) as { id: number; timestamp: number; ingestion_time: number; message: string }[];
    return rows.map((r) => ({ id: r.id, timestamp: r.timestamp, ingestionTime: r.ingestion_time, message: r.message, streamName: stream }));
  }

  /** The last `n` lines of a stream, oldest first (for FailureReason messages). */
  tail(group: string, stream: string, n: number): string[] {
    const rows = this.db
      .prepare(
        `SELECT e.message FROM log_events e JOIN log_streams s ON s.id = e.stream_id
         WHERE s.group_name = ? AND s.name = ? ORDER BY e.timestamp DESC, e.id DESC LIMIT ?`,
      )
      .all(group, stream, n) as { message: string }[];
    return rows.map((r) => r.message).reverse();
  }
}

interface EventRow {
  id: number;
  stream_id: number;
  timestamp: number;
  ingestion_time: number;
  message: string;
}

function toEvent(r: EventRow): StoredLogEvent & { streamId: number } {
  return { id: r.id, streamId: r.stream_id, timestamp: r.timestamp, ingestionTime: r.ingestion_time, message: r.message, streamName: '' };
}

/** WHERE clause for a time range and exclusive (timestamp, id) cursors after/before. */
function eventFilter(
  base: string,
  baseParams: unknown[],
  q: { startTime?: number; endTime?: number; after?: Cursor; before?: Cursor },
): { where: string; params: unknown[] } {
  const clauses = [base];
  const params = [...baseParams];
  if (q.startTime !== undefined) {
    clauses.push('timestamp >= ?');
    params.push(q.startTime);
  }
  if (q.endTime !== undefined) {
    clauses.push('timestamp < ?');
    params.push(q.endTime);
  }
  if (q.after) {
    clauses.push('(timestamp > ? OR (timestamp = ? AND id > ?))');
    params.push(q.after.timestamp, q.after.timestamp, q.after.id);
  }
  if (q.before) {
    clauses.push('(timestamp < ? OR (timestamp = ? AND id < ?))');
    params.push(q.before.timestamp, q.before.timestamp, q.before.id);
  }
  return { where: clauses.join(' AND '), params };
}
