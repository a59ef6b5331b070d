/**
 * @module storage/blobs/blob-store — the contract between the object store's metadata (rows) and
 * where object bytes live: the data directory (`BlobDirectory`, the default) or any S3-compatible
 * store (`S3BlobStore`, `SLIPWAY_OBJECT_STORE_URL`).
 *
 * A blob is immutable and named by a random id (never by an object key). The metadata store
 * commits a row naming a blob only after the blob is complete, and removes a blob only after the
 * row that named it is gone, so a crash leaves at most unreferenced blobs, which `sweep` removes.
 */
import type { Readable } from 'node:stream';

export interface WrittenBlob {
  id: string;
  /** Local file holding the bytes ('' when the store is not a local directory). */
  path: string;
  size: number;
  /** Raw MD5 digest of the bytes written (empty when not computed). */
  md5: Buffer;
}

/** Observes each chunk as it streams through (checksums) without buffering the body. */
export type ChunkTap = (chunk: Buffer) => void;

export interface BlobWriteOptions {
  expectedSize?: number;
  /** Compute the MD5 of what is stored (default true). */
  md5?: boolean;
  /** Transforms each chunk before it is stored and hashed (SSE: the store sees ciphertext). */
  encrypt?: (chunk: Buffer) => Buffer;
}

/** A blob whose bytes are missing from the store: the row that named it was replaced or deleted meanwhile. */
export class BlobMissing extends Error {
  constructor(readonly id: string) {
    super(`blob ${id} is not in the object store`);
    this.name = 'BlobMissing';
  }
}

export interface BlobStore {
  /** 'directory': blobs are local files that may be hard-linked; 's3': only streamed. */
  readonly kind: 'directory' | 's3';
  /**
   * Streams `body` into a new blob, durable when this resolves but referenced by nothing: the
   * caller commits a row naming it or calls `remove`. On any error nothing is left behind (a
   * crash may leave a blob or an unfinished upload that `sweep` removes).
   */
  write(body: Readable | AsyncIterable<Buffer>, tap?: ChunkTap, opts?: BlobWriteOptions): Promise<WrittenBlob>;
  /** A new blob holding the given blobs' bytes in order (multipart completion). No MD5. `BlobMissing` when one is gone. */
  concat(parts: readonly { id: string; size: number }[]): Promise<WrittenBlob>;
  /**
   * A new blob with the bytes of `id` (CopyObject; the directory hard-links). Rejects with
   * `BlobMissing` when the source is gone: the row that named it changed since it was read.
   */
  copy(id: string, size: number): Promise<{ id: string }>;
  /**
   * Opens `id` (whole, or the inclusive `range`) for reading; an opened blob stays readable when
   * it is removed meanwhile. Rejects with `BlobMissing` when the blob is gone.
   */
  open(id: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Deletes a blob; a missing one is not an error. */
  remove(id: string): Promise<void>;
  /** Local path of a blob for hard links, or '' when blobs are not local files. */
  pathOf(id: string): string;
  /**
   * Removes crash leftovers: blobs (and unfinished writes) that `isReferenced` does not claim.
   * The directory's runs before blobs are written (it empties tmp/); a foreign store's keeps
   * blobs younger than its grace period, so it may run beside writes (other replicas').
   */
  sweep(isReferenced: (id: string) => boolean | Promise<boolean>): Promise<{ removed: number }>;
}
