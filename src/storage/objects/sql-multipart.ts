/**
 * @module storage/objects/sql-multipart — multipart uploads of the object store: upload and part
 * rows on SqlDb, each part's bytes in its own blob, concatenated into one blob on completion.
 *
 *   create ─► upload row         part ─► blob ─► TX { lock upload, part row (replaces a part of
 *                                                     the same number) } ─► remove replaced blob
 *   complete ─► check parts, conditions, checksum ─► concat blobs ─► TX { lock upload and key,
 *               chosen parts unchanged, object row with its part layout, remember the completion,
 *               delete upload } ─► remove part blobs
 *
 * The upload row's lock (object-locks) orders UploadPart, Complete and Abort of one upload, also
 * across replicas: a part committed before a completion is removed with the upload, one after it
 * finds NoSuchUpload.
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
import { forUpdate, type SqlDb } from '../sql/sql-db.js';
import { lockKey, shareBucket } from './object-locks.js';
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

export class SqlMultipart {
  constructor(
    private readonly db: SqlDb,
    private readonly blobs: BlobStore,
    /** The record and key of a requested encryption (the object store's: it holds the server key). */
    private readonly encryption: (req: EncryptionRequest) => { record: EncryptionRecord; key: Buffer },
    /** Settles when new blobs may be written (the object store's startup sweep). */
    private readonly writable: Promise<unknown> = Promise.resolve(),
  ) {}

  async create(bucket: string, key: string, opts: CreateUploadOptions): Promise<MultipartUpload> {
    checkKey(key);
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
    await this.db.transaction(async () => {
      await shareBucket(this.db, bucket);
      await this.db.run(
        `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, content_type, metadata, headers, checksum_algorithm, checksum_type, tags, sse)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [row.upload_id, row.bucket, row.key, row.initiated, row.content_type, row.metadata, row.headers, row.checksum_algorithm, row.checksum_type, row.tags, row.sse],
      );
    });
    return toUpload(row);
  }

  async get(bucket: string, key: string, uploadId: string): Promise<MultipartUpload> {
    return toUpload(await this.uploadRow(bucket, key, uploadId));
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts: PartWriteOptions = {},
  ): Promise<PartInfo> {
    const upload = await this.uploadRow(bucket, key, uploadId);
    const sse = fromJson<EncryptionRecord>(upload.sse);
    let cipherKey: Buffer | undefined;
    if (sse?.kind === 'customer') {
      // The surface checks the key against the upload first; this only guards the invariant.
      if (!(opts.customerKey && keyMatches(sse, opts.customerKey.key))) throw S3Errors.invalidRequest('The upload was created with SSE-C: every part needs the same key.');
      cipherKey = opts.customerKey.key;
    } else if (sse?.kind === 's3') cipherKey = this.encryption({ s3: true }).key;
    const iv = cipherKey ? newIv() : undefined;
    await this.writable;
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
      const row = part;
      old = await this.db.transaction(async () => {
        await this.uploadRow(bucket, key, uploadId, true);
        const prev = await this.db.get<{ blob: string }>('SELECT blob FROM s3_parts WHERE upload_id = ? AND part_number = ?', [uploadId, partNumber]);
        await this.db.run(
          `INSERT INTO s3_parts (upload_id, part_number, size, etag, last_modified, checksum_value, blob, iv) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified,
             checksum_value = excluded.checksum_value, blob = excluded.blob, iv = excluded.iv`,
          [row.upload_id, row.part_number, row.size, row.etag, row.last_modified, row.checksum_value, row.blob, row.iv],
        );
        return prev?.blob;
      });
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw err;
    }
    if (old) await this.blobs.remove(old);
    return toPart(part);
  }

  async listParts(bucket: string, key: string, uploadId: string, after: number, maxParts: number): Promise<{ parts: PartInfo[]; isTruncated: boolean }> {
    await this.uploadRow(bucket, key, uploadId);
    const rows = await this.db.all<PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?', [uploadId, after, maxParts + 1]);
    return { parts: rows.slice(0, maxParts).map(toPart), isTruncated: rows.length > maxParts };
  }

  async complete(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    opts: CompleteOptions,
  ): Promise<StoredObject> {
    const upload = await this.uploadRow(bucket, key, uploadId);
    if (parts.length === 0) throw S3Errors.invalidRequest('You must specify at least one part');
    const stored = new Map((await this.db.all<PartRow>('SELECT * FROM s3_parts WHERE upload_id = ?', [uploadId])).map((p) => [p.part_number, p]));
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
    await checkWriteConditions(this.db, bucket, key, opts);
    const md5s = Buffer.concat(chosen.map((p) => Buffer.from(unquoteEtag(p.etag), 'hex')));
    const etag = quoteEtag(`${createHash('md5').update(md5s).digest('hex')}-${chosen.length}`);
    const layout: ObjectPart[] = chosen.map((p) => ({
      size: p.size,
      ...(p.checksum_value ? { checksum: p.checksum_value } : {}),
      ...(p.iv ? { iv: p.iv } : {}),
    }));

    await this.writable;
    const blob = await this.blobs.concat(chosen.map((p) => ({ id: p.blob, size: p.size }))).catch(async (err: unknown) => {
      // A part's bytes gone: the upload was aborted or the part replaced meanwhile.
      if (err instanceof BlobMissing) {
        await this.uploadRow(bucket, key, uploadId);
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
      garbage = await this.db.transaction(async () => {
        await shareBucket(this.db, bucket);
        await this.uploadRow(bucket, key, uploadId, true); // aborted or completed meanwhile: NoSuchUpload
        await lockKey(this.db, bucket, key);
        await checkWriteConditions(this.db, bucket, key, opts);
        const current = await this.db.all<{ part_number: number; etag: string; blob: string }>('SELECT part_number, etag, blob FROM s3_parts WHERE upload_id = ?', [uploadId]);
        // A chosen part uploaded again with other bytes while they were joined: the object would
        // not be what the part list names now.
        const etagOf = new Map(current.map((r) => [r.part_number, r.etag]));
        const changed = chosen.find((p) => etagOf.get(p.part_number) !== p.etag);
        if (changed) throw S3Errors.invalidPart(changed.part_number, changed.etag);
        await this.db.run('DELETE FROM s3_uploads WHERE upload_id = ?', [uploadId]);
        await this.db.run('DELETE FROM s3_completed_uploads WHERE completed_at < ?', [now - REMEMBER_COMPLETED_MS]);
        await this.db.run(
          `INSERT INTO s3_completed_uploads (upload_id, bucket, key, etag, checksum, completed_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (upload_id) DO UPDATE SET bucket = excluded.bucket, key = excluded.key, etag = excluded.etag,
             checksum = excluded.checksum, completed_at = excluded.completed_at`,
          [uploadId, bucket, key, etag, toJson(checksum), now],
        );
        const old = await upsertObject(this.db, row);
        const partBlobs = current.map((r) => r.blob);
        return old ? [...partBlobs, old] : partBlobs;
      });
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw err;
    }
    await Promise.all(garbage.map((b) => this.blobs.remove(b)));
    return toObject(row, this.blobs.pathOf(row.blob));
  }

  async completed(bucket: string, key: string, uploadId: string): Promise<CompletedUpload | undefined> {
    const r = await this.db.get<{ bucket: string; key: string; etag: string; checksum: string | null; completed_at: number }>(
      'SELECT bucket, key, etag, checksum, completed_at FROM s3_completed_uploads WHERE upload_id = ?',
      [uploadId],
    );
    if (!r || r.bucket !== bucket || r.key !== key || r.completed_at < Date.now() - REMEMBER_COMPLETED_MS) return undefined;
    const checksum = fromJson<StoredChecksum>(r.checksum);
    return { bucket: r.bucket, key: r.key, etag: r.etag, ...(checksum ? { checksum } : {}) };
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const blobs = await this.db.transaction(async () => {
      await this.uploadRow(bucket, key, uploadId, true);
      const b = (await this.db.all<{ blob: string }>('SELECT blob FROM s3_parts WHERE upload_id = ?', [uploadId])).map((r) => r.blob);
      await this.db.run('DELETE FROM s3_uploads WHERE upload_id = ?', [uploadId]);
      return b;
    });
    await Promise.all(blobs.map((b) => this.blobs.remove(b)));
  }

  async list(bucket: string, prefix: string): Promise<MultipartUpload[]> {
    await requireBucket(this.db, bucket);
    const rows = await this.db.all<UploadRow>('SELECT * FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated LIMIT 10000', [bucket]);
    return rows.filter((r) => r.key.startsWith(prefix)).map(toUpload);
  }

  /** The upload, locked until the transaction ends with `lock` (object-locks). */
  private async uploadRow(bucket: string, key: string, uploadId: string, lock = false): Promise<UploadRow> {
    const row = await this.db.get<UploadRow>(`SELECT * FROM s3_uploads WHERE upload_id = ?${lock ? forUpdate(this.db) : ''}`, [uploadId]);
    if (!row || row.bucket !== bucket || row.key !== key) {
      await requireBucket(this.db, bucket);
      throw new NoSuchUpload(uploadId);
    }
    return row;
  }
}
