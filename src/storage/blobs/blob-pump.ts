/**
 * @module storage/blobs/blob-pump — the loop both blob stores share: reads a body, shows each
 * chunk to the tap (checksums see the plaintext), encrypts it (SSE), hashes what is stored (the
 * ETag is the MD5 of the stored bytes) and hands it to a sink with backpressure.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobWriteOptions, ChunkTap } from './blob-store.js';
import { ParallelMd5 } from './parallel-md5.js';

/** Below this a worker thread costs more than it saves. */
const PARALLEL_HASH_MIN = 16 * 1024 * 1024;

/** Where pumped bytes go: a local file (FileWriter) or a foreign upload (S3BlobStore). */
export interface BlobSink {
  /** Takes `chunk` (by reference); a promise means "wait before the next one". */
  push(chunk: Buffer): Promise<void> | undefined;
  /** Everything pushed is durable when this resolves. */
  finish(): Promise<void>;
}

export async function pumpBody(
  body: Readable | AsyncIterable<Buffer>,
  sink: BlobSink,
  tap: ChunkTap | undefined,
  opts: BlobWriteOptions,
): Promise<{ size: number; md5: Buffer }> {
  // Large bodies hash on a worker thread, overlapping with network and disk I/O.
  const hashing = opts.md5 !== false;
  const parallel = hashing && (opts.expectedSize ?? 0) >= PARALLEL_HASH_MIN ? new ParallelMd5() : undefined;
  const md5 = hashing && !parallel ? createHash('md5') : undefined;
  let size = 0;
  try {
    const encrypt = opts.encrypt;
    for await (const c of body as AsyncIterable<Buffer | string>) {
      let chunk = typeof c === 'string' ? Buffer.from(c) : c;
      size += chunk.length;
      tap?.(chunk);
      // SSE: checksums see the plaintext, the hash (the ETag) and the store the ciphertext.
      if (encrypt) chunk = encrypt(chunk);
      if (parallel) {
        const wait = parallel.update(chunk);
        if (wait) await wait;
      } else md5?.update(chunk);
      const wait = sink.push(chunk);
      if (wait) await wait;
    }
    // The worker hashes the ring's last bytes while the sink finishes.
    const [digest] = await Promise.all([parallel ? parallel.digest() : Promise.resolve(md5?.digest() ?? Buffer.alloc(0)), sink.finish()]);
    return { size, md5: digest };
  } catch (err) {
    parallel?.close();
    throw err;
  }
}
