/**
 * @module storage/blobs/blob-directory — immutable blob files under one directory: streamed
 * writes into `tmp/`, fsync, rename into `blobs/<xx>/<id>`; crash leftovers swept at startup.
 *
 *   body ──► tmp/<id> ──fsync──► rename ──► blobs/<id[0..2]>/<id> ──► (caller commits a row naming <id>)
 *
 * Large bodies: each chunk is copied into a worker's MD5 ring (parallel-md5) and queued for a
 * batched pwritev (file-writer, which also fdatasyncs in the background so the closing fsync is
 * short); the digest and the final fsync finish together.
 *
 * Ids are random hex, never derived from object keys, so no key can name a path. `tmp/` and
 * `blobs/` share a file system (same parent), which makes the rename atomic and hard links work.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, linkSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { storageError } from './storage-full.js';
import { FileWriter } from './file-writer.js';
import { pumpBody } from './blob-pump.js';
import { BlobReadStream } from './blob-read-stream.js';
import { BlobMissing, type BlobStore, type BlobWriteOptions, type ChunkTap, type WrittenBlob } from './blob-store.js';

export type { ChunkTap, WrittenBlob } from './blob-store.js';

const ID = /^[0-9a-f]{32}$/;
/** Large enough that a 1 GiB body is ~1000 syscalls per MiB fewer than the 16 KiB default. */
const WRITE_HWM = 1024 * 1024;

export class BlobDirectory implements BlobStore {
  readonly kind = 'directory' as const;
  readonly blobsDir: string;
  readonly tmpDir: string;
  private readonly madeDirs = new Set<string>();

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp');
    mkdirSync(this.blobsDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  static newId(): string {
    return randomBytes(16).toString('hex');
  }

  pathOf(id: string): string {
    if (!ID.test(id)) throw new Error(`invalid blob id ${JSON.stringify(id)}`);
    return join(this.blobsDir, id.slice(0, 2), id);
  }

  /**
   * Streams `body` into a new blob. The returned blob is durable (fsynced) and in its final
   * place but referenced by nothing yet: the caller commits a row naming it or calls `remove`.
   * On any error (client abort, disk full, tap throwing) nothing is left behind; a full disk
   * (ENOSPC, EDQUOT) is rethrown as the typed `InsufficientStorage`.
   */
  async write(body: Readable | AsyncIterable<Buffer>, tap?: ChunkTap, opts: BlobWriteOptions = {}): Promise<WrittenBlob> {
    const id = BlobDirectory.newId();
    const tmp = join(this.tmpDir, id);
    let file: FileWriter | undefined;
    try {
      file = await FileWriter.create(tmp);
      // One loop, no stream stages: each chunk is hashed, tapped and queued for a batched write;
      // either side's backpressure pauses the loop.
      const { size, md5 } = await pumpBody(body, file, tap, opts);
      return { id, path: await this.publish(tmp, id), size, md5 };
    } catch (err) {
      if (body instanceof Readable && !body.destroyed) body.destroy();
      await file?.abort();
      await unlink(tmp).catch(() => undefined);
      throw storageError(err);
    }
  }

  /** Concatenates existing blob files (multipart completion) into a new blob, streaming; no MD5 (the ETag is md5-of-md5s). */
  async concat(parts: readonly { id: string }[]): Promise<WrittenBlob> {
    const files = parts.map((p) => ({ id: p.id, path: this.pathOf(p.id) }));
    async function* all(): AsyncIterable<Buffer> {
      for (const f of files) {
        try {
          for await (const chunk of createReadStream(f.path, { highWaterMark: WRITE_HWM })) yield chunk as Buffer;
        } catch (err) {
          throw missing(err, f.id);
        }
      }
    }
    // A part file gone (its upload aborted or the part replaced) rejects with BlobMissing.
    return this.write(all(), undefined, { md5: false });
  }

  /**
   * New blob id sharing the bytes of `srcPath` (a hard link; blobs are immutable so this is a
   * zero-copy copy). Synchronous on purpose: callers look up the source row and link in the same
   * tick, so a concurrent replace cannot unlink the source in between.
   */
  linkSync(srcPath: string): { id: string; path: string } {
    const id = BlobDirectory.newId();
    const path = this.pathOf(id);
    this.ensureDir(path);
    linkSync(srcPath, path);
    return { id, path };
  }

  /** A hard link; BlobMissing when the source is gone (its row replaced since the caller read it). */
  async copy(id: string): Promise<{ id: string }> {
    try {
      return { id: this.linkSync(this.pathOf(id)).id };
    } catch (err) {
      throw missing(err, id);
    }
  }

  /** Opens a blob for reading now (same-tick as the row lookup; see `linkSync`). */
  openSync(id: string): number {
    return openSync(this.pathOf(id), 'r');
  }

  /** Opens the file now (an opened blob stays readable after a remove); BlobMissing when it is gone. */
  async open(id: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      return new BlobReadStream(this.openSync(id), range);
    } catch (err) {
      throw missing(err, id);
    }
  }

  async remove(id: string): Promise<void> {
    await unlink(this.pathOf(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /**
   * Startup recovery after a crash: empties `tmp/` (writes that never finished) and deletes blob
   * files no row references (written but never committed, or replaced and not yet unlinked).
   */
  async sweep(isReferenced: (id: string) => boolean | Promise<boolean>): Promise<{ removed: number }> {
    let removed = 0;
    for (const name of readdirSync(this.tmpDir)) {
      rmSync(join(this.tmpDir, name), { force: true, recursive: true });
      removed++;
    }
    for (const sub of readdirSync(this.blobsDir)) {
      const dir = join(this.blobsDir, sub);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (ID.test(name) && (await isReferenced(name))) continue;
        try {
          unlinkSync(join(dir, name));
          removed++;
        } catch {
          /* already gone */
        }
      }
    }
    return { removed };
  }

  private async publish(tmp: string, id: string): Promise<string> {
    const path = this.pathOf(id);
    this.ensureDir(path);
    await rename(tmp, path);
    return path;
  }

  private ensureDir(path: string): void {
    const dir = join(path, '..');
    if (this.madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.madeDirs.add(dir);
  }
}

/** ENOENT on a blob file: the blob is gone (BlobMissing); other errors unchanged. */
function missing(err: unknown, id: string): unknown {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new BlobMissing(id) : err;
}
