/**
 * @module storage/objects/object-rows — the S3 tables' row shapes (migrations 002, 005), their
 * conversion to the S3 backend's types, the key-order helpers listing needs, and the statements
 * objects and multipart share (on SqlDb: SQLite or PostgreSQL).
 */
import type { ChecksumType, MultipartUpload, ObjectPart, PartInfo, SseCustomerRecord, StoredChecksum, StoredObject, TagSet } from '../s3-backend.js';
import { NoSuchBucket, NoSuchKey, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import type { SqlDb } from '../sql/sql-db.js';
import type { ChecksumAlgorithm } from '../../protocol/rest-xml/checksums.js';

export interface ObjectRow {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  last_modified: number;
  content_type: string;
  metadata: string;
  headers: string;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  checksum_type: string | null;
  blob: string;
  parts: string | null;
  tags: string | null;
  sse: string | null;
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  content_type: string;
  metadata: string;
  headers: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
  tags: string | null;
  sse: string | null;
}

export interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  last_modified: number;
  checksum_value: string | null;
  blob: string;
  iv: string | null;
}

export const MAX_KEY_BYTES = 1024;
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Smallest byte string greater than every string starting with `prefix` (undefined: no bound). */
export function prefixUpperBound(prefix: string): Buffer | undefined {
  const b = Buffer.from(prefix, 'utf8');
  let end = b.length;
  while (end > 0 && b[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = Buffer.from(b.subarray(0, end));
  out[end - 1]! += 1;
  return out;
}

/**
 * `prefixUpperBound` as text, for SQL bounds that both engines compare bytewise: the prefix with
 * its last code point raised by one (UTF-8 byte order is code point order). Always valid UTF-8
 * without NUL, which PostgreSQL's TEXT requires; undefined: no bound.
 */
export function keyUpperBound(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const c = points.pop()!.codePointAt(0)!;
    if (c === 0x10ffff) continue;
    return points.join('') + String.fromCodePoint(c + 1 === 0xd800 ? 0xe000 : c + 1);
  }
  return undefined;
}

export function quoteEtag(hex: string): string {
  return `"${hex}"`;
}

export function unquoteEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw S3Errors.keyTooLong();
  // PostgreSQL's TEXT cannot hold U+0000 (and XML 1.0 cannot list it): refused on both engines alike.
  if (key.includes('\u0000')) throw S3Errors.invalidArgument('Object keys cannot contain the character U+0000.', 'key', key.replace(/\u0000/g, '\\0'));
}

/** JSON column → value; NULL (unused) → undefined. */
export function fromJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function toObject(r: ObjectRow, blobPath: string): StoredObject {
  const obj: StoredObject = {
    bucket: r.bucket,
    key: r.key,
    size: r.size,
    etag: r.etag,
    lastModified: new Date(r.last_modified),
    contentType: r.content_type,
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    headers: JSON.parse(r.headers) as Record<string, string>,
    blobPath,
    tags: fromJson<TagSet>(r.tags) ?? [],
  };
  if (r.checksum_algorithm && r.checksum_value) {
    obj.checksum = {
      algorithm: r.checksum_algorithm as ChecksumAlgorithm,
      value: r.checksum_value,
      type: (r.checksum_type ?? 'FULL_OBJECT') as StoredChecksum['type'],
    };
  }
  const parts = fromJson<ObjectPart[]>(r.parts);
  if (parts) obj.parts = parts;
  const sse = fromJson<SseCustomerRecord>(r.sse);
  if (sse) obj.sse = sse;
  return obj;
}

export function toUpload(r: UploadRow): MultipartUpload {
  const sse = fromJson<SseCustomerRecord>(r.sse);
  return {
    uploadId: r.upload_id,
    bucket: r.bucket,
    key: r.key,
    initiated: new Date(r.initiated),
    contentType: r.content_type,
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    headers: JSON.parse(r.headers) as Record<string, string>,
    tags: fromJson<TagSet>(r.tags) ?? [],
    ...(r.checksum_algorithm ? { checksumAlgorithm: r.checksum_algorithm as ChecksumAlgorithm } : {}),
    ...(r.checksum_type ? { checksumType: r.checksum_type as ChecksumType } : {}),
    ...(sse ? { sse } : {}),
  };
}

export function toPart(r: PartRow): PartInfo {
  return {
    partNumber: r.part_number,
    size: r.size,
    etag: r.etag,
    lastModified: new Date(r.last_modified),
    ...(r.checksum_value ? { checksum: r.checksum_value } : {}),
    ...(r.iv ? { iv: r.iv } : {}),
  };
}

// ---- statements shared by objects and multipart -----------------------------------------------

export async function hasBucket(db: SqlDb, bucket: string): Promise<boolean> {
  return (await db.get('SELECT 1 AS one FROM s3_buckets WHERE name = ?', [bucket])) !== undefined;
}

export async function requireBucket(db: SqlDb, bucket: string): Promise<void> {
  if (!(await hasBucket(db, bucket))) throw new NoSuchBucket(bucket);
}

export async function objectRow(db: SqlDb, bucket: string, key: string): Promise<ObjectRow | undefined> {
  return db.get<ObjectRow>('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?', [bucket, key]);
}

/**
 * Conditional writes (If-None-Match / If-Match on PutObject and CompleteMultipartUpload):
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 * Inside a write transaction the caller holds the key's lock (object-locks), so the answer holds
 * until its commit.
 */
export async function checkWriteConditions(db: SqlDb, bucket: string, key: string, cond: { ifNoneMatch?: string; ifMatch?: string }): Promise<void> {
  if (cond.ifNoneMatch === undefined && cond.ifMatch === undefined) return;
  const cur = await objectRow(db, bucket, key);
  if (cond.ifNoneMatch !== undefined && cur && (cond.ifNoneMatch === '*' || unquoteEtag(cond.ifNoneMatch) === unquoteEtag(cur.etag))) {
    throw S3Errors.preconditionFailed('If-None-Match');
  }
  if (cond.ifMatch !== undefined) {
    if (!cur) throw new NoSuchKey(key);
    if (cond.ifMatch !== '*' && unquoteEtag(cond.ifMatch) !== unquoteEtag(cur.etag)) throw S3Errors.preconditionFailed('If-Match');
  }
}

const OBJECT_COLUMNS = [
  'bucket',
  'key',
  'size',
  'etag',
  'last_modified',
  'content_type',
  'metadata',
  'headers',
  'checksum_algorithm',
  'checksum_value',
  'checksum_type',
  'blob',
  'parts',
  'tags',
  'sse',
] as const satisfies readonly (keyof ObjectRow)[];

const UPSERT_OBJECT =
  `INSERT INTO s3_objects (${OBJECT_COLUMNS.join(', ')}) VALUES (${OBJECT_COLUMNS.map(() => '?').join(', ')})` +
  ` ON CONFLICT (bucket, key) DO UPDATE SET ${OBJECT_COLUMNS.slice(2)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

/**
 * Inserts or replaces the row; returns the blob of the replaced object (to remove after commit).
 * Runs inside a transaction holding the key's lock (`lockKey`): the blob read here is the one
 * the upsert replaces, even when another replica writes the same key at the same moment.
 */
export async function upsertObject(db: SqlDb, row: ObjectRow): Promise<string | undefined> {
  const prev = await db.get<{ blob: string }>('SELECT blob FROM s3_objects WHERE bucket = ? AND key = ?', [row.bucket, row.key]);
  await db.run(
    UPSERT_OBJECT,
    OBJECT_COLUMNS.map((c) => row[c]),
  );
  return prev && prev.blob !== row.blob ? prev.blob : undefined;
}
