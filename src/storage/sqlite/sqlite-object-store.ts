/**
 * @module storage/sqlite/sqlite-object-store — the embedded object store: bucket/object/multipart
 * metadata in SQLite (migration 002-objects), bytes in immutable blob files (storage/blobs).
 *
 *   write:  stream ─► new blob (BlobStore) ─► beforeCommit (digests) ─► TX upsert row ─► remove old blob
 *   read:   row lookup + open(fd) in one synchronous step ─► stream from fd (a foreign store's
 *           blob that vanished meanwhile means the row changed: look it up again)
 *   start:  sweep tmp/ and every blob no row references (crash leftovers)
 *
 * Bytes live in a `BlobStore`: the data directory (`BlobDirectory`) by default, any S3 store
 * with SLIPWAY_OBJECT_STORE_URL (`S3BlobStore`). Encryption (SSE-C, SSE-S3) happens above it.
 *
 * An object is visible only once its row commits, so a crash at any point leaves the old object
 * or the new one, never a partial one.
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
import type { Db } from './database.js';
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
import { SqliteMultipart } from './sqlite-multipart.js';
import { listObjectPage } from './object-listing.js';

export { prefixUpperBound, unquoteEtag, MAX_KEY_BYTES, MIN_PART_SIZE } from './object-rows.js';

/** Column of each bucket document (migration 006): only these fixed names reach the SQL. */
const DOCUMENT_COLUMN: Record<BucketDocument, string> = { website: 'website', policy: 'policy' };
export class SqliteObjectStore implements ObjectStore, S3Backend {
  readonly blobs: BlobStore;
  private readonly multipart: SqliteMultipart;
  private readonly serverKey: ServerKey;
  /** The startup sweep (the directory's is done when the constructor returns). */
  readonly recovered: Promise<{ removed: number }>;

  /** `root` holds the SSE-S3 key, and the blobs unless another `blobs` store is given. */
  constructor(
    private readonly db: Db,
    root: string,
    blobs?: BlobStore,
  ) {
    this.blobs = blobs ?? new BlobDirectory(root);
    this.serverKey = new ServerKey(join(root, 'sse-s3.key'));
    this.multipart = new SqliteMultipart(db, this.blobs, (r) => this.encryption(r));
    this.recovered = this.recover();
    this.recovered.catch(() => undefined);
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
    let referenced: Set<string> | undefined;
    const rows = () => {
      const set = new Set<string>();
      for (const r of this.db.prepare('SELECT blob FROM s3_objects UNION ALL SELECT blob FROM s3_parts').iterate() as Iterable<{ blob: string }>) {
        set.add(r.blob);
      }
      return set;
    };
    return this.blobs.sweep((id) => (referenced ??= rows()).has(id));
  }

  // ---- buckets -------------------------------------------------------------------------------

  async listBuckets(): Promise<BucketInfo[]> {
    const rows = this.db.prepare('SELECT name, region, creation_time FROM s3_buckets ORDER BY name').all() as {
      name: string;
      region: string;
      creation_time: number;
    }[];
    return rows.map((r) => ({ name: r.name, region: r.region, creationDate: new Date(r.creation_time) }));
  }

  /** Throws BucketAlreadyOwnedByYou when it exists (the S3 surface decides whether that is an error). */
  async createBucket(bucket: string, region = 'us-east-1'): Promise<void> {
    const info = this.db
      .prepare('INSERT INTO s3_buckets (name, region, creation_time) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(bucket, region, Date.now());
    if (info.changes === 0) throw S3Errors.bucketAlreadyOwnedByYou(bucket);
  }

  async getBucket(bucket: string): Promise<BucketInfo | undefined> {
    const r = this.db.prepare('SELECT name, region, creation_time FROM s3_buckets WHERE name = ?').get(bucket) as
      | { name: string; region: string; creation_time: number }
      | undefined;
    return r && { name: r.name, region: r.region, creationDate: new Date(r.creation_time) };
  }

  async bucketExists(bucket: string): Promise<boolean> {
    return hasBucket(this.db, bucket);
  }

  /** Fails with BucketNotEmpty while objects remain; unfinished multipart uploads are discarded. */
  async deleteBucket(bucket: string): Promise<void> {
    const partBlobs = this.db.transaction(() => {
      requireBucket(this.db, bucket);
      if (this.db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1').get(bucket)) {
        throw S3Errors.bucketNotEmpty(bucket);
      }
      const blobs = (
        this.db
          .prepare('SELECT p.blob FROM s3_parts p JOIN s3_uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ?')
          .all(bucket) as { blob: string }[]
      ).map((r) => r.blob);
      this.db.prepare('DELETE FROM s3_uploads WHERE bucket = ?').run(bucket);
      this.db.prepare('DELETE FROM s3_completed_uploads WHERE bucket = ?').run(bucket);
      this.db.prepare('DELETE FROM s3_buckets WHERE name = ?').run(bucket);
      return blobs;
    })();
    await Promise.all(partBlobs.map((b) => this.blobs.remove(b)));
  }

  async getBucketTags(bucket: string): Promise<TagSet | undefined> {
    const r = this.db.prepare('SELECT tags FROM s3_buckets WHERE name = ?').get(bucket) as { tags: string | null } | undefined;
    if (!r) requireBucket(this.db, bucket);
    return fromJson<TagSet>(r?.tags ?? null);
  }

  async setBucketTags(bucket: string, tags: TagSet | undefined): Promise<void> {
    const info = this.db.prepare('UPDATE s3_buckets SET tags = ? WHERE name = ?').run(toJson(tags), bucket);
    if (info.changes === 0) requireBucket(this.db, bucket);
  }

  async getBucketEncryption(bucket: string): Promise<BucketEncryption | undefined> {
    const r = this.db.prepare('SELECT encryption FROM s3_buckets WHERE name = ?').get(bucket) as { encryption: string | null } | undefined;
    if (!r) requireBucket(this.db, bucket);
    return fromJson<BucketEncryption>(r?.encryption ?? null);
  }

  async setBucketEncryption(bucket: string, config: BucketEncryption | undefined): Promise<void> {
    const info = this.db.prepare('UPDATE s3_buckets SET encryption = ? WHERE name = ?').run(toJson(config), bucket);
    if (info.changes === 0) requireBucket(this.db, bucket);
  }

  async getBucketCors(bucket: string): Promise<CorsRule[] | undefined> {
    const r = this.db.prepare('SELECT cors FROM s3_buckets WHERE name = ?').get(bucket) as { cors: string | null } | undefined;
    if (!r) requireBucket(this.db, bucket);
    return fromJson<CorsRule[]>(r?.cors ?? null);
  }

  async setBucketCors(bucket: string, rules: CorsRule[] | undefined): Promise<void> {
    const info = this.db.prepare('UPDATE s3_buckets SET cors = ? WHERE name = ?').run(toJson(rules), bucket);
    if (info.changes === 0) requireBucket(this.db, bucket);
  }

  async getBucketDocument(bucket: string, kind: BucketDocument): Promise<string | undefined> {
    const r = this.db.prepare(`SELECT ${DOCUMENT_COLUMN[kind]} AS doc FROM s3_buckets WHERE name = ?`).get(bucket) as { doc: string | null } | undefined;
    if (!r) requireBucket(this.db, bucket);
    return r?.doc ?? undefined;
  }

  async setBucketDocument(bucket: string, kind: BucketDocument, text: string | undefined): Promise<void> {
    const info = this.db.prepare(`UPDATE s3_buckets SET ${DOCUMENT_COLUMN[kind]} = ? WHERE name = ?`).run(text ?? null, bucket);
    if (info.changes === 0) requireBucket(this.db, bucket);
  }

  // ---- objects -------------------------------------------------------------------------------

  async statObject(bucket: string, key: string): Promise<StoredObject | undefined> {
    const row = objectRow(this.db, bucket, key);
    if (!row) {
      requireBucket(this.db, bucket);
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
      // Lookup and open happen in one synchronous step for the directory: a concurrent replace
      // unlinks the old blob only after its commit, so the fd we get belongs to the row we read.
      // A foreign store opens asynchronously: a blob gone meanwhile (BlobMissing) means the row
      // was replaced or deleted since, so the lookup runs again and answers for the new state.
      const row = objectRow(this.db, bucket, key);
      if (!row) {
        requireBucket(this.db, bucket);
        throw new NoSuchKey(key);
      }
      const meta = this.toObject(row);
      const range = pick?.(meta);
      if (needBody?.() === false) return { meta, body: Readable.from([]), ...(range ? { range } : {}) };
      try {
        const body = await this.blobs.open(row.blob, range);
        return { meta, body, ...(range ? { range } : {}) };
      } catch (err) {
        if (!(err instanceof BlobMissing) || !this.rowChanged(bucket, key, row.blob, attempt)) throw storageError(err);
      }
    }
  }

  /**
   * After BlobMissing: true (try again) when the row no longer names `blob`; a row that still
   * names it has lost its bytes, which is the store's fault (InternalError).
   */
  private rowChanged(bucket: string, key: string, blob: string, attempt: number): boolean {
    if (attempt < 5 && objectRow(this.db, bucket, key)?.blob !== blob) return true;
    throw new ServiceError('InternalError', `The bytes of ${key} are missing from the object store.`, 500);
  }

  async putObject(bucket: string, key: string, body: Readable, opts: WriteOptions = {}): Promise<StoredObject> {
    return this.writeObject(bucket, key, body, opts);
  }

  async writeObject(bucket: string, key: string, body: Readable, opts: WriteOptions = {}): Promise<StoredObject> {
    checkKey(key);
    requireBucket(this.db, bucket);
    checkWriteConditions(this.db, bucket, key, opts);
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
      oldBlob = this.db.transaction(() => {
        requireBucket(this.db, bucket);
        checkWriteConditions(this.db, bucket, key, opts);
        return upsertObject(this.db, row);
      })();
      stored = this.toObject(row);
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw storageError(err);
    }
    if (oldBlob) await this.blobs.remove(oldBlob);
    return stored;
  }

  async setObjectTags(bucket: string, key: string, tags: TagSet): Promise<void> {
    const info = this.db.prepare('UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ?').run(toJson(tags.length ? tags : undefined), bucket, key);
    if (info.changes === 0) {
      requireBucket(this.db, bucket);
      throw new NoSuchKey(key);
    }
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const old = this.db.transaction(() => {
      requireBucket(this.db, bucket);
      const r = this.db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob').get(bucket, key) as
        | { blob: string }
        | undefined;
      return r?.blob;
    })();
    if (old) await this.blobs.remove(old);
  }

  /**
   * Copies by hard link (bytes shared, nothing re-written), or server-side in a foreign store. The
   * encryption record and part layout travel with the bytes; re-encrypting copies are the S3
   * surface's (read + writeObject).
   */
  async copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, opts: CopyOptions): Promise<StoredObject> {
    checkKey(dstKey);
    // Lookup to link is synchronous for the directory: the source blob cannot be unlinked between
    // the lookup and the hard link, and the link shares bytes instead of copying them.
    const src = objectRow(this.db, srcBucket, srcKey);
    if (!src) {
      requireBucket(this.db, srcBucket);
      throw new NoSuchKey(srcKey);
    }
    const srcObj = this.toObject(src);
    opts.checkSource?.(srcObj);
    requireBucket(this.db, dstBucket);
    const replace = opts.metadataDirective === 'REPLACE';
    let link: { id: string };
    try {
      link = await this.blobs.copy(src.blob, src.size);
    } catch (err) {
      // A foreign store's source replaced meanwhile: copy what the key holds now.
      if (err instanceof BlobMissing && this.rowChanged(srcBucket, srcKey, src.blob, 1)) return this.copyObject(srcBucket, srcKey, dstBucket, dstKey, opts);
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
      old = this.db.transaction(() => upsertObject(this.db, row))();
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
