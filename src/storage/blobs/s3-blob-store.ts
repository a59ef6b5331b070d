/**
 * @module storage/blobs/s3-blob-store — blobs as objects in any S3-compatible store
 * (`SLIPWAY_OBJECT_STORE_URL=s3://bucket/prefix`): each blob is one foreign object
 * `<prefix><random id>`, never named after a user's key. Metadata stays in Slipway's database.
 *
 *   write:   body ─► pump (tap, SSE, MD5) ─► lib-storage Upload (one PUT, or a multipart upload
 *            for large bodies, aborted on any error) ─► caller commits the row
 *   read:    GET (ranged: `Range: bytes=a-b`)
 *   copy:    CopyObject server-side; concat (multipart completion): UploadPartCopy per part
 *   sweep:   startup: foreign objects under the prefix that no row names and unfinished uploads,
 *            older than a grace period (another replica may be between its write and its commit)
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { logger } from '../../platform/logger.js';
import type { ForeignStoreSettings } from '../../platform/object-store-settings.js';
import { pumpBody } from './blob-pump.js';
import { BlobMissing, type BlobStore, type BlobWriteOptions, type ChunkTap, type WrittenBlob } from './blob-store.js';
import { foreignCode, foreignStatus, foreignStoreError } from './foreign-store-error.js';

const ID = /^[0-9a-f]{32}$/;
/** lib-storage buffers queueSize × partSize per upload; bodies up to one part are a single PUT. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;
/** S3's limit for CopyObject and for one UploadPartCopy. */
const MAX_COPY = 5 * 1024 ** 3;
/** Parts copied at once when composing a multipart object. */
const COPY_CONCURRENCY = 4;
/** Longest silence allowed to a server-side copy or composition once it answered. */
const COPY_TIMEOUT_MS = 15 * 60 * 1000;
/** Copy speed assumed when bounding how long a store may take to answer a copy (slow disks). */
const COPY_BYTES_PER_SECOND = 8 * 1024 * 1024;

function newClient(settings: ForeignStoreSettings, timeoutMs: number): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // Bounded: a store that stops answering fails the request (503), it never hangs it. The
    // request timeout runs until the response headers (it only warns unless told to throw);
    // the socket timeout covers silence while a body streams.
    requestHandler: { connectionTimeout: settings.connectTimeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true, socketTimeout: timeoutMs },
    maxAttempts: 3,
    // Slipway hashes and checks what it stores itself; extra checksums only cost CPU here.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface S3BlobStoreOptions {
  /** Unreferenced blobs younger than this are kept by `sweep` (default one day). */
  sweepGraceMs?: number;
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly copyClient: S3Client;
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  private readonly graceMs: number;

  constructor(
    private readonly settings: ForeignStoreSettings,
    opts: S3BlobStoreOptions = {},
  ) {
    this.bucket = settings.bucket;
    this.prefix = settings.prefix;
    this.graceMs = opts.sweepGraceMs ?? 24 * 3600 * 1000;
    this.client = newClient(settings, settings.requestTimeoutMs);
    // Server-side copies of gigabytes may keep a store silent for minutes (some answer only when
    // the copy is done): their own client, and a wait for the answer that grows with the size.
    this.copyClient = newClient(settings, Math.max(settings.requestTimeoutMs, COPY_TIMEOUT_MS));
  }

  /** How long a copy of `bytes` may take to answer: the usual timeout plus time to copy at a slow disk's pace. */
  private copyWait(bytes: number): { requestTimeout: number } {
    return { requestTimeout: this.settings.requestTimeoutMs + Math.ceil((bytes / COPY_BYTES_PER_SECOND) * 1000) };
  }

  static newId(): string {
    return randomBytes(16).toString('hex');
  }

  keyOf(id: string): string {
    if (!ID.test(id)) throw new Error(`invalid blob id ${JSON.stringify(id)}`);
    return this.prefix + id;
  }

  pathOf(): string {
    return '';
  }

  /** Startup check: the bucket answers with these credentials. Throws a sentence for the operator. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const where = `${this.settings.url}${this.settings.endpoint ? ` at ${this.settings.endpoint}` : ''}`;
      const status = foreignStatus(err);
      const why =
        foreignCode(err) === 'CredentialsProviderError'
          ? `no credentials for the store (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile or role the AWS SDK finds): ${(err as Error).message}`
          : status === 404
          ? `the bucket ${this.bucket} does not exist`
          : status === 403 || status === 401
            ? `access is denied (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION)`
            : `the store cannot be reached or refused the request (${foreignCode(err)}${status ? ` ${status}` : ''}: ${(err as Error).message})`;
      throw new Error(`SLIPWAY_OBJECT_STORE_URL ${where}: ${why}`);
    }
  }

  async write(body: Readable | AsyncIterable<Buffer>, tap?: ChunkTap, opts: BlobWriteOptions = {}): Promise<WrittenBlob> {
    const id = S3BlobStore.newId();
    const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.keyOf(id), Body: pass },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    let uploadError: unknown;
    const done = upload.done().then(
      () => undefined,
      (err: unknown) => {
        uploadError ??= err;
        pass.destroy();
        throw err;
      },
    );
    done.catch(() => undefined);
    const failed = new Promise<never>((_, reject) => void done.catch(reject));
    failed.catch(() => undefined);
    const sink = {
      push(chunk: Buffer): Promise<void> | undefined {
        if (uploadError) throw uploadError;
        if (pass.write(chunk)) return undefined;
        // Waiting for drain must also end when the upload fails (nothing would drain then).
        return Promise.race([new Promise<void>((resolve) => pass.once('drain', resolve)), failed]);
      },
      async finish(): Promise<void> {
        pass.end();
        await done;
      },
    };
    try {
      const { size, md5 } = await pumpBody(body, sink, tap, opts);
      return { id, path: '', size, md5 };
    } catch (err) {
      if (body instanceof Readable && !body.destroyed) body.destroy();
      // Aborts an unfinished multipart upload (leavePartsOnError: false); an object the upload
      // finished before the failure (a tap or hash error after the last byte) is deleted.
      await upload.abort().catch(() => undefined);
      pass.destroy();
      await done.catch(() => undefined);
      await this.remove(id);
      throw err === uploadError ? foreignStoreError(err) : err;
    }
  }

  async copy(id: string, size: number): Promise<{ id: string }> {
    if (size > MAX_COPY) return this.concat([{ id, size }]);
    const to = S3BlobStore.newId();
    try {
      await this.copyClient.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.keyOf(to), CopySource: this.copySource(id) }), this.copyWait(size));
    } catch (err) {
      throw this.missingOr(err, id);
    }
    return { id: to };
  }

  async concat(parts: readonly { id: string; size: number }[]): Promise<WrittenBlob> {
    const sources = parts.filter((p) => p.size > 0);
    const size = sources.reduce((n, p) => n + p.size, 0);
    const id = S3BlobStore.newId();
    const Key = this.keyOf(id);
    if (sources.length === 0) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: Buffer.alloc(0) })).catch((err: unknown) => {
        throw foreignStoreError(err);
      });
      return { id, path: '', size: 0, md5: Buffer.alloc(0) };
    }
    if (sources.length === 1 && size <= MAX_COPY) return { ...(await this.copy(sources[0]!.id, size)), path: '', size, md5: Buffer.alloc(0) };
    // Server-side composition: the bytes never pass through Slipway. S3's rule that every part
    // but the last is at least 5 MiB holds: the S3 surface refused smaller parts already.
    const pieces = sources.flatMap((p) => ranges(p.size).map((r) => ({ id: p.id, ...r })));
    let uploadId: string | undefined;
    try {
      uploadId = (await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }))).UploadId;
      const etags: string[] = new Array<string>(pieces.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < pieces.length) {
          const i = next++;
          const p = pieces[i]!;
          const whole = p.start === 0 && p.end === p.size - 1;
          const out = await this.copyClient
            .send(
              new UploadPartCopyCommand({
                Bucket: this.bucket,
                Key,
                UploadId: uploadId,
                PartNumber: i + 1,
                CopySource: this.copySource(p.id),
                ...(whole ? {} : { CopySourceRange: `bytes=${p.start}-${p.end}` }),
              }),
              this.copyWait(p.end - p.start + 1),
            )
            .catch((err: unknown) => {
              throw this.missingOr(err, p.id);
            });
          etags[i] = out.CopyPartResult?.ETag ?? '';
        }
      };
      await Promise.all(Array.from({ length: Math.min(COPY_CONCURRENCY, pieces.length) }, worker));
      await this.copyClient.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
        this.copyWait(size),
      );
    } catch (err) {
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).catch(() => undefined);
      throw err instanceof BlobMissing ? err : foreignStoreError(err);
    }
    return { id, path: '', size, md5: Buffer.alloc(0) };
  }

  async open(id: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return out.Body as Readable;
    } catch (err) {
      throw this.missingOr(err, id);
    }
  }

  /** Never fails the caller: the row is already gone, so a blob left behind is garbage `sweep` removes. */
  async remove(id: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id) }));
    } catch (err) {
      logger.warn({ err, blob: id, code: foreignCode(err) }, 'object store: could not delete a blob; the startup sweep will');
    }
  }

  async sweep(isReferenced: (id: string) => boolean | Promise<boolean>): Promise<{ removed: number }> {
    const before = Date.now() - this.graceMs;
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) {
        const name = (o.Key ?? '').slice(this.prefix.length);
        if (!ID.test(name) || (o.LastModified?.getTime() ?? 0) > before || (await isReferenced(name))) continue;
        await this.remove(name);
        removed++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // Writes cut short by a crash leave unfinished multipart uploads (their parts cost storage).
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(idMarker ? { UploadIdMarker: idMarker } : {}),
        }),
      );
      for (const u of page.Uploads ?? []) {
        const name = (u.Key ?? '').slice(this.prefix.length);
        if (!ID.test(name) || (u.Initiated?.getTime() ?? 0) > before) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId })).catch(() => undefined);
        removed++;
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
    return { removed };
  }

  close(): void {
    this.client.destroy();
    this.copyClient.destroy();
  }

  private copySource(id: string): string {
    return `${this.bucket}/${this.keyOf(id).split('/').map(encodeURIComponent).join('/')}`;
  }

  private missingOr(err: unknown, id: string): Error {
    const code = foreignCode(err);
    if (code === 'NoSuchKey' || (foreignStatus(err) === 404 && code !== 'NoSuchBucket')) return new BlobMissing(id);
    return foreignStoreError(err);
  }
}

/** Splits a source into UploadPartCopy ranges of at most 5 GiB, all but the last equally large. */
function ranges(size: number): { start: number; end: number; size: number }[] {
  const n = Math.ceil(size / MAX_COPY);
  const step = Math.ceil(size / n);
  const out: { start: number; end: number; size: number }[] = [];
  for (let start = 0; start < size; start += step) out.push({ start, end: Math.min(size, start + step) - 1, size });
  return out;
}
