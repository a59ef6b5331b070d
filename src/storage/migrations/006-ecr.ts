import type { Migration } from './index.js';

/**
 * ECR's metadata (issue #14): repositories with their settings, and the images pushed to them as
 * the registry proxy saw each manifest arrive (src/registry/registry-proxy.ts). The image bytes
 * live in the registry's own storage; these rows decide what exists: which tags point where, which
 * digests a repository holds, when each was pushed and last pulled. Manifests are kept verbatim
 * (their digest is over these bytes) for BatchGetImage.
 */
export const ecrMigration: Migration = {
  id: '006-ecr',
  sql: `
    CREATE TABLE ecr_repositories (
      name TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      settings TEXT NOT NULL
    );

    CREATE TABLE ecr_images (
      repository TEXT NOT NULL REFERENCES ecr_repositories(name) ON DELETE CASCADE,
      digest TEXT NOT NULL,
      media_type TEXT NOT NULL,
      artifact_media_type TEXT,
      size_bytes INTEGER NOT NULL,
      manifest BLOB NOT NULL,
      pushed_at INTEGER NOT NULL,
      last_pulled_at INTEGER,
      PRIMARY KEY (repository, digest)
    );

    CREATE TABLE ecr_image_tags (
      repository TEXT NOT NULL,
      tag TEXT NOT NULL,
      digest TEXT NOT NULL,
      PRIMARY KEY (repository, tag),
      FOREIGN KEY (repository, digest) REFERENCES ecr_images (repository, digest) ON DELETE CASCADE
    );
    CREATE INDEX ecr_image_tags_digest ON ecr_image_tags (repository, digest);
  `,
};
