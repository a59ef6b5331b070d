/**
 * @module storage/blobs/parallel-md5 — MD5 of a large body on a worker thread, so hashing (the
 * ETag S3 requires; ~1.3 s per GiB on one core) overlaps with receiving and writing the bytes.
 *
 * Chunks are copied into a fixed shared ring buffer and only offsets are posted, so memory stays
 * flat (no per-chunk allocations for the GC to catch up with). `update` returns a promise to
 * await when the ring is full.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash('md5');
const ring = new Uint8Array(workerData);
parentPort.on('message', (m) => {
  if (m === null) return parentPort.postMessage({ digest: hash.digest() });
  hash.update(ring.subarray(m[0], m[0] + m[1]));
  parentPort.postMessage(m[1]);
});
`;

export class ParallelMd5 {
  private readonly ring: Uint8Array;
  private readonly worker: Worker;
  private writePos = 0;
  private pending = 0;
  private waiter: { need: number; resolve: () => void } | undefined;
  private done: ((digest: Buffer) => void) | undefined;
  private failed: Error | undefined;

  constructor(private readonly capacity = 8 * 1024 * 1024) {
    const sab = new SharedArrayBuffer(capacity);
    this.ring = new Uint8Array(sab);
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: sab, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    this.worker.on('message', (m: number | { digest: Uint8Array }) => {
      if (typeof m === 'number') {
        this.pending -= m;
        if (this.waiter && this.pending + this.waiter.need <= this.capacity) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve();
        }
      } else {
        this.done?.(Buffer.from(m.digest));
      }
    });
    this.worker.on('error', (err) => {
      this.failed = err;
      this.waiter?.resolve();
    });
  }

  /** Hashes `chunk` in order; when it returns a promise, await it before the next call. */
  update(chunk: Buffer): Promise<void> | undefined {
    if (this.failed) throw this.failed;
    if (chunk.length > this.capacity) {
      // Larger than the ring: feed it in ring-sized slices, each waiting for room.
      return (async () => {
        for (let i = 0; i < chunk.length; i += this.capacity / 2) {
          const wait = this.update(chunk.subarray(i, Math.min(chunk.length, i + this.capacity / 2)));
          if (wait) await wait;
        }
      })();
    }
    if (this.pending + chunk.length > this.capacity) {
      return new Promise<void>((resolve) => (this.waiter = { need: chunk.length, resolve })).then(() => this.update(chunk));
    }
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.capacity - this.writePos);
      this.ring.set(chunk.subarray(off, off + n), this.writePos);
      this.worker.postMessage([this.writePos, n]);
      this.pending += n;
      this.writePos = (this.writePos + n) % this.capacity;
      off += n;
    }
    return undefined;
  }

  async digest(): Promise<Buffer> {
    if (this.failed) throw this.failed;
    const d = new Promise<Buffer>((resolve) => (this.done = resolve));
    this.worker.postMessage(null);
    try {
      return await d;
    } finally {
      void this.worker.terminate();
    }
  }

  close(): void {
    void this.worker.terminate();
  }
}
