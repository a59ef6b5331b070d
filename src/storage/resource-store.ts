/**
 * @module storage/resource-store — SageMaker resources (jobs, models, configs, endpoints) kept as
 * JSON documents with the columns List* filters and sorts on. One table serves every kind so the
 * List semantics (filters, sort, NextToken) are written once.
 */
import type { ResourceKind, ResourceRecord } from '../resources/kinds.js';
import { containsClause, containsParam, forUpdate, isUniqueViolation, type SqlDb, type SqlParam } from './sql/sql-db.js';
import { currentFence, FencedError, type Fence } from './fence.js';
import { LeaseStore } from './lease-store.js';

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
  create<K extends ResourceKind>(rec: ResourceRecord<K>): Promise<void>;
  get<K extends ResourceKind>(kind: K, name: string): Promise<ResourceRecord<K> | undefined>;
  getByArn(arn: string): Promise<ResourceRecord | undefined>;
  update<K extends ResourceKind>(
    kind: K,
    name: string,
    mutate: (rec: ResourceRecord<K>) => void,
    opts?: UpdateOptions,
  ): Promise<ResourceRecord<K> | undefined>;
  delete(kind: ResourceKind, name: string, opts?: { fence?: Fence | null }): Promise<boolean>;
  listByStatus<K extends ResourceKind>(kind: K, statuses: readonly string[]): Promise<ResourceRecord<K>[]>;
  list<K extends ResourceKind>(kind: K, q?: ListQuery): Promise<ListPage<K>>;
}

export interface UpdateOptions {
  touch?: boolean;
  now?: number;
  /**
   * The lease the write depends on (storage/fence.ts): refused with FencedError unless still held
   * with that token. Defaults to the fence of the reconcile the call runs in; null writes unfenced.
   */
  fence?: Fence | null;
}

export class SqlResourceStore implements ResourceStore {
  private readonly leases: LeaseStore;

  constructor(private readonly sql: SqlDb) {
    this.leases = new LeaseStore(sql);
  }

  /** Inside the write's transaction: refuses it when its fence's lease has moved on. */
  private async checkFence(fence: Fence | null | undefined): Promise<void> {
    const f = fence === undefined ? currentFence() : fence;
    if (f && !(await this.leases.stillHeld(f.key, f.holder, f.token))) throw new FencedError(f);
  }

  async create<K extends ResourceKind>(rec: ResourceRecord<K>): Promise<void> {
    try {
      await this.sql.run(
          `INSERT INTO resources (kind, name, name_lower, arn, status, creation_time, last_modified_time, doc, internal)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          rec.kind,
          rec.name,
          rec.name.toLowerCase(),
          rec.arn,
          rec.status,
          rec.creationTime,
          rec.lastModifiedTime,
          JSON.stringify(rec.doc),
          JSON.stringify(rec.internal),
        ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ResourceExistsError(rec.kind, rec.name);
      throw err;
    }
  }

  async get<K extends ResourceKind>(kind: K, name: string): Promise<ResourceRecord<K> | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM resources WHERE kind = ? AND name_lower = ?', [kind, name.toLowerCase()]);
    return row ? toRecord<K>(row) : undefined;
  }

  async getByArn(arn: string): Promise<ResourceRecord | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM resources WHERE arn = ?', [arn]);
    return row ? toRecord(row) : undefined;
  }

  /**
   * Read-modify-write in one transaction. `mutate` edits the record in place (doc, internal,
   * status); lastModifiedTime is bumped unless `touch` is false. Returns the stored record, or
   * undefined when it does not exist.
   */
  async update<K extends ResourceKind>(
    kind: K,
    name: string,
    mutate: (rec: ResourceRecord<K>) => void,
    opts: UpdateOptions = {},
  ): Promise<ResourceRecord<K> | undefined> {
    return this.sql.transaction(async () => {
      await this.checkFence(opts.fence);
      // The row lock keeps two replicas' read-modify-writes of one resource in order.
      const row = await this.sql.get<Row>(`SELECT * FROM resources WHERE kind = ? AND name_lower = ?${forUpdate(this.sql)}`, [kind, name.toLowerCase()]);
      if (!row) return undefined;
      const rec = toRecord<K>(row);
      mutate(rec);
      if (opts.touch !== false) rec.lastModifiedTime = opts.now ?? Date.now();
      await this.sql.run(`UPDATE resources SET status = ?, last_modified_time = ?, doc = ?, internal = ? WHERE kind = ? AND name_lower = ?`, [
        rec.status,
        rec.lastModifiedTime,
        JSON.stringify(rec.doc),
        JSON.stringify(rec.internal),
        kind,
        name.toLowerCase(),
      ]);
      return rec;
    });
  }

  async delete(kind: ResourceKind, name: string, opts: { fence?: Fence | null } = {}): Promise<boolean> {
    return this.sql.transaction(async () => {
      await this.checkFence(opts.fence);
      const rec = await this.get(kind, name);
      if (!rec) return false;
      await this.sql.run('DELETE FROM resources WHERE kind = ? AND name_lower = ?', [kind, name.toLowerCase()]);
      await this.sql.run('DELETE FROM tags WHERE arn = ?', [rec.arn]);
      return true;
    });
  }

  /** Every record of a kind whose status is one of `statuses` (controllers resume these on start). */
  async listByStatus<K extends ResourceKind>(kind: K, statuses: readonly string[]): Promise<ResourceRecord<K>[]> {
    if (statuses.length === 0) return [];
    const rows = await this.sql.all<Row>(`SELECT * FROM resources WHERE kind = ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY creation_time`, [
      kind,
      ...statuses,
    ]);
    return rows.map((r) => toRecord<K>(r));
  }

  async list<K extends ResourceKind>(kind: K, q: ListQuery = {}): Promise<ListPage<K>> {
    const clauses = ['kind = ?'];
    const params: SqlParam[] = [kind];
    if (q.nameContains) {
      clauses.push(containsClause('name_lower'));
      params.push(containsParam(q.nameContains.toLowerCase()));
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
    const rows = await this.sql.all<Row>(`SELECT * FROM resources WHERE ${clauses.join(' AND ')} ORDER BY ${column} ${dir}, name_lower ${dir}`, params);
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
