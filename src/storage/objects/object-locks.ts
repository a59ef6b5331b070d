/**
 * @module storage/objects/object-locks — the locks that keep the object store's read-then-write
 * steps atomic when statements await and several replicas share one PostgreSQL. On SQLite every
 * write transaction already holds the database's one writer lock (BEGIN IMMEDIATE), so these add
 * nothing there.
 *
 *   bucket row   writers take FOR KEY SHARE (many at once); DeleteBucket takes FOR UPDATE, so it
 *                waits for writes in flight, then sees their objects (BucketNotEmpty), and writes
 *                that come later find no bucket (NoSuchBucket) instead of a foreign-key error
 *   object key   a transaction-scoped advisory lock on (bucket, key): writers of one key take turns,
 *                so the blob one reads as "replaced" is the one its upsert replaces (none leaks,
 *                none is removed twice) and conditional writes check what they overwrite. A key
 *                that has no row yet cannot be locked by a row lock; the advisory lock can.
 *   upload row   FOR UPDATE by UploadPart, Complete and Abort: a part never lands in an upload
 *                that is being completed or aborted.
 *
 * Order, always: bucket, then upload, then key — no two transactions wait on each other in a cycle.
 */
import { NoSuchBucket } from '../../protocol/rest-xml/s3-errors.js';
import type { SqlDb } from '../sql/sql-db.js';

/** Advisory-lock class of object keys (the migration lock uses the one-number form). */
const OBJECT_KEY_LOCKS = 0x5117_0b1;

/** The bucket must exist until the transaction ends (NoSuchBucket otherwise). */
export async function shareBucket(db: SqlDb, bucket: string): Promise<void> {
  const lock = db.dialect === 'postgres' ? ' FOR KEY SHARE' : '';
  if (!(await db.get(`SELECT 1 AS one FROM s3_buckets WHERE name = ?${lock}`, [bucket]))) throw new NoSuchBucket(bucket);
}

/** Only this transaction may write or delete the bucket's objects and uploads until it ends. */
export async function lockBucket(db: SqlDb, bucket: string): Promise<void> {
  const lock = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  if (!(await db.get(`SELECT 1 AS one FROM s3_buckets WHERE name = ?${lock}`, [bucket]))) throw new NoSuchBucket(bucket);
}

/** Writers of `bucket`/`key` take turns until the transaction ends (bucket names hold no '/'). */
export async function lockKey(db: SqlDb, bucket: string, key: string): Promise<void> {
  if (db.dialect !== 'postgres') return;
  await db.get('SELECT pg_advisory_xact_lock(?, hashtext(?)) AS locked', [OBJECT_KEY_LOCKS, `${bucket}/${key}`]);
}
