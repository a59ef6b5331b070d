/**
 * @module storage/log-store — container output stored as CloudWatch Logs groups, streams and
 * events (SQLite, indexed by stream and time). Writers are controllers; readers are the Logs API,
 * the live tail and the console.
 */
import { EventEmitter } from 'node:events';
import { greatest, least, type SqlDb, type SqlParam } from './sql/sql-db.js';

/** Rows per multi-row INSERT on PostgreSQL (5 parameters each, far below its 65535). */
const PG_INSERT_ROWS = 1000;

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
  ensureGroup(group: string, now?: number): Promise<void>;
  ensureStream(group: string, stream: string, now?: number): Promise<number>;
  append(group: string, stream: string, events: readonly LogEvent[]): Promise<void>;
  streams(group: string, prefix?: string): Promise<LogStreamInfo[]>;
  groups(prefix?: string): Promise<LogGroupInfo[]>;
  groupExists(group: string): Promise<boolean>;
  streamId(group: string, stream: string): Promise<number | undefined>;
  deleteGroup(group: string): Promise<boolean>;
  deleteStream(group: string, stream: string): Promise<boolean>;
  setRetention(group: string, days: number | null): Promise<void>;
  page(
    streamId: number,
    q: { startTime?: number; endTime?: number; after?: Cursor; before?: Cursor; limit: number; newestFirst: boolean },
  ): Promise<StoredLogEvent[]>;
  scan(streamIds: number[], q: { startTime?: number; endTime?: number; after?: Cursor; limit: number }): Promise<(StoredLogEvent & { streamId: number })[]>;
  readStream(group: string, stream: string, opts?: { afterId?: number; limit?: number }): Promise<StoredLogEvent[]>;
  tail(group: string, stream: string, n: number): Promise<string[]>;
}

export class SqlLogStore implements LogStore {
  /** Emits `append` with `{ group, stream, events: StoredLogEvent[] }` for live tails. */
  readonly events = new EventEmitter();

  constructor(private readonly sql: SqlDb) {
    this.events.setMaxListeners(0);
  }

  async ensureGroup(group: string, now = Date.now()): Promise<void> {
    await this.sql.run('INSERT INTO log_groups (name, creation_time) VALUES (?, ?) ON CONFLICT DO NOTHING', [group, now]);
  }

  async ensureStream(group: string, stream: string, now = Date.now()): Promise<number> {
    await this.ensureGroup(group, now);
    await this.sql.run('INSERT INTO log_streams (group_name, name, creation_time) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [group, stream, now]);
    return (await this.sql.get<{ id: number }>('SELECT id FROM log_streams WHERE group_name = ? AND name = ?', [group, stream]))!.id;
  }

  /** Appends events in one transaction (callers batch lines to keep ingest fast). */
  async append(group: string, stream: string, events: readonly LogEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = Date.now();
    const stored: StoredLogEvent[] = [];
    await this.sql.transaction(async () => {
      const streamId = await this.ensureStream(group, stream, now);
      let bytes = 0;
      let first = Number.POSITIVE_INFINITY;
      let last = 0;
      const ids = await this.insertEvents(streamId, now, events);
      events.forEach((e, i) => {
        stored.push({ id: ids[i]!, timestamp: e.timestamp, message: e.message, ingestionTime: now, streamName: stream });
        bytes += Buffer.byteLength(e.message) + 26; // CloudWatch's per-event overhead
        first = Math.min(first, e.timestamp);
        last = Math.max(last, e.timestamp);
      });
      await this.sql.run(
        `UPDATE log_streams SET
           first_event_time = ${least(this.sql, 'coalesce(first_event_time, ?)', '?')},
           last_event_time = ${greatest(this.sql, 'coalesce(last_event_time, ?)', '?')},
           last_ingestion_time = ?, stored_bytes = stored_bytes + ?
         WHERE id = ?`,
        [first, first, last, last, now, bytes, streamId],
      );
    });
    this.events.emit('append', { group, stream, events: stored });
  }

  /**
   * Inserts the events in order; their ids. SQLite is in-process, so one statement per event costs
   * nothing. PostgreSQL would pay a round trip per event (0.46 ms each on loopback), so it takes
   * the ids from the sequence in one statement and inserts up to 1000 rows per statement; the ids
   * are assigned before the insert because a multi-row RETURNING promises no order.
   */
  private async insertEvents(streamId: number, now: number, events: readonly LogEvent[]): Promise<number[]> {
    if (this.sql.dialect !== 'postgres') {
      const ids: number[] = [];
      for (const e of events) {
        const row = await this.sql.get<{ id: number }>('INSERT INTO log_events (stream_id, timestamp, ingestion_time, message) VALUES (?, ?, ?, ?) RETURNING id', [
          streamId,
          e.timestamp,
          now,
          e.message,
        ]);
        ids.push(row!.id);
      }
      return ids;
    }
    const ids = (
      await this.sql.all<{ id: number }>("SELECT nextval(pg_get_serial_sequence('log_events', 'id')) AS id FROM generate_series(1, ?)", [events.length])
    )
      .map((r) => r.id)
      .sort((a, b) => a - b);
    for (let at = 0; at < events.length; at += PG_INSERT_ROWS) {
      const chunk = events.slice(at, at + PG_INSERT_ROWS);
      const params: SqlParam[] = [];
      chunk.forEach((e, i) => params.push(ids[at + i]!, streamId, e.timestamp, now, e.message));
      await this.sql.run(`INSERT INTO log_events (id, stream_id, timestamp, ingestion_time, message) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, params);
    }
    return ids;
  }

  async streams(group: string, prefix = ''): Promise<LogStreamInfo[]> {
    const rows = await this.sql.all<{
      id: number;
      group_name: string;
      name: string;
      creation_time: number;
      first_event_time: number | null;
      last_event_time: number | null;
      last_ingestion_time: number | null;
      stored_bytes: number;
    }>(
      `SELECT id, group_name, name, creation_time, first_event_time, last_event_time, last_ingestion_time, stored_bytes
       FROM log_streams WHERE group_name = ? AND substr(name, 1, ?) = ? ORDER BY name`,
      [group, prefix.length, prefix],
    );
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

  async groups(prefix = ''): Promise<LogGroupInfo[]> {
    const rows = await this.sql.all<{ name: string; creation_time: number; retention_days: number | null; stored_bytes: number }>(
      `SELECT g.name, g.creation_time, g.retention_days, coalesce(sum(s.stored_bytes), 0) AS stored_bytes
       FROM log_groups g LEFT JOIN log_streams s ON s.group_name = g.name
       WHERE substr(g.name, 1, ?) = ? GROUP BY g.name, g.creation_time, g.retention_days ORDER BY g.name`,
      [prefix.length, prefix],
    );
    return rows.map((r) => ({ name: r.name, creationTime: r.creation_time, retentionDays: r.retention_days, storedBytes: r.stored_bytes }));
  }

  async groupExists(group: string): Promise<boolean> {
    return (await this.sql.get('SELECT 1 AS one FROM log_groups WHERE name = ?', [group])) !== undefined;
  }

  async streamId(group: string, stream: string): Promise<number | undefined> {
    const row = await this.sql.get<{ id: number }>('SELECT id FROM log_streams WHERE group_name = ? AND name = ?', [group, stream]);
    return row?.id;
  }

  async deleteGroup(group: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM log_groups WHERE name = ?', [group])).changes > 0;
  }

  async deleteStream(group: string, stream: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM log_streams WHERE group_name = ? AND name = ?', [group, stream])).changes > 0;
  }

  async setRetention(group: string, days: number | null): Promise<void> {
    await this.sql.run('UPDATE log_groups SET retention_days = ? WHERE name = ?', [days, group]);
  }

  /**
   * One page of a stream's events in (timestamp, id) order. `after`/`before` are exclusive cursor
   * positions; with `newestFirst` the page is the newest events before the cursor, returned in
   * ascending order as GetLogEvents does.
   */
  async page(
    streamId: number,
    q: { startTime?: number; endTime?: number; after?: Cursor; before?: Cursor; limit: number; newestFirst: boolean },
  ): Promise<StoredLogEvent[]> {
    const { where, params } = eventFilter('stream_id = ?', [streamId], q);
    const dir = q.newestFirst ? 'DESC' : 'ASC';
    const rows = await this.sql.all<EventRow>(
      `SELECT id, stream_id, timestamp, ingestion_time, message FROM log_events WHERE ${where} ORDER BY timestamp ${dir}, id ${dir} LIMIT ?`,
      [...params, q.limit],
    );
    if (q.newestFirst) rows.reverse();
    return rows.map(toEvent);
  }

  /** Events of several streams of a group merged in (timestamp, id) order, after a cursor. */
  async scan(
    streamIds: number[],
    q: { startTime?: number; endTime?: number; after?: Cursor; limit: number },
  ): Promise<(StoredLogEvent & { streamId: number })[]> {
    if (streamIds.length === 0) return [];
    const { where, params } = eventFilter(`stream_id IN (${streamIds.map(() => '?').join(',')})`, streamIds, q);
    const rows = await this.sql.all<EventRow>(`SELECT id, stream_id, timestamp, ingestion_time, message FROM log_events WHERE ${where} ORDER BY timestamp, id LIMIT ?`, [
      ...params,
      q.limit,
    ]);
    return rows.map(toEvent);
  }

  /** Events of one stream in time order (oldest first), for tests, FailureReason tails and the Logs API. */
  async readStream(group: string, stream: string, opts: { afterId?: number; limit?: number } = {}): Promise<StoredLogEvent[]> {
    const rows = await this.sql.all<{ id: number; timestamp: number; ingestion_time: number; message: string }>(
      `SELECT e.id, e.timestamp, e.ingestion_time, e.message FROM log_events e
       JOIN log_streams s ON s.id = e.stream_id
       WHERE s.group_name = ? AND s.name = ? AND e.id > ?
       ORDER BY e.timestamp, e.id LIMIT ?`,
      [group, stream, opts.afterId ?? 0, opts.limit ?? 10_000],
    );
    return rows.map((r) => ({ id: r.id, timestamp: r.timestamp, ingestionTime: r.ingestion_time, message: r.message, streamName: stream }));
  }

  /** The last `n` lines of a stream, oldest first (for FailureReason messages). */
  async tail(group: string, stream: string, n: number): Promise<string[]> {
    const rows = await this.sql.all<{ message: string }>(
      `SELECT e.message FROM log_events e JOIN log_streams s ON s.id = e.stream_id
       WHERE s.group_name = ? AND s.name = ? ORDER BY e.timestamp DESC, e.id DESC LIMIT ?`,
      [group, stream, n],
    );
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
  baseParams: SqlParam[],
  q: { startTime?: number; endTime?: number; after?: Cursor; before?: Cursor },
): { where: string; params: SqlParam[] } {
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
