/**
 * @module storage/sqlite/sqlite-object-store — the embedded object store: bucket/object/multipart
 * metadata in SQLite (migration 002-objects), bytes in immutable blob files (storage/blobs).
 *
 *   write:  stream ─► tmp blob ─fsync─► blobs/xx/<id> ─► beforeCommit (digests) ─► TX upsert row ─► unlink old blob
 *   read:   row lookup + open(fd) in one synchronous step ─► stream from fd
 *   start:  sweep tmp/ and every blob no row references (crash leftovers)
 *
 * An object is visible only once its row commits, so a crash at any point leaves the old object
 * or the new one, never a partial one.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ByteRange, ObjectStore } from '../object-store.js';
import type {
  BucketInfo,
  ChecksumAlgorithm,
  CopyOptions,
  ListPage,
  ListQuery,
  MultipartUpload,
  OpenedObject,
  PartInfo,
  S3Backend,
  StoredChecksum,
  StoredObject,
  WriteOptions,
} from '../../services/s3/backend.js';
import { BlobDirectory } from '../blobs/blob-directory.js';
import { BlobReadStream } from '../blobs/blob-read-stream.js';
import { NoSuchBucket, NoSuchKey, NoSuchUpload, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import type { Db } from './database.js';

interface ObjectRow {
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
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  content_type: string;
  metadata: string;
  headers: string;
  checksum_algorithm: string | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  last_modified: number;
  checksum_value: string | null;
  blob: string;
}

export const MAX_KEY_BYTES = 1024;
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

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

/** Smallest byte string strictly greater than `s`. */
function justAfter(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function quoteEtag(hex: string): string {
  return `"${hex}"`;
}

export function unquoteEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

export class SqliteObjectStore implements ObjectStore, S3Backend {
  readonly blobs: BlobDirectory;

  constructor(
    private readonly db: Db,
    root: string,
  ) {
    this.blobs = new BlobDirectory(root);
    this.recover();
  }

  /** Deletes crash leftovers: temp files and blobs that no committed row names. */
  recover(): { removed: number } {
    const referenced = new Set<string>();
    for (const r of this.db.prepare('SELECT blob FROM s3_objects UNION ALL SELECT blob FROM s3_parts').iterate() as Iterable<{
      blob: string;
    }>) {
      referenced.add(r.blob);
    }
    return this.blobs.sweep((id) => referenced.has(id));
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
    return this.hasBucket(bucket);
  }

  /** Fails with BucketNotEmpty while objects remain; unfinished multipart uploads are discarded. */
  async deleteBucket(bucket: string): Promise<void> {
    const partBlobs = this.db.transaction(() => {
      this.requireBucket(bucket);
      if (this.db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1').get(bucket)) {
        throw S3Errors.bucketNotEmpty(bucket);
      }
      const blobs = (
        this.db
          .prepare('SELECT p.blob FROM s3_parts p JOIN s3_uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ?')
          .all(bucket) as { blob: string }[]
      ).map((r) => r.blob);
      this.db.prepare('DELETE FROM s3_uploads WHERE bucket = ?').run(bucket);
      this.db.prepare('DELETE FROM s3_buckets WHERE name = ?').run(bucket);
      return blobs;
    })();
    await Promise.all(partBlobs.map((b) => this.blobs.remove(b)));
  }

  // ---- objects -------------------------------------------------------------------------------

  async headObject(bucket: string, key: string): Promise<StoredObject | undefined> {
    const row = this.objectRow(bucket, key);
    if (!row) {
      this.requireBucket(bucket);
      return undefined;
    }
    return this.toObject(row);
  }

  async getObject(bucket: string, key: string, range?: ByteRange): Promise<{ meta: StoredObject; body: Readable }> {
    const { meta, body } = await this.openObject(bucket, key, () => range);
    return { meta, body };
  }

  async openObject(
    bucket: string,
    key: string,
    pick?: (meta: StoredObject) => ByteRange | undefined,
  ): Promise<OpenedObject> {
    // Lookup and open happen in one synchronous step: a concurrent replace unlinks the old blob
    // only after its commit, so the fd we get always belongs to the row we read.
    const row = this.objectRow(bucket, key);
    if (!row) {
      this.requireBucket(bucket);
      throw new NoSuchKey(key);
    }
    const meta = this.toObject(row);
    const range = pick?.(meta);
    const fd = this.blobs.openSync(row.blob);
    const body = new BlobReadStream(fd, range);
    return { meta, body, ...(range ? { range } : {}) };
  }

  async putObject(bucket: string, key: string, body: Readable, opts: WriteOptions = {}): Promise<StoredObject> {
    return this.writeObject(bucket, key, body, opts);
  }

  async writeObject(bucket: string, key: string, body: Readable, opts: WriteOptions = {}): Promise<StoredObject> {
    checkKey(key);
    this.requireBucket(bucket);
    this.checkWriteConditions(bucket, key, opts);
    const blob = await this.blobs.write(body, opts.tap, opts.expectedSize !== undefined ? { expectedSize: opts.expectedSize } : {});
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
      };
      oldBlob = this.db.transaction(() => {
        this.requireBucket(bucket);
        this.checkWriteConditions(bucket, key, opts);
        return this.upsertObject(row);
      })();
      stored = this.toObject(row);
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw err;
    }
    if (oldBlob) await this.blobs.remove(oldBlob);
    return stored;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const old = this.db.transaction(() => {
      this.requireBucket(bucket);
      const r = this.db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob').get(bucket, key) as
        | { blob: string }
        | undefined;
      return r?.blob;
    })();
    if (old) await this.blobs.remove(old);
  }

  async copyObject(
    srcBucket: string,
    srcKey: string,
    dstBucket: string,
    dstKey: string,
    opts: CopyOptions,
  ): Promise<StoredObject> {
    checkKey(dstKey);
    // Everything up to the commit is synchronous: the source blob cannot be unlinked between the
    // lookup and the hard link, and the link shares bytes instead of copying them.
    const src = this.objectRow(srcBucket, srcKey);
    if (!src) {
      this.requireBucket(srcBucket);
      throw new NoSuchKey(srcKey);
    }
    const srcObj = this.toObject(src);
    opts.checkSource?.(srcObj);
    this.requireBucket(dstBucket);
    const replace = opts.metadataDirective === 'REPLACE';
    const link = this.blobs.linkSync(this.blobs.pathOf(src.blob));
    const row: ObjectRow = {
      ...src,
      bucket: dstBucket,
      key: dstKey,
      last_modified: Date.now(),
      content_type: replace ? (opts.contentType ?? DEFAULT_CONTENT_TYPE) : src.content_type,
      metadata: replace ? JSON.stringify(opts.metadata ?? {}) : src.metadata,
      headers: replace ? JSON.stringify(opts.headers ?? {}) : src.headers,
      blob: link.id,
    };
    let old: string | undefined;
    try {
      old = this.db.transaction(() => this.upsertObject(row))();
    } catch (err) {
      await this.blobs.remove(link.id);
      throw err;
    }
    if (old) await this.blobs.remove(old);
    return this.toObject(row);
  }

  async listObjects(bucket: string, q: ListQuery): Promise<ListPage> {
    this.requireBucket(bucket);
    const page: ListPage = { contents: [], commonPrefixes: [], isTruncated: false };
    const { prefix, delimiter } = q;
    const upper = prefix ? prefixUpperBound(prefix) : undefined;
    let lower: Buffer = Buffer.from(prefix, 'utf8');
    const commonPrefixOf = (key: string): string | undefined => {
      if (!delimiter || !key.startsWith(prefix)) return undefined;
      const i = key.indexOf(delimiter, prefix.length);
      return i < 0 ? undefined : key.slice(0, i + delimiter.length);
    };
    if (q.after !== undefined) {
      // A marker inside a common prefix (or equal to one) skips that whole group: it was returned already.
      const cp = commonPrefixOf(q.after);
      const afterBound = cp !== undefined ? prefixUpperBound(cp) : justAfter(q.after);
      if (!afterBound) return page;
      if (Buffer.compare(afterBound, lower) > 0) lower = afterBound;
    }
    if (q.maxKeys <= 0) return page;

    const sql =
      'SELECT * FROM s3_objects WHERE bucket = ? AND key >= CAST(? AS TEXT)' +
      (upper ? ' AND key < CAST(? AS TEXT)' : '') +
      ' ORDER BY key LIMIT ?';
    const stmt = this.db.prepare(sql);
    let count = 0;
    const batch = Math.min(q.maxKeys + 1, 1000);
    for (;;) {
      const params: unknown[] = [bucket, lower, ...(upper ? [upper] : []), batch];
      const rows = stmt.all(...params) as ObjectRow[];
      if (rows.length === 0) return page;
      let skipTo: Buffer | undefined;
      for (const row of rows) {
        if (count === q.maxKeys) {
          page.isTruncated = true;
          return page;
        }
        const cp = commonPrefixOf(row.key);
        if (cp !== undefined) {
          page.commonPrefixes.push(cp);
          page.last = cp;
          count++;
          skipTo = prefixUpperBound(cp);
          if (!skipTo) return page;
          break;
        }
        page.contents.push(this.toObject(row));
        page.last = row.key;
        count++;
      }
      if (skipTo) lower = skipTo;
      else if (rows.length < batch) return page;
      else lower = justAfter(rows[rows.length - 1]!.key);
    }
  }

  async *listAll(bucket: string, prefix: string): AsyncIterable<StoredObject> {
    let after: string | undefined;
    for (;;) {
      const page = await this.listObjects(bucket, { prefix, maxKeys: 1000, ...(after !== undefined ? { after } : {}) });
      yield* page.contents;
      if (!page.isTruncated || page.last === undefined) return;
      after = page.last;
    }
  }

  // ---- multipart -----------------------------------------------------------------------------

  async createMultipartUpload(
    bucket: string,
    key: string,
    opts: { contentType?: string; metadata?: Record<string, string>; headers?: Record<string, string>; checksumAlgorithm?: ChecksumAlgorithm },
  ): Promise<MultipartUpload> {
    checkKey(key);
    this.requireBucket(bucket);
    const row: UploadRow = {
      upload_id: randomBytes(24).toString('base64url'),
      bucket,
      key,
      initiated: Date.now(),
      content_type: opts.contentType ?? DEFAULT_CONTENT_TYPE,
      metadata: JSON.stringify(opts.metadata ?? {}),
      headers: JSON.stringify(opts.headers ?? {}),
      checksum_algorithm: opts.checksumAlgorithm ?? null,
    };
    this.db
      .prepare(
        `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, content_type, metadata, headers, checksum_algorithm)
         VALUES (@upload_id, @bucket, @key, @initiated, @content_type, @metadata, @headers, @checksum_algorithm)`,
      )
      .run(row);
    return toUpload(row);
  }

  async getUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUpload> {
    return toUpload(this.uploadRow(bucket, key, uploadId));
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts: Pick<WriteOptions, 'beforeCommit' | 'tap' | 'expectedSize'> = {},
  ): Promise<PartInfo> {
    this.uploadRow(bucket, key, uploadId);
    const blob = await this.blobs.write(body, opts.tap, opts.expectedSize !== undefined ? { expectedSize: opts.expectedSize } : {});
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
      };
      old = this.db.transaction(() => {
        this.uploadRow(bucket, key, uploadId);
        const prev = this.db
          .prepare('SELECT blob FROM s3_parts WHERE upload_id = ? AND part_number = ?')
          .get(uploadId, partNumber) as { blob: string } | undefined;
        this.db
          .prepare(
            `INSERT OR REPLACE INTO s3_parts (upload_id, part_number, size, etag, last_modified, checksum_value, blob)
             VALUES (@upload_id, @part_number, @size, @etag, @last_modified, @checksum_value, @blob)`,
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

  async listParts(
    bucket: string,
    key: string,
    uploadId: string,
    after: number,
    maxParts: number,
  ): Promise<{ parts: PartInfo[]; isTruncated: boolean }> {
    this.uploadRow(bucket, key, uploadId);
    const rows = this.db
      .prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?')
      .all(uploadId, after, maxParts + 1) as PartRow[];
    return { parts: rows.slice(0, maxParts).map(toPart), isTruncated: rows.length > maxParts };
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    composeChecksum?: (upload: MultipartUpload, parts: PartInfo[]) => StoredChecksum | undefined,
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
    const checksum = composeChecksum?.(toUpload(upload), chosen.map(toPart));
    const md5s = Buffer.concat(chosen.map((p) => Buffer.from(unquoteEtag(p.etag), 'hex')));
    const etag = quoteEtag(`${createHash('md5').update(md5s).digest('hex')}-${chosen.length}`);

    const blob = await this.blobs.concat(chosen.map((p) => this.blobs.pathOf(p.blob)));
    const row: ObjectRow = {
      bucket,
      key,
      size: blob.size,
      etag,
      last_modified: Date.now(),
      content_type: upload.content_type,
      metadata: upload.metadata,
      headers: upload.headers,
      checksum_algorithm: checksum?.algorithm ?? null,
      checksum_value: checksum?.value ?? null,
      checksum_type: checksum?.type ?? null,
      blob: blob.id,
    };
    let garbage: string[];
    try {
      garbage = this.db.transaction(() => {
        this.uploadRow(bucket, key, uploadId); // aborted or completed meanwhile: NoSuchUpload
        const partBlobs = (this.db.prepare('SELECT blob FROM s3_parts WHERE upload_id = ?').all(uploadId) as { blob: string }[]).map(
          (r) => r.blob,
        );
        this.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
        const old = this.upsertObject(row);
        return old ? [...partBlobs, old] : partBlobs;
      })();
    } catch (err) {
      await this.blobs.remove(blob.id);
      throw err;
    }
    await Promise.all(garbage.map((b) => this.blobs.remove(b)));
    return this.toObject(row);
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const blobs = this.db.transaction(() => {
      this.uploadRow(bucket, key, uploadId);
      const b = (this.db.prepare('SELECT blob FROM s3_parts WHERE upload_id = ?').all(uploadId) as { blob: string }[]).map((r) => r.blob);
      this.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
      return b;
    })();
    await Promise.all(blobs.map((b) => this.blobs.remove(b)));
  }

  async listMultipartUploads(bucket: string, prefix: string): Promise<MultipartUpload[]> {
    this.requireBucket(bucket);
    const rows = this.db
      .prepare('SELECT * FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated LIMIT 10000')
      .all(bucket) as UploadRow[];
    return rows.filter((r) => r.key.startsWith(prefix)).map(toUpload);
  }

  // ---- internals -----------------------------------------------------------------------------

  private hasBucket(bucket: string): boolean {
    return this.db.prepare('SELECT 1 FROM s3_buckets WHERE name = ?').get(bucket) !== undefined;
  }

  private requireBucket(bucket: string): void {
    if (!this.hasBucket(bucket)) throw new NoSuchBucket(bucket);
  }

  private objectRow(bucket: string, key: string): ObjectRow | undefined {
    return this.db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?').get(bucket, key) as ObjectRow | undefined;
  }

  private uploadRow(bucket: string, key: string, uploadId: string): UploadRow {
    const row = this.db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
    if (!row || row.bucket !== bucket || row.key !== key) {
      this.requireBucket(bucket);
      throw new NoSuchUpload(uploadId);
    }
    return row;
  }

  private checkWriteConditions(bucket: string, key: string, opts: WriteOptions): void {
    if (opts.ifNoneMatch === undefined && opts.ifMatch === undefined) return;
    const cur = this.objectRow(bucket, key);
    if (opts.ifNoneMatch !== undefined && cur && (opts.ifNoneMatch === '*' || unquoteEtag(opts.ifNoneMatch) === unquoteEtag(cur.etag))) {
      throw S3Errors.preconditionFailed('If-None-Match');
    }
    if (opts.ifMatch !== undefined) {
      if (!cur) throw new NoSuchKey(key);
      if (opts.ifMatch !== '*' && unquoteEtag(opts.ifMatch) !== unquoteEtag(cur.etag)) throw S3Errors.preconditionFailed('If-Match');
    }
  }

  /** Inserts or replaces the row; returns the blob of the replaced object (to unlink after commit). */
  private upsertObject(row: ObjectRow): string | undefined {
    const prev = this.db.prepare('SELECT blob FROM s3_objects WHERE bucket = ? AND key = ?').get(row.bucket, row.key) as
      | { blob: string }
      | undefined;
    this.db
      .prepare(
        `INSERT OR REPLACE INTO s3_objects
           (bucket, key, size, etag, last_modified, content_type, metadata, headers, checksum_algorithm, checksum_value, checksum_type, blob)
         VALUES (@bucket, @key, @size, @etag, @last_modified, @content_type, @metadata, @headers, @checksum_algorithm, @checksum_value, @checksum_type, @blob)`,
      )
      .run(row);
    return prev && prev.blob !== row.blob ? prev.blob : undefined;
  }

  private toObject(r: ObjectRow): StoredObject {
    const obj: StoredObject = {
      bucket: r.bucket,
      key: r.key,
      size: r.size,
      etag: r.etag,
      lastModified: new Date(r.last_modified),
      contentType: r.content_type,
      metadata: JSON.parse(r.metadata) as Record<string, string>,
      headers: JSON.parse(r.headers) as Record<string, string>,
      blobPath: this.blobs.pathOf(r.blob),
    };
    if (r.checksum_algorithm && r.checksum_value) {
      obj.checksum = {
        algorithm: r.checksum_algorithm as ChecksumAlgorithm,
        value: r.checksum_value,
        type: (r.checksum_type ?? 'FULL_OBJECT') as StoredChecksum['type'],
      };
    }
    return obj;
  }
}

function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw S3Errors.keyTooLong();
}

function toUpload(r: UploadRow): MultipartUpload {
  return {
    uploadId: r.upload_id,
    bucket: r.bucket,
    key: r.key,
    initiated: new Date(r.initiated),
    contentType: r.content_type,
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    headers: JSON.parse(r.headers) as Record<string, string>,
    ...(r.checksum_algorithm ? { checksumAlgorithm: r.checksum_algorithm as ChecksumAlgorithm } : {}),
  };
}

function toPart(r: PartRow): PartInfo {
  return {
    partNumber: r.part_number,
    size: r.size,
    etag: r.etag,
    lastModified: new Date(r.last_modified),
    ...(r.checksum_value ? { checksum: r.checksum_value } : {}),
  };
}
