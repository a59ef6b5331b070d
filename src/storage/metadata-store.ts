/**
 * @module storage/metadata-store — everything Slipway keeps about resources, tags, logs and IAM roles, behind
 * one interface so the backend can change (SQLite now; PostgreSQL is planned in the architecture).
 * Object bytes are not here: they live in the ObjectStore's blob directory.
 */
import type { LogStore } from './log-store.js';
import { SqliteLogStore } from './log-store.js';
import type { ResourceStore } from './resource-store.js';
import { SqliteResourceStore } from './resource-store.js';
import { openDatabase, type Db } from './sqlite/database.js';
import type { TagStore } from './tag-store.js';
import { SqliteIamStore, type IamStore } from './iam-store.js';
import { SqliteTagStore } from './tag-store.js';

export interface MetadataStore {
  readonly resources: ResourceStore;
  readonly tags: TagStore;
  readonly logs: LogStore;
  readonly iam: IamStore;
  /** Runs `fn` as one transaction across the stores (all of its writes or none). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/**
 * The embedded backend: one SQLite file in WAL mode with migrations applied on open. `db` is
 * exposed for the other SQLite-backed parts of the same file (object metadata, metric buckets,
 * log retention), so that everything shares one connection and one transaction scope.
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly db: Db;
  readonly resources: SqliteResourceStore;
  readonly tags: SqliteTagStore;
  readonly logs: SqliteLogStore;
  readonly iam: SqliteIamStore;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.resources = new SqliteResourceStore(this.db);
    this.tags = new SqliteTagStore(this.db);
    this.logs = new SqliteLogStore(this.db);
    this.iam = new SqliteIamStore(this.db);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
