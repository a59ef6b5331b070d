/**
 * @module storage/object-store — the object storage contract behind the S3 API and used
 * internally by controllers (input staging, model upload, model download).
 */
import type { Readable } from 'node:stream';

export interface ObjectMeta {
  bucket: string;
  key: string;
  size: number;
  /** Quoted as S3 sends it, e.g. `"d41d8cd98f00b204e9800998ecf8427e"` or `"...-3"` for multipart. */
  etag: string;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
  /**
   * Absolute path of the immutable file holding the bytes. A new write makes a new file, so a hard
   * link taken from this path keeps the bytes it saw (zero-copy staging). Empty for objects
   * encrypted at rest (SSE-S3): their file is ciphertext, read them with `getObject`.
   */
  blobPath: string;
}

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
}

export interface ByteRange {
  /** Inclusive start and end, already validated against the size. */
  start: number;
  end: number;
}

/**
 * What callers can rely on: writes are atomic (readers see the old object or the new one, never
 * a partial one, also across a crash); bytes are streamed; errors are typed S3 `ServiceError`s
 * (`NoSuchBucket`, `NoSuchKey`, ...).
 */
export interface ObjectStore {
  createBucket(bucket: string): Promise<void>;
  bucketExists(bucket: string): Promise<boolean>;
  headObject(bucket: string, key: string): Promise<ObjectMeta | undefined>;
  getObject(bucket: string, key: string, range?: ByteRange): Promise<{ meta: ObjectMeta; body: Readable }>;
  putObject(bucket: string, key: string, body: Readable, opts?: PutOptions): Promise<ObjectMeta>;
  deleteObject(bucket: string, key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order (UTF-8 binary order, as S3). */
  listAll(bucket: string, prefix: string): AsyncIterable<ObjectMeta>;
}
