/**
 * @module storage/ecr-store — ECR repositories and the images pushed to them (migration 006):
 * which digests a repository holds, where each tag points, push and pull times. The registry's own
 * storage holds the bytes; these rows are what ECR's API and the registry proxy answer from.
 */
import { forUpdate, type SqlDb } from './sql/sql-db.js';

import type { RepositorySettings } from '../resources/ecr-repository.js';

export type { RepositorySettings, TagMutability } from '../resources/ecr-repository.js';

export interface RepositoryRecord {
  name: string;
  /** Epoch milliseconds. */
  createdAt: number;
  settings: RepositorySettings;
}

export interface ImageRecord {
  repository: string;
  digest: string;
  mediaType: string;
  artifactMediaType?: string;
  sizeBytes: number;
  /** The manifest exactly as pushed (its digest is over these bytes). */
  manifest: Buffer;
  /** Epoch milliseconds. */
  pushedAt: number;
  lastPulledAt?: number;
  /** Tags pointing at this image, sorted. */
  tags: string[];
}

export type TagStatus = 'TAGGED' | 'UNTAGGED' | 'ANY';

/** One page of a listing; `after` is the last key of the previous page. */
export interface PageQuery {
  after?: string;
  limit: number;
}

export class RepositoryExistsError extends Error {}

/** A tag that may not move (immutable repository): the digest it points at now. */
export class TagImmutableError extends Error {
  constructor(readonly tag: string, readonly current: string) {
    super(`tag ${tag} is immutable`);
  }
}

interface ImageRow {
  repository: string;
  digest: string;
  media_type: string;
  artifact_media_type: string | null;
  size_bytes: number;
  manifest: Buffer;
  pushed_at: number;
  last_pulled_at: number | null;
  tags: string | null;
}

/**
 * An image's columns with its tags joined by newlines in order. SQLite's group_concat takes the
 * rows in its subquery's order; PostgreSQL spells it string_agg(… ORDER BY …)
 * (https://www.postgresql.org/docs/15/functions-aggregate.html).
 */
function imageColumns(sql: SqlDb): string {
  const ofImage = 'FROM ecr_image_tags t WHERE t.repository = i.repository AND t.digest = i.digest';
  const tags =
    sql.dialect === 'postgres'
      ? `(SELECT string_agg(tag, chr(10) ORDER BY tag) ${ofImage})`
      : `(SELECT group_concat(tag, char(10)) FROM (SELECT tag ${ofImage} ORDER BY tag))`;
  return `i.repository, i.digest, i.media_type, i.artifact_media_type, i.size_bytes, i.manifest, i.pushed_at, i.last_pulled_at, ${tags} AS tags`;
}

function toImage(r: ImageRow): ImageRecord {
  const out: ImageRecord = {
    repository: r.repository,
    digest: r.digest,
    mediaType: r.media_type,
    sizeBytes: r.size_bytes,
    manifest: r.manifest,
    pushedAt: r.pushed_at,
    tags: r.tags ? r.tags.split('\n') : [],
  };
  if (r.artifact_media_type !== null) out.artifactMediaType = r.artifact_media_type;
  if (r.last_pulled_at !== null) out.lastPulledAt = r.last_pulled_at;
  return out;
}

/** The new image's facts; `tag` (optional) is moved to it in the same transaction. */
export type PushedImage = Omit<ImageRecord, 'lastPulledAt' | 'tags'>;

export class SqlEcrStore {
  constructor(private readonly sql: SqlDb) {}

  /** Throws RepositoryExistsError for a taken name. */
  async createRepository(rec: RepositoryRecord): Promise<void> {
    const r = (await this.sql.run('INSERT INTO ecr_repositories (name, created_at, settings) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [rec.name, rec.createdAt, JSON.stringify(rec.settings)]));
    if (r.changes === 0) throw new RepositoryExistsError(rec.name);
  }

  async getRepository(name: string): Promise<RepositoryRecord | undefined> {
    const r = (await this.sql.get('SELECT name, created_at, settings FROM ecr_repositories WHERE name = ?', [name])) as
      | { name: string; created_at: number; settings: string }
      | undefined;
    return r ? { name: r.name, createdAt: r.created_at, settings: JSON.parse(r.settings) as RepositorySettings } : undefined;
  }

  /** Repositories by name, `limit` after `after`. */
  async listRepositories(q: PageQuery): Promise<RepositoryRecord[]> {
    const rows = (await this.sql.all('SELECT name, created_at, settings FROM ecr_repositories WHERE name > ? ORDER BY name LIMIT ?', [q.after ?? '', q.limit])) as { name: string; created_at: number; settings: string }[];
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at, settings: JSON.parse(r.settings) as RepositorySettings }));
  }

  async updateSettings(name: string, settings: RepositorySettings): Promise<boolean> {
    return (await this.sql.run('UPDATE ecr_repositories SET settings = ? WHERE name = ?', [JSON.stringify(settings), name])).changes > 0;
  }

  /** Removes the repository with its images and tags; false when it did not exist. */
  async deleteRepository(name: string): Promise<boolean> {
    return await this.sql.transaction(async () => {
      await this.sql.run('DELETE FROM ecr_image_tags WHERE repository = ?', [name]);
      await this.sql.run('DELETE FROM ecr_images WHERE repository = ?', [name]);
      return (await this.sql.run('DELETE FROM ecr_repositories WHERE name = ?', [name])).changes > 0;
    });
  }

  async countImages(repository: string): Promise<number> {
    return ((await this.sql.get('SELECT count(*) AS n FROM ecr_images WHERE repository = ?', [repository])) as { n: number }).n;
  }

  /**
   * Records a pushed manifest and, when given, points `tag` at it, as one transaction.
   * `tagMayMove(tag)` is asked only when the tag points at another digest now; false throws
   * TagImmutableError and records nothing. A digest pushed again keeps its first push time.
   */
  async recordPush(image: PushedImage, tag: string | undefined, tagMayMove: (tag: string) => Promise<boolean>): Promise<void> {
    await this.sql.transaction(async () => {
      if (tag !== undefined) {
        // Pushes that move tags of one repository wait for each other (the repository row's
        // lock): two replicas must not both find an immutable tag free and both set it.
        await this.sql.get(`SELECT name FROM ecr_repositories WHERE name = ?${forUpdate(this.sql)}`, [image.repository]);
        const current = await this.tagDigest(image.repository, tag);
        if (current !== undefined && current !== image.digest && !(await tagMayMove(tag))) throw new TagImmutableError(tag, current);
      }
      await this.sql.run(`INSERT INTO ecr_images (repository, digest, media_type, artifact_media_type, size_bytes, manifest, pushed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repository, digest) DO NOTHING`, [image.repository, image.digest, image.mediaType, image.artifactMediaType ?? null, image.sizeBytes, image.manifest, image.pushedAt]);
      if (tag !== undefined) {
        await this.sql.run('INSERT INTO ecr_image_tags (repository, tag, digest) VALUES (?, ?, ?) ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest', [image.repository, tag, image.digest]);
      }
    });
  }

  async tagDigest(repository: string, tag: string): Promise<string | undefined> {
    const r = (await this.sql.get('SELECT digest FROM ecr_image_tags WHERE repository = ? AND tag = ?', [repository, tag])) as { digest: string } | undefined;
    return r?.digest;
  }

  async getImage(repository: string, digest: string): Promise<ImageRecord | undefined> {
    const r = (await this.sql.get(`SELECT ${imageColumns(this.sql)} FROM ecr_images i WHERE i.repository = ? AND i.digest = ?`, [repository, digest])) as ImageRow | undefined;
    return r ? toImage(r) : undefined;
  }

  /**
   * Images of a repository ordered by digest, `limit` after digest `after`, filtered by whether
   * they carry tags.
   */
  async listImages(repository: string, status: TagStatus, q: PageQuery): Promise<ImageRecord[]> {
    const filter =
      status === 'TAGGED'
        ? 'AND EXISTS (SELECT 1 FROM ecr_image_tags t WHERE t.repository = i.repository AND t.digest = i.digest)'
        : status === 'UNTAGGED'
          ? 'AND NOT EXISTS (SELECT 1 FROM ecr_image_tags t WHERE t.repository = i.repository AND t.digest = i.digest)'
          : '';
    const rows = (await this.sql.all(`SELECT ${imageColumns(this.sql)} FROM ecr_images i WHERE i.repository = ? AND i.digest > ? ${filter} ORDER BY i.digest LIMIT ?`, [repository, q.after ?? '', q.limit])) as ImageRow[];
    return rows.map(toImage);
  }

  /** Tags of a repository in order (the registry's tags/list), `limit` after `after`. */
  async listTags(repository: string, q: PageQuery): Promise<string[]> {
    const rows = (await this.sql.all('SELECT tag FROM ecr_image_tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?', [repository, q.after ?? '', q.limit])) as {
      tag: string;
    }[];
    return rows.map((r) => r.tag);
  }

  /** Removes a tag; the image goes too when it was its last tag (ECR's BatchDeleteImage by tag). */
  async deleteTag(repository: string, tag: string): Promise<{ digest: string; imageDeleted: boolean } | undefined> {
    return await this.sql.transaction(async () => {
      const digest = await this.tagDigest(repository, tag);
      if (digest === undefined) return undefined;
      await this.sql.run('DELETE FROM ecr_image_tags WHERE repository = ? AND tag = ?', [repository, tag]);
      const left = (await this.sql.get('SELECT 1 FROM ecr_image_tags WHERE repository = ? AND digest = ? LIMIT 1', [repository, digest]));
      if (!left) (await this.sql.run('DELETE FROM ecr_images WHERE repository = ? AND digest = ?', [repository, digest]));
      return { digest, imageDeleted: !left };
    });
  }

  /** Removes an image and every tag pointing at it; false when it did not exist. */
  async deleteImage(repository: string, digest: string): Promise<boolean> {
    return await this.sql.transaction(async () => {
      await this.sql.run('DELETE FROM ecr_image_tags WHERE repository = ? AND digest = ?', [repository, digest]);
      return (await this.sql.run('DELETE FROM ecr_images WHERE repository = ? AND digest = ?', [repository, digest])).changes > 0;
    });
  }

  async markPulled(repository: string, digest: string, at: number): Promise<void> {
    await this.sql.run('UPDATE ecr_images SET last_pulled_at = ? WHERE repository = ? AND digest = ?', [at, repository, digest]);
  }
}
