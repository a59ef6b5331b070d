/**
 * @module storage/resource-store — SageMaker resources (jobs, models, configs, endpoints) kept as
 * JSON documents with the columns List* filters and sorts on. One table serves every kind so the
 * List semantics (filters, sort, NextToken) are written once.
 */
import type { ResourceKind, ResourceRecord } from '../resources/kinds.js';
import type { Db } from './sqlite/database.js';

export interface ListQuery {
  nameContains?: string;
  statusEquals?: string;
  /** Epoch milliseconds. */
  creationTimeAfter?: number;
  creationTimeBefore?: number;
  lastModifiedTimeAfter?: number;
  lastModifiedTimeBefore?: number;
  sortBy?: 'Name' | 'CreationTime' | 'Status' | 'LastModifiedTime';
  sortOrder?: 'Ascending' | 'Descending';
  maxResults?: number;
  nextToken?: string;
  /** Extra filter on the document (e.g. EndpointConfigName for ListEndpoints). */
  where?: (doc: Record<string, unknown>) => boolean;
}

export interface ListPage<K extends ResourceKind> {
  items: ResourceRecord<K>[];
  nextToken?: string;
}

export class ResourceExistsError extends Error {
  constructor(readonly kind: ResourceKind, readonly resourceName: string) {
    super(`${kind} ${resourceName} already exists`);
  }
}

export class InvalidNextTokenError extends Error {}

interface Row {
  kind: ResourceKind;
  name: string;
  arn: string;
  status: string;
  creation_time: number;
  last_modified_time: number;
  doc: string;
  internal: string;
}

const SORT_COLUMNS: Record<NonNullable<ListQuery['sortBy']>, string> = {
  Name: 'name_lower',
  CreationTime: 'creation_time',
  Status: 'status',
  LastModifiedTime: 'last_modified_time',
};

/**
 * SageMaker resources as documents. Names are unique per kind regardless of case, as the real
 * service lower-cases ARNs. `create` throws ResourceExistsError for a taken name; `list` throws
 * InvalidNextTokenError for a token it did not issue; `update` is a read-modify-write in one
 * transaction and returns undefined when the resource does not exist.
 */
export interface ResourceStore {
  create<K extends ResourceKind>(rec: ResourceRecord<K>): void;
  get<K extends ResourceKind>(kind: K, name: string): ResourceRecord<K> | undefined;
  getByArn(arn: string): ResourceRecord | undefined;
  update<K extends ResourceKind>(
    kind: K,
    name: string,
    mutate: (rec: ResourceRecord<K>) => void,
    opts?: { touch?: boolean; now?: number },
  ): ResourceRecord<K> | undefined;
  delete(kind: ResourceKind, name: string): boolean;
  listByStatus<K extends ResourceKind>(kind: K, statuses: readonly string[]): ResourceRecord<K>[];
  list<K extends ResourceKind>(kind: K, q?: ListQuery): ListPage<K>;
}

export class SqliteResourceStore implements ResourceStore {
  constructor(private readonly db: Db) {}

  create<K extends ResourceKind>(rec: ResourceRecord<K>): void {
    try {
      this.db
        .prepare(
          `INSERT INTO resources (kind, name, name_lower, arn, status, creation_time, last_modified_time, doc, internal)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          rec.kind,
          rec.name,
          rec.name.toLowerCase(),
          rec.arn,
          rec.status,
          rec.creationTime,
          rec.lastModifiedTime,
          JSON.stringify(rec.doc),
          JSON.stringify(rec.internal),
        );
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new ResourceExistsError(rec.kind, rec.name);
      throw err;
    }
  }

  get<K extends ResourceKind>(kind: K, name: string): ResourceRecord<K> | undefined {
    const row = this.db
      .prepare('SELECT * FROM resources WHERE kind = ? AND name_lower = ?')
      .get(kind, name.toLowerCase()) as Row | undefined;
    return row ? toRecord<K>(row) : undefined;
  }

  getByArn(arn: string): ResourceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM resources WHERE arn = ?').get(arn) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  /**
   * Read-modify-write in one transaction. `mutate` edits the record in place (doc, internal,
   * status); lastModifiedTime is bumped unless `touch` is false. Returns the stored record, or
   * undefined when it does not exist.
   */
  update<K extends ResourceKind>(
    kind: K,
    name: string,
    mutate: (rec: ResourceRecord<K>) => void,
    opts: { touch?: boolean; now?: number } = {},
  ): ResourceRecord<K> | undefined {
    return this.db.transaction(() => {
      const rec = this.get(kind, name);
      if (!rec) return undefined;
      mutate(rec);
      if (opts.touch !== false) rec.lastModifiedTime = opts.now ?? Date.now();
      this.db
        .prepare(
          `UPDATE resources SET status = ?, last_modified_time = ?, doc = ?, internal = ? WHERE kind = ? AND name_lower = ?`,
        )
        .run(rec.status, rec.lastModifiedTime, JSON.stringify(rec.doc), JSON.stringify(rec.internal), kind, name.toLowerCase());
      return rec;
    })();
  }

  delete(kind: ResourceKind, name: string): boolean {
    return this.db.transaction(() => {
      const rec = this.get(kind, name);
      if (!rec) return false;
      this.db.prepare('DELETE FROM resources WHERE kind = ? AND name_lower = ?').run(kind, name.toLowerCase());
      this.db.prepare('DELETE FROM tags WHERE arn = ?').run(rec.arn);
      return true;
    })();
  }

  /** Every record of a kind whose status is one of `statuses` (controllers resume these on start). */
  listByStatus<K extends ResourceKind>(kind: K, statuses: readonly string[]): ResourceRecord<K>[] {
    if (statuses.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT * FROM resources WHERE kind = ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY creation_time`)
      .all(kind, ...statuses) as Row[];
    return rows.map((r) => toRecord<K>(r));
  }

  list<K extends ResourceKind>(kind: K, q: ListQuery = {}): ListPage<K> {
    const clauses = ['kind = ?'];
    const params: unknown[] = [kind];
    if (q.nameContains) {
      clauses.push("instr(name_lower, ?) > 0");
      params.push(q.nameContains.toLowerCase());
    }
    if (q.statusEquals) {
      clauses.push('status = ?');
      params.push(q.statusEquals);
    }
    if (q.creationTimeAfter !== undefined) {
      clauses.push('creation_time > ?');
      params.push(q.creationTimeAfter);
    }
    if (q.creationTimeBefore !== undefined) {
      clauses.push('creation_time < ?');
      params.push(q.creationTimeBefore);
    }
    if (q.lastModifiedTimeAfter !== undefined) {
      clauses.push('last_modified_time > ?');
      params.push(q.lastModifiedTimeAfter);
    }
    if (q.lastModifiedTimeBefore !== undefined) {
      clauses.push('last_modified_time < ?');
      params.push(q.lastModifiedTimeBefore);
    }
    const column = SORT_COLUMNS[q.sortBy ?? 'CreationTime'];
    const dir = q.sortOrder === 'Ascending' ? 'ASC' : 'DESC';
    const rows = this.db
      .prepare(`SELECT * FROM resources WHERE ${clauses.join(' AND ')} ORDER BY ${column} ${dir}, name_lower ${dir}`)
      .all(...params) as Row[];
    let records = rows.map((r) => toRecord<K>(r));
    if (q.where) records = records.filter((r) => q.where!(r.doc as Record<string, unknown>));
    const offset = q.nextToken ? decodeToken(q.nextToken) : 0;
    const max = q.maxResults ?? 100;
    const items = records.slice(offset, offset + max);
    const next = offset + max < records.length ? encodeToken(offset + max) : undefined;
    return next ? { items, nextToken: next } : { items };
  }
}

// Offset tokens are simple and stable enough for local use; they are opaque to clients.
function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // fall through
  }
  throw new InvalidNextTokenError('Invalid pagination token');
}

/** The one place a stored row becomes a typed record: the kind column says which document it holds. */
function toRecord<K extends ResourceKind>(row: Row): ResourceRecord<K> {
  return {
    kind: row.kind as K,
    name: row.name,
    arn: row.arn,
    status: row.status,
    creationTime: row.creation_time,
    lastModifiedTime: row.last_modified_time,
    doc: JSON.parse(row.doc) as ResourceRecord<K>['doc'],
    internal: JSON.parse(row.internal) as ResourceRecord<K>['internal'],
  };
}
