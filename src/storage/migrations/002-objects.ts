import type { Migration } from './index.js';

/**
 * Buckets, objects and multipart uploads (owned by the S3 store, storage/objects/sql-object-store.ts).
 * Keys are TEXT with the default BINARY collation, which compares UTF-8 bytes: the order S3 lists
 * keys in. Bytes live in blob files named by `blob` (a random id), never by the key.
 */
export const objectsMigration: Migration = {
  id: '002-objects',
  sql: `
    CREATE TABLE s3_buckets (
      name TEXT PRIMARY KEY,
      region TEXT NOT NULL,
      creation_time INTEGER NOT NULL
    );

    CREATE TABLE s3_objects (
      bucket TEXT NOT NULL REFERENCES s3_buckets(name),
      key TEXT NOT NULL,
      size INTEGER NOT NULL,
      etag TEXT NOT NULL,
      last_modified INTEGER NOT NULL,
      content_type TEXT NOT NULL,
      metadata TEXT NOT NULL DEFAULT '{}',
      headers TEXT NOT NULL DEFAULT '{}',
      checksum_algorithm TEXT,
      checksum_value TEXT,
      checksum_type TEXT,
      blob TEXT NOT NULL,
      PRIMARY KEY (bucket, key)
    );

    CREATE TABLE s3_uploads (
      upload_id TEXT PRIMARY KEY,
      bucket TEXT NOT NULL REFERENCES s3_buckets(name),
      key TEXT NOT NULL,
      initiated INTEGER NOT NULL,
      content_type TEXT NOT NULL,
      metadata TEXT NOT NULL DEFAULT '{}',
      headers TEXT NOT NULL DEFAULT '{}',
      checksum_algorithm TEXT
    );
    CREATE INDEX s3_uploads_bucket_key ON s3_uploads (bucket, key, initiated);

    CREATE TABLE s3_parts (
      upload_id TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
      part_number INTEGER NOT NULL,
      size INTEGER NOT NULL,
      etag TEXT NOT NULL,
      last_modified INTEGER NOT NULL,
      checksum_value TEXT,
      blob TEXT NOT NULL,
      PRIMARY KEY (upload_id, part_number)
    );
  `,
};
