/** @module storage/tag-store — tags of any SageMaker resource, keyed by ARN. */
import type { Db } from './sqlite/database.js';
import type { Tag } from '../resources/tag.js';

/** Tags of any resource ARN; `put` adds or overwrites, as AddTags does. */
export interface TagStore {
  put(arn: string, tags: readonly Tag[]): void;
  list(arn: string): Tag[];
  delete(arn: string, keys: readonly string[]): void;
  count(arn: string): number;
}

export class SqliteTagStore implements TagStore {
  constructor(private readonly db: Db) {}

  /** Adds or overwrites, as AddTags does. */
  put(arn: string, tags: readonly Tag[]): void {
    const stmt = this.db.prepare('INSERT INTO tags (arn, key, value) VALUES (?, ?, ?) ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const t of tags) stmt.run(arn, t.Key, t.Value ?? '');
    })();
  }

  list(arn: string): Tag[] {
    return (this.db.prepare('SELECT key, value FROM tags WHERE arn = ? ORDER BY key').all(arn) as { key: string; value: string }[]).map(
      (r) => ({ Key: r.key, Value: r.value }),
    );
  }

  delete(arn: string, keys: readonly string[]): void {
    const stmt = this.db.prepare('DELETE FROM tags WHERE arn = ? AND key = ?');
    this.db.transaction(() => {
      for (const k of keys) stmt.run(arn, k);
    })();
  }

  count(arn: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM tags WHERE arn = ?').get(arn) as { n: number }).n;
  }
}
