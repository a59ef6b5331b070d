import type { Migration } from './index.js';

/**
 * What S3 keeps beside an object's bytes and Slipway did not (issue #18): the part layout of a
 * completed multipart upload (GET ?partNumber, GetObjectAttributes), object and bucket tags, bucket
 * CORS rules and default encryption, and SSE parameters (the SSE-C key's salted verifier and the
 * counter IVs, never a key). Completed uploads are
 * remembered for a while so a retried CompleteMultipartUpload answers as the first one did.
 * JSON columns are NULL when unused.
 */
export const s3ConformanceMigration: Migration = {
  id: '005-s3-conformance',
  sql: `
    ALTER TABLE s3_objects ADD COLUMN parts TEXT;
    ALTER TABLE s3_objects ADD COLUMN tags TEXT;
    ALTER TABLE s3_objects ADD COLUMN sse TEXT;

    ALTER TABLE s3_buckets ADD COLUMN tags TEXT;
    ALTER TABLE s3_buckets ADD COLUMN cors TEXT;
    ALTER TABLE s3_buckets ADD COLUMN encryption TEXT;

    ALTER TABLE s3_uploads ADD COLUMN checksum_type TEXT;
    ALTER TABLE s3_uploads ADD COLUMN tags TEXT;
    ALTER TABLE s3_uploads ADD COLUMN sse TEXT;

    ALTER TABLE s3_parts ADD COLUMN iv TEXT;

    CREATE TABLE s3_completed_uploads (
      upload_id TEXT PRIMARY KEY,
      bucket TEXT NOT NULL,
      key TEXT NOT NULL,
      etag TEXT NOT NULL,
      checksum TEXT,
      completed_at INTEGER NOT NULL
    );
    CREATE INDEX s3_completed_uploads_time ON s3_completed_uploads (completed_at);
  `,
};
