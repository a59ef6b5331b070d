/**
 * @module storage/objects/sql-object-store — the object store: bucket/object/multipart metadata
 * on SqlDb (migration 002-objects; SQLite, or PostgreSQL shared by replicas), bytes in immutable
 * blobs (storage/blobs).
 *
 *   write:  stream ─► new blob (BlobStore) ─► beforeCommit (digests) ─► TX { bucket, key locked;
 *           conditions; upsert row } ─► remove old blob
 *   read:   row lookup ─► open the blob ─► stream (a blob that vanished in between means the row
 *           changed: look it up again)
 *   start:  sweep tmp/ and every blob no row references (crash leftovers)
 *
 * Bytes live in a `BlobStore`: the data directory (`BlobDirectory`) by default, any S3 store
 * with SLIPWAY_OBJECT_STORE_URL (`S3BlobStore`). Encryption (SSE-C, SSE-S3) happens above it.
 *
 * An object is visible only once its row commits, so a crash at any point leaves the old object
 * or the new one, never a partial one. Read-then-write steps run in transactions under the locks
 * of object-locks, so concurrent writers — here or on another replica — replace, delete and
 * remove blobs as if one after the other.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ByteRange, ObjectStore } from '../object-store.js';
import type {
  BucketInfo,
  CompletedUpload,
  CorsRule,
  CompleteOptions,
  CopyOptions,
  CreateUploadOptions,
  ListPage,
  ListQuery,
  MultipartUpload,
  OpenedObject,
  PartInfo,
  S3Backend,
  BucketDocument,
  BucketEncryption,
  EncryptionRecord,
  EncryptionRequest,
  PartWriteOptions,
  SseCustomerKey,
  StoredObject,
  TagSet,
  WriteOptions,
} from '../s3-backend.js';
import { BlobDirectory } from '../blobs/blob-directory.js';
import { BlobMissing, type BlobStore } from '../blobs/blob-store.js';
import { CtrDecryptStream, encryptor, newIv, newKeyVerifier, type CipherSegment } from '../blobs/ctr-cipher.js';
import { ServerKey } from '../blobs/server-key.js';
import { storageError } from '../blobs/storage-full.js';
import { NoSuchKey, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { ServiceError } from '../../protocol/errors.js';
import type { SqlDb } from '../sql/sql-db.js';
import { lockBucket, lockKey, shareBucket } from './object-locks.js';
import {
  checkKey,
  checkWriteConditions,
  DEFAULT_CONTENT_TYPE,
  fromJson,
  hasBucket,
  objectRow,
  quoteEtag,
  requireBucket,
  toJson,
  toObject,
  upsertObject,
  type ObjectRow,
} from './object-rows.js';
import { SqlMultipart } from './sql-multipart.js';
import { listObjectPage } from './object-listing.js';

export { prefixUpperBound, unquoteEtag, MAX_KEY_BYTES, MIN_PART_SIZE } from './object-rows.js';

/** Column of each bucket document (migration 006): only these fixed names reach the SQL. */
/** The s3_buckets columns holding a bucket's settings (names from code only: they go into SQL text). */
type BucketColumn = 'tags' | 'encryption' | 'cors' | BucketDocument;
/** Lookups again after a blob vanished under a read or copy (the key rewritten meanwhile). */
const MAX_ATTEMPTS = 5;

export class SqlObjectStore implements ObjectStore, S3Backend {
  readonly blobs: BlobStore;
  private readonly multipart: SqlMultipart;
  private readonly serverKey: ServerKey;
  /** The startup sweep. */
  readonly recovered: Promise<{ removed: number }>;
  /**
   * Settles when new blobs may be written: the directory's sweep empties tmp/ and removes blobs
   * no row names yet, so writes wait for it; a foreign store's sweep keeps young blobs (grace).
   */
  private readonly writable: Promise<unknown>;

  /** `root` holds the SSE-S3 key, and the blobs unless another `blobs` store is given. */
  constructor(
    private readonly db: SqlDb,
    root: string,
    blobs?: BlobStore,
  ) {
    this.blobs = blobs ?? new BlobDirectory(root);
    this.serverKey = new ServerKey(join(root, 'sse-s3.key'));
    this.recovered = this.recover();
    this.recovered.catch(() => undefined);
    this.writable = this.blobs.kind === 'directory' ? this.recovered.catch(() => undefined) : Promise.resolve();
    this.multipart = new SqlMultipart(db, this.blobs, (r) => this.encryption(r), this.writable);
  }

  /** The record to store and the key to encrypt with for a requested encryption (no IV yet). */
  private encryption(req: EncryptionRequest): { record: EncryptionRecord; key: Buffer } {
    if ('customer' in req) {
      return { record: { kind: 'customer', algorithm: 'AES256', keyMd5: req.customer.keyMd5, ...newKeyVerifier(req.customer.key) }, key: req.customer.key };
    }
    return { record: { kind: 's3', algorithm: 'AES256' }, key: this.serverKey.get() };
  }

  /**
   * Deletes crash leftovers: temp files and blobs that no committed row names. The rows are read
   * at the first question, after the store listed its first blobs: a blob committed before then
   * is seen as referenced.
   */
  recover(): Promise<{ removed: number }> {
    let referenced: Promise<Set<string>> | undefined;
    const rows = async () =>
      new Set((await this.db.all<{ blob: string }>('SELECT blob FROM s3_objects UNION ALL SELECT blob FROM s3_parts')).map((r) => r.blob));
    return this.blobs.sweep(async (id) => (await (referenced ??= rows())).has(id));
  }

  // ---- buckets -------------------------------------------------------------------------------

  async listBuckets(): Promise<BucketInfo[]> {
    const rows = await this.db.all<{ name: string; region: string; creation_time: number }>('SELECT name, region, creation_time FROM s3_buckets ORDER BY name');
    return rows.map((r) => ({ name: r.name, region: r.region, creationDate: new Date(r.creation_time) }));
  }

  /** Throws BucketAlreadyOwnedByYou when it exists (the S3 surface decides whether that is an error). */
  async createBucket(bucket: string, region = 'us-east-1'): Promise<void> {
    const info = await this.db.run('INSERT INTO s3_buckets (name, region, creation_time) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [bucket, region, Date.now()]);
    if (info.changes === 0) throw S3Errors.bucketAlreadyOwnedByYou(bucket);
  }

  async getBucket(bucket: string): Promise<BucketInfo | undefined> {
    const r = await this.db.get<{ name: string; region: string; creation_time: number }>('SELECT name, region, creation_time FROM s3_buckets WHERE name = ?', [bucket]);
    return r && { name: r.name, region: r.region, creationDate: new Date(r.creation_time) };
  }

  async bucketExists(bucket: string): Promise<boolean> {
    return hasBucket(this.db, bucket);
  }

  /** Fails with BucketNotEmpty while objects remain; unfinished multipart uploads are discarded. */
  async deleteBucket(bucket: string): Promise<void> {
    const partBlobs = await this.db.transaction(async () => {
      // Writes in flight hold the bucket shared: this waits for them, then sees their objects.
      await lockBucket(this.db, bucket);
      if (await this.db.get('SELECT 1 AS one FROM s3_objects WHERE bucket = ? LIMIT 1', [bucket])) {
        throw S3Errors.bucketNotEmpty(bucket);
      }
      const blobs = (
        await this.db.all<{ blob: string }>('SELECT p.blob FROM s3_parts p JOIN s3_uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ?', [bucket])
      ).map((r) => r.blob);
      await this.db.run('DELETE FROM s3_uploads WHERE bucket = ?', [bucket]);
      await this.db.run('DELETE FROM s3_completed_uploads WHERE bucket = ?', [bucket]);
      await this.db.run('DELETE FROM s3_buckets WHERE name = ?', [bucket]);
      return blobs;
    });
    await Promise.all(partBlobs.map((b) => this.blobs.remove(b)));
  }

  async getBucketTags(bucket: string): Promise<TagSet | undefined> {
    return fromJson<TagSet>(await this.bucketColumn(bucket, 'tags'));
  }

  async setBucketTags(bucket: string, tags: TagSet | undefined): Promise<void> {
    await this.setBucketColumn(bucket, 'tags', toJson(tags));
  }

  async getBucketEncryption(bucket: string): Promise<BucketEncryption | undefined> {
    return fromJson<BucketEncryption>(await this.bucketColumn(bucket, 'encryption'));
  }

  async setBucketEncryption(bucket: string, config: BucketEncryption | undefined): Promise<void> {
    await this.setBucketColumn(bucket, 'encryption', toJson(config));
  }

  async getBucketCors(bucket: string): Promise<CorsRule[] | undefined> {
    return fromJson<CorsRule[]>(await this.bucketColumn(bucket, 'cors'));
  }

  async setBucketCors(bucket: string, rules: CorsRule[] | undefined): Promise<void> {
    await this.setBucketColumn(bucket, 'cors', toJson(rules));
  }

  async getBucketDocument(bucket: string, kind: BucketDocument): Promise<string | undefined> {
    return (await this.bucketColumn(bucket, kind)) ?? undefined;
  }

  async setBucketDocument(bucket: string, kind: BucketDocument, text: string | undefined): Promise<void> {
    await this.setBucketColumn(bucket, kind, text ?? null);
  }

  /** One of a bucket's settings as stored (NoSuchBucket when there is no such bucket). */
  private async bucketColumn(bucket: string, column: BucketColumn): Promise<string | null> {
    const r = await this.db.get<{ value: string | null }>(`SELECT ${column} AS value FROM s3_buckets WHERE name = ?`, [bucket]);
    if (!r) await requireBucket(this.db, bucket);
    return r?.value ?? null;
  }

  private async setBucketColumn(bucket: string, column: BucketColumn, value: string | null): Promise<void> {
    const info = await this.db.run(`UPDATE s3_buckets SET ${column} = ? WHERE name = ?`, [value, bucket]);
    if (info.changes === 0) await requireBucket(this.db, bucket);
  }

  // ---- objects -------------------------------------------------------------------------------

  async statObject(bucket: string, key: string): Promise<StoredObject | undefined> {
    const row = await objectRow(this.db, bucket, key);
    if (!row) {
      await requireBucket(this.db, bucket);
      return undefined;
    }
    return this.toObject(row);
  }

  /**
   * For Slipway's own readers (jobs, models): SSE-C objects are refused, their key is the client's;
   * SSE-S3 objects have no `blobPath` (their file is ciphertext: read them with getObject).
   */
  async headObject(bucket: string, key: string): Promise<StoredObject | undefined> {
    const obj = await this.statObject(bucket, key);
    return obj && internalView(obj);
  }

  async getObject(bucket: string, key: string, range?: ByteRange): Promise<{ meta: StoredObject; body: Readable }> {
    const { meta, body } = await this.openObject(bucket, key, (m) => {
      internalView(m);
      return range;
    });
    return { meta: internalView(meta), body: this.plaintext(meta, body, range?.start ?? 0) };
  }

  plaintext(meta: StoredObject, body: Readable, start: number, customerKey?: SseCustomerKey): Readable {
    if (!meta.sse) return body;
    const key = meta.sse.kind === 's3' ? this.serverKey.get() : customerKey?.key;
    if (!key) throw sseRefused(meta.bucket, meta.key);
    const segments: CipherSegment[] = meta.parts
      ? meta.parts.map((p) => ({ size: p.size, iv: p.iv ?? '' }))
      : [{ size: meta.size, iv: meta.sse.iv ?? '' }];
    const dec = new CtrDecryptStream(key, segments, start);
    body.on('error', (err) => dec.destroy(err));
    dec.on('close', () => body.destroy());
    return body.pipe(dec);
  }

  async openObject(bucket: string, key: string, pick?: (meta: StoredObject) => ByteRange | undefined, needBody?: () => boolean): Promise<OpenedObject> {
    for (let attempt = 1; ; attempt++) {
      // A concurrent replace removes the old blob only after its commit: a blob gone between the
      // lookup and the open (BlobMissing) means the row was replaced or deleted since, so the
      // lookup runs again and answers for the new state. An opened blob stays readable.
      const row = await objectRow(this.db, bucket, key);
      if (!row) {
        await requireBucket(this.db, bucket);
        throw new NoSuchKey(key);
      }
      const meta = this.toObject(row);
      const range = pick?.(meta);
      if (needBody?.() === false) return { meta, body: Readable.from([]), ...(range ? { range } : {}) };
      try {
        const body = await this.blobs.open(row.blob, range);
        return { meta, body, ...(range ? { range } : {}) };
      } catch (err) {
        if (!(err instanceof BlobMissing) || !(await this.rowChanged(bucket, key, row.blob, attempt))) throw storageError(err);
      }
    }
  }

  /**
   * After BlobMissing: true (try again) when the row no longer names `blob`; a row that still
   * names it has lost its bytes, which is the store's fault (InternalError).
   */
  private async rowChanged(bucket: string, key: string, blob: string, attempt: number): Promise<boolean> {
    if (attempt < MAX_ATTEMPTS && (await objectRow(this.db, bucket, key))?.blob !== blob) return true;
    throw new ServiceError('InternalError', `The bytes of ${key} are missing from the object store.`, 500);
  }

  async putObject(bucket: string, key: string, body: Readable, opts: WriteOptions = {}): Promise<StoredObject> {
    return this.writeObject(bucket, key, body, opts);
  }

  async writeObject(bucket: string, key: string, body: Readable, opts: WriteOptions = {}): Promise<StoredObject> {
    checkKey(key);
    await requireBucket(this.db, bucket);
    await checkWriteConditions(this.db, bucket, key, opts);
    await this.writable;
    const enc = opts.sse ? this.encryption(opts.sse) : undefined;
    const sse: EncryptionRecord | undefined = enc ? { ...enc.record, iv: newIv() } : undefined;
    const blob = await this.blobs.write(body, opts.tap, {
      ...(opts.expectedSize !== undefined ? { expectedSize: opts.expectedSize } : {}),
      ...(enc && sse ? { encrypt: encryptor(enc.key, sse.iv!) } : {}),
    });
    let oldBlob: string | undefined;
    let stored: StoredObject;
    try {
      const checksum = opts.beforeCommit?.({ size: blob.size, md5: blob.md5 })?.checksum;
      const row: ObjectRow = {
        bucket,
        key,
        size: blob.size,
        etag: quoteEtag(blob.md5.toString('hex')),
        last_modified: Date.now(),
        content_type: opts.contentType ?? DEFAULT_CONTENT_TYPE,
        metadata: JSON.stringify(opts.metadata ?? {}),
        headers: JSON.stringify(opts.headers ?? {}),
        checksum_algorithm: checksum?.algorithm ?? null,
        checksum_value: checksum?.value ?? null,
        checksum_type: checksum?.type ?? null,
        blob: blob.id,
        parts: null,
        tags: toJson(opts.tags?.length ? opts.tags : undefined),
        sse: toJson(sse),
      };
      oldBlob = await this.commitObject(row, opts);
      stored = this.toObject(row);
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw storageError(err);
    }
    if (oldBlob) await this.blobs.remove(oldBlob);
    return stored;
  }

  async setObjectTags(bucket: string, key: string, tags: TagSet): Promise<void> {
    const info = await this.db.run('UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ?', [toJson(tags.length ? tags : undefined), bucket, key]);
    if (info.changes === 0) {
      await requireBucket(this.db, bucket);
      throw new NoSuchKey(key);
    }
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const old = await this.db.transaction(async () => {
      await shareBucket(this.db, bucket);
      await lockKey(this.db, bucket, key);
      return (await this.db.get<{ blob: string }>('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob', [bucket, key]))?.blob;
    });
    if (old) await this.blobs.remove(old);
  }

  /**
   * Copies by hard link (bytes shared, nothing re-written), or server-side in a foreign store. The
   * encryption record and part layout travel with the bytes; re-encrypting copies are the S3
   * surface's (read + writeObject).
   */
  async copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, opts: CopyOptions, attempt = 1): Promise<StoredObject> {
    checkKey(dstKey);
    const src = await objectRow(this.db, srcBucket, srcKey);
    if (!src) {
      await requireBucket(this.db, srcBucket);
      throw new NoSuchKey(srcKey);
    }
    const srcObj = this.toObject(src);
    opts.checkSource?.(srcObj);
    await requireBucket(this.db, dstBucket);
    await this.writable;
    const replace = opts.metadataDirective === 'REPLACE';
    let link: { id: string };
    try {
      // The directory hard-links (bytes shared, not copied); a source blob removed since the
      // lookup is BlobMissing: the source was replaced meanwhile, so copy what the key holds now.
      link = await this.blobs.copy(src.blob, src.size);
    } catch (err) {
      if (err instanceof BlobMissing && (await this.rowChanged(srcBucket, srcKey, src.blob, attempt))) {
        return this.copyObject(srcBucket, srcKey, dstBucket, dstKey, opts, attempt + 1);
      }
      throw storageError(err);
    }
    const row: ObjectRow = {
      ...src,
      bucket: dstBucket,
      key: dstKey,
      last_modified: Date.now(),
      content_type: replace ? (opts.contentType ?? DEFAULT_CONTENT_TYPE) : src.content_type,
      metadata: replace ? JSON.stringify(opts.metadata ?? {}) : src.metadata,
      headers: replace ? JSON.stringify(opts.headers ?? {}) : src.headers,
      tags: opts.tags ? toJson(opts.tags.length ? opts.tags : undefined) : src.tags,
      blob: link.id,
    };
    let old: string | undefined;
    try {
      old = await this.commitObject(row, {});
    } catch (err) {
      await this.blobs.remove(link.id);
      throw storageError(err);
    }
    if (old) await this.blobs.remove(old);
    return this.toObject(row);
  }

  async listObjects(bucket: string, q: ListQuery): Promise<ListPage> {
    return listObjectPage(this.db, bucket, q, (row) => this.toObject(row));
  }

  /** Slipway's own listing (job inputs): an SSE-C object in the way is an error, not silently skipped. */
  async *listAll(bucket: string, prefix: string): AsyncIterable<StoredObject> {
    let after: string | undefined;
    for (;;) {
      const page = await this.listObjects(bucket, { prefix, maxKeys: 1000, ...(after !== undefined ? { after } : {}) });
      for (const o of page.contents) yield internalView(o);
      if (!page.isTruncated || page.last === undefined) return;
      after = page.last;
    }
  }

  // ---- multipart -----------------------------------------------------------------------------

  async createMultipartUpload(bucket: string, key: string, opts: CreateUploadOptions): Promise<MultipartUpload> {
    return this.multipart.create(bucket, key, opts);
  }

  async getUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUpload> {
    return this.multipart.get(bucket, key, uploadId);
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts: PartWriteOptions = {},
  ): Promise<PartInfo> {
    try {
      return await this.multipart.uploadPart(bucket, key, uploadId, partNumber, body, opts);
    } catch (err) {
      throw storageError(err);
    }
  }

  async listParts(bucket: string, key: string, uploadId: string, after: number, maxParts: number): Promise<{ parts: PartInfo[]; isTruncated: boolean }> {
    return this.multipart.listParts(bucket, key, uploadId, after, maxParts);
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    opts: CompleteOptions = {},
  ): Promise<StoredObject> {
    try {
      return await this.multipart.complete(bucket, key, uploadId, parts, opts);
    } catch (err) {
      throw storageError(err);
    }
  }

  async completedUpload(bucket: string, key: string, uploadId: string): Promise<CompletedUpload | undefined> {
    return this.multipart.completed(bucket, key, uploadId);
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.multipart.abort(bucket, key, uploadId);
  }

  async listMultipartUploads(bucket: string, prefix: string): Promise<MultipartUpload[]> {
    return this.multipart.list(bucket, prefix);
  }

  /**
   * Commits an object row: the bucket held, the key's writers in turn, the conditions checked
   * against what this write replaces. Returns the replaced blob, to remove after the commit.
   */
  private commitObject(row: ObjectRow, cond: { ifNoneMatch?: string; ifMatch?: string }): Promise<string | undefined> {
    return this.db.transaction(async () => {
      await shareBucket(this.db, row.bucket);
      await lockKey(this.db, row.bucket, row.key);
      await checkWriteConditions(this.db, row.bucket, row.key, cond);
      return upsertObject(this.db, row);
    });
  }

  private toObject(r: ObjectRow): StoredObject {
    return toObject(r, this.blobs.pathOf(r.blob));
  }
}

/** What Slipway's own readers may see of an object: SSE-C refused, SSE-S3 without a linkable file. */
function internalView(obj: StoredObject): StoredObject {
  if (obj.sse?.kind === 'customer') throw sseRefused(obj.bucket, obj.key);
  return obj.sse ? { ...obj, blobPath: '' } : obj;
}

/** Slipway cannot read what only the client's key opens (SageMaker cannot either). */
function sseRefused(bucket: string, key: string): ServiceError {
  return new ServiceError(
    'AccessDenied',
    `s3://${bucket}/${key} is encrypted with a customer-provided key (SSE-C); Slipway does not have the key to read it.`,
    403,
  );
}
