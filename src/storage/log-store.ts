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

export interface LogStreamInfo {
  groupName: string;
  name: string;
  creationTime: number;
  firstEventTime: number | null;
  lastEventTime: number | null;
  lastIngestionTime: number | null;
  storedBytes: number;
}

export class LogStore {
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
        bytes += Buffer.byteLength(e.message) + 26;
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
        `SELECT group_name, name, creation_time, first_event_time, last_event_time, last_ingestion_time, stored_bytes
         FROM log_streams WHERE group_name = ? AND substr(name, 1, ?) = ? ORDER BY name`,
      )
      .all(group, prefix.length, prefix) as {
      group_name: string;
      name: string;
      creation_time: number;
      first_event_time: number | null;
      last_event_time: number | null;
      last_ingestion_time: number | null;
      stored_bytes: number;
    }[];
    return rows.map((r) => ({
      groupName: r.group_name,
      name: r.name,
      creationTime: r.creation_time,
      firstEventTime: r.first_event_time,
      lastEventTime: r.last_event_time,
      lastIngestionTime: r.last_ingestion_time,
      storedBytes: r.stored_bytes,
    }));
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
