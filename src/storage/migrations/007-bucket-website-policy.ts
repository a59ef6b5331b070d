import type { Migration } from './index.js';

/**
 * Bucket website configurations and bucket policies (issue #14): stored whole as text, NULL when
 * unset. The website document is Slipway's JSON form of PutBucketWebsite's XML; the policy is the
 * JSON the client sent, returned verbatim by GetBucketPolicy.
 */
export const bucketWebsitePolicyMigration: Migration = {
  id: '007-bucket-website-policy',
  sql: `
    ALTER TABLE s3_buckets ADD COLUMN website TEXT;
    ALTER TABLE s3_buckets ADD COLUMN policy TEXT;
  `,
};
