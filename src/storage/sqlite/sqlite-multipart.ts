/**
 * @module storage/sqlite/sqlite-multipart — multipart uploads of the embedded object store: upload
 * and part rows in SQLite, each part's bytes in its own blob, concatenated into one blob on completion.
 *
 *   create ─► upload row         part ─► blob ─► part row (replaces a part of the same number)
 *   complete ─► check parts, conditions, checksum ─► concat blobs ─► TX { object row with its part
 *               layout, remember the completion, delete upload } ─► unlink part blobs
 *
 * A completion is remembered for a day: S3 answers a retried CompleteMultipartUpload (SDKs retry
 * after a timeout) with the first answer instead of NoSuchUpload.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type {
  CompletedUpload,
  CompleteOptions,
  CreateUploadOptions,
  EncryptionRecord,
  EncryptionRequest,
  MultipartUpload,
  ObjectPart,
  PartInfo,
  PartWriteOptions,
  StoredChecksum,
  StoredObject,
} from '../s3-backend.js';
import { NoSuchUpload, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { BlobMissing, type BlobStore } from '../blobs/blob-store.js';
import { encryptor, keyMatches, newIv } from '../blobs/ctr-cipher.js';
import type { Db } from './database.js';
import {
  checkKey,
  checkWriteConditions,
  DEFAULT_CONTENT_TYPE,
  fromJson,
  MIN_PART_SIZE,
  quoteEtag,
  requireBucket,
  toJson,
  toObject,
  toPart,
  toUpload,
  unquoteEtag,
  upsertObject,
  type ObjectRow,
  type PartRow,
  type UploadRow,
} from './object-rows.js';

const REMEMBER_COMPLETED_MS = 24 * 3600 * 1000;

export class SqliteMultipart {
  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    /** The record and key of a requested encryption (the object store's: it holds the server key). */
    private readonly encryption: (req: EncryptionRequest) => { record: EncryptionRecord; key: Buffer },
  ) {}

  async create(bucket: string, key: string, opts: CreateUploadOptions): Promise<MultipartUpload> {
    checkKey(key);
    requireBucket(this.db, bucket);
    const sse = opts.sse ? this.encryption(opts.sse).record : undefined;
    const row: UploadRow = {
      upload_id: randomBytes(24).toString('base64url'),
      bucket,
      key,
      initiated: Date.now(),
      content_type: opts.contentType ?? DEFAULT_CONTENT_TYPE,
      metadata: JSON.stringify(opts.metadata ?? {}),
      headers: JSON.stringify(opts.headers ?? {}),
      checksum_algorithm: opts.checksumAlgorithm ?? null,
      checksum_type: opts.checksumType ?? null,
      tags: toJson(opts.tags?.length ? opts.tags : undefined),
      sse: toJson(sse),
    };
    this.db
      .prepare(
        `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, content_type, metadata, headers, checksum_algorithm, checksum_type, tags, sse)
         VALUES (@upload_id, @bucket, @key, @initiated, @content_type, @metadata, @headers, @checksum_algorithm, @checksum_type, @tags, @sse)`,
      )
      .run(row);
    return toUpload(row);
  }

  get(bucket: string, key: string, uploadId: string): MultipartUpload {
    return toUpload(this.uploadRow(bucket, key, uploadId));
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts: PartWriteOptions = {},
  ): Promise<PartInfo> {
    const upload = this.uploadRow(bucket, key, uploadId);
    const sse = fromJson<EncryptionRecord>(upload.sse);
    let cipherKey: Buffer | undefined;
    if (sse?.kind === 'customer') {
      // The surface checks the key against the upload first; this only guards the invariant.
      if (!(opts.customerKey && keyMatches(sse, opts.customerKey.key))) throw S3Errors.invalidRequest('The upload was created with SSE-C: every part needs the same key.');
      cipherKey = opts.customerKey.key;
    } else if (sse?.kind === 's3') cipherKey = this.encryption({ s3: true }).key;
    const iv = cipherKey ? newIv() : undefined;
    const blob = await this.blobs.write(body, opts.tap, {
      ...(opts.expectedSize !== undefined ? { expectedSize: opts.expectedSize } : {}),
      ...(iv && cipherKey ? { encrypt: encryptor(cipherKey, iv) } : {}),
    });
    let old: string | undefined;
    let part: PartRow;
    try {
      const checksum = opts.beforeCommit?.({ size: blob.size, md5: blob.md5 })?.checksum;
      part = {
        upload_id: uploadId,
        part_number: partNumber,
        size: blob.size,
        etag: quoteEtag(blob.md5.toString('hex')),
        last_modified: Date.now(),
        checksum_value: checksum?.value ?? null,
        blob: blob.id,
        iv: iv ?? null,
      };
      old = this.db.transaction(() => {
        this.uploadRow(bucket, key, uploadId);
        const prev = this.db.prepare('SELECT blob FROM s3_parts WHERE upload_id = ? AND part_number = ?').get(uploadId, partNumber) as
          | { blob: string }
          | undefined;
        this.db
          .prepare(
            `INSERT OR REPLACE INTO s3_parts (upload_id, part_number, size, etag, last_modified, checksum_value, blob, iv)
             VALUES (@upload_id, @part_number, @size, @etag, @last_modified, @checksum_value, @blob, @iv)`,
          )
          .run(part);
        return prev?.blob;
      })();
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw err;
    }
    if (old) await this.blobs.remove(old);
    return toPart(part);
  }

  listParts(bucket: string, key: string, uploadId: string, after: number, maxParts: number): { parts: PartInfo[]; isTruncated: boolean } {
    this.uploadRow(bucket, key, uploadId);
    const rows = this.db
      .prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?')
      .all(uploadId, after, maxParts + 1) as PartRow[];
    return { parts: rows.slice(0, maxParts).map(toPart), isTruncated: rows.length > maxParts };
  }

  async complete(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    opts: CompleteOptions,
  ): Promise<StoredObject> {
    const upload = this.uploadRow(bucket, key, uploadId);
    if (parts.length === 0) throw S3Errors.invalidRequest('You must specify at least one part');
    const stored = new Map(
      (this.db.prepare('SELECT * FROM s3_parts WHERE upload_id = ?').all(uploadId) as PartRow[]).map((p) => [p.part_number, p]),
    );
    const chosen: PartRow[] = [];
    let prev = 0;
    for (const p of parts) {
      if (p.partNumber <= prev) throw S3Errors.invalidPartOrder();
      prev = p.partNumber;
      const have = stored.get(p.partNumber);
      if (!have || unquoteEtag(have.etag) !== unquoteEtag(p.etag)) throw S3Errors.invalidPart(p.partNumber, p.etag);
      chosen.push(have);
    }
    chosen.forEach((p, i) => {
      if (i < chosen.length - 1 && p.size < MIN_PART_SIZE) throw S3Errors.entityTooSmall(p.size);
    });
    const checksum: StoredChecksum | undefined = opts.composeChecksum?.(toUpload(upload), chosen.map(toPart));
    // Fail before copying gigabytes; checked again at commit.
    checkWriteConditions(this.db, bucket, key, opts);
    const md5s = Buffer.concat(chosen.map((p) => Buffer.from(unquoteEtag(p.etag), 'hex')));
    const etag = quoteEtag(`${createHash('md5').update(md5s).digest('hex')}-${chosen.length}`);
    const layout: ObjectPart[] = chosen.map((p) => ({
      size: p.size,
      ...(p.checksum_value ? { checksum: p.checksum_value } : {}),
      ...(p.iv ? { iv: p.iv } : {}),
    }));

    const blob = await this.blobs.concat(chosen.map((p) => ({ id: p.blob, size: p.size }))).catch((err: unknown) => {
      // A part's bytes gone: the upload was aborted or the part replaced meanwhile.
      if (err instanceof BlobMissing) {
        this.uploadRow(bucket, key, uploadId);
        const part = chosen.find((p) => p.blob === err.id);
        throw S3Errors.invalidPart(part?.part_number ?? 0, part?.etag ?? '');
      }
      throw err;
    });
    const now = Date.now();
    const row: ObjectRow = {
      bucket,
      key,
      size: blob.size,
      etag,
      last_modified: now,
      content_type: upload.content_type,
      metadata: upload.metadata,
      headers: upload.headers,
      checksum_algorithm: checksum?.algorithm ?? null,
      checksum_value: checksum?.value ?? null,
      checksum_type: checksum?.type ?? null,
      blob: blob.id,
      parts: JSON.stringify(layout),
      tags: upload.tags,
      sse: upload.sse,
    };
    let garbage: string[];
    try {
      garbage = this.db.transaction(() => {
        this.uploadRow(bucket, key, uploadId); // aborted or completed meanwhile: NoSuchUpload
        checkWriteConditions(this.db, bucket, key, opts);
        const partBlobs = (this.db.prepare('SELECT blob FROM s3_parts WHERE upload_id = ?').all(uploadId) as { blob: string }[]).map((r) => r.blob);
        this.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
        this.db.prepare('DELETE FROM s3_completed_uploads WHERE completed_at < ?').run(now - REMEMBER_COMPLETED_MS);
        this.db
          .prepare('INSERT OR REPLACE INTO s3_completed_uploads (upload_id, bucket, key, etag, checksum, completed_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(uploadId, bucket, key, etag, toJson(checksum), now);
        const old = upsertObject(this.db, row);
        return old ? [...partBlobs, old] : partBlobs;
      })();
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw err;
    }
    await Promise.all(garbage.map((b) => this.blobs.remove(b)));
    return toObject(row, this.blobs.pathOf(row.blob));
  }

  completed(bucket: string, key: string, uploadId: string): CompletedUpload | undefined {
    const r = this.db
      .prepare('SELECT bucket, key, etag, checksum, completed_at FROM s3_completed_uploads WHERE upload_id = ?')
      .get(uploadId) as { bucket: string; key: string; etag: string; checksum: string | null; completed_at: number } | undefined;
    if (!r || r.bucket !== bucket || r.key !== key || r.completed_at < Date.now() - REMEMBER_COMPLETED_MS) return undefined;
    const checksum = fromJson<StoredChecksum>(r.checksum);
    return { bucket: r.bucket, key: r.key, etag: r.etag, ...(checksum ? { checksum } : {}) };
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const blobs = this.db.transaction(() => {
      this.uploadRow(bucket, key, uploadId);
      const b = (this.db.prepare('SELECT blob FROM s3_parts WHERE upload_id = ?').all(uploadId) as { blob: string }[]).map((r) => r.blob);
      this.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
      return b;
    })();
    await Promise.all(blobs.map((b) => this.blobs.remove(b)));
  }

  list(bucket: string, prefix: string): MultipartUpload[] {
    requireBucket(this.db, bucket);
    const rows = this.db.prepare('SELECT * FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated LIMIT 10000').all(bucket) as UploadRow[];
    return rows.filter((r) => r.key.startsWith(prefix)).map(toUpload);
  }

  private uploadRow(bucket: string, key: string, uploadId: string): UploadRow {
    const row = this.db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
    if (!row || row.bucket !== bucket || row.key !== key) {
      requireBucket(this.db, bucket);
      throw new NoSuchUpload(uploadId);
    }
    return row;
  }
}
