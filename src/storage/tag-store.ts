/** @module storage/tag-store — tags of any SageMaker resource, keyed by ARN. */
import type { SqlDb } from './sql/sql-db.js';
import type { Tag } from '../resources/tag.js';

/** Tags of any resource ARN; `put` adds or overwrites, as AddTags does. */
export interface TagStore {
  put(arn: string, tags: readonly Tag[]): Promise<void>;
  list(arn: string): Promise<Tag[]>;
  delete(arn: string, keys: readonly string[]): Promise<void>;
  count(arn: string): Promise<number>;
}

export class SqlTagStore implements TagStore {
  constructor(private readonly sql: SqlDb) {}

  /** Adds or overwrites, as AddTags does. */
  async put(arn: string, tags: readonly Tag[]): Promise<void> {
    await this.sql.transaction(async () => {
      for (const t of tags) {
        await this.sql.run('INSERT INTO tags (arn, key, value) VALUES (?, ?, ?) ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value', [arn, t.Key, t.Value ?? '']);
      }
    });
  }

  async list(arn: string): Promise<Tag[]> {
    const rows = await this.sql.all<{ key: string; value: string }>('SELECT key, value FROM tags WHERE arn = ? ORDER BY key', [arn]);
    return rows.map((r) => ({ Key: r.key, Value: r.value }));
  }

  async delete(arn: string, keys: readonly string[]): Promise<void> {
    await this.sql.transaction(async () => {
      for (const k of keys) await this.sql.run('DELETE FROM tags WHERE arn = ? AND key = ?', [arn, k]);
    });
  }

  async count(arn: string): Promise<number> {
    return (await this.sql.get<{ n: number }>('SELECT count(*) AS n FROM tags WHERE arn = ?', [arn]))!.n;
  }
}
