/**
 * @module storage/metadata-store — everything Slipway keeps about resources, tags, logs and IAM roles, behind
 * one interface so the backend can change: SQLite (one machine, the default) or PostgreSQL
 * (`SLIPWAY_DATABASE_URL`, several replicas). Object bytes are not here: they live in a BlobStore.
 */
import type { LogStore } from './log-store.js';
import { SqlLogStore } from './log-store.js';
import type { ResourceStore } from './resource-store.js';
import { SqlResourceStore } from './resource-store.js';
import type { TagStore } from './tag-store.js';
import { SqlIamStore, type IamStore } from './iam-store.js';
import { SqlTagStore } from './tag-store.js';
import type { SqlDb } from './sql/sql-db.js';
import { SqliteSql } from './sql/sqlite-sql.js';
import { openDatabase } from './sqlite/database.js';

export interface MetadataStore {
  readonly resources: ResourceStore;
  readonly tags: TagStore;
  readonly logs: LogStore;
  readonly iam: IamStore;
  /** Runs `fn` as one transaction across the stores (all of its writes or none). */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The stores over one SqlDb. `sql` is exposed for the other parts kept in the same database
 * (object metadata, metric buckets, log retention, ECR, autoscaling), so that everything shares
 * one connection (pool) and one transaction scope.
 */
export class SqlMetadataStore implements MetadataStore {
  readonly resources: SqlResourceStore;
  readonly tags: SqlTagStore;
  readonly logs: SqlLogStore;
  readonly iam: SqlIamStore;

  constructor(readonly sql: SqlDb) {
    this.resources = new SqlResourceStore(sql);
    this.tags = new SqlTagStore(sql);
    this.logs = new SqlLogStore(sql);
    this.iam = new SqlIamStore(sql);
  }

  /** The embedded backend on one SQLite file (or `:memory:`), migrations applied. */
  static openSqlite(file: string): SqlMetadataStore {
    return new SqlMetadataStore(new SqliteSql(openDatabase(file)));
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.sql.transaction(fn);
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
