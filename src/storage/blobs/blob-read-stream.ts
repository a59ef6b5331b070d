/**
 * @module storage/blobs/blob-read-stream — reads an open blob (whole or a byte range) as a
 * Readable, plus `sendTo`, a faster path for sending it to a socket-backed Writable.
 *
 * A plain Readable must hand each consumer a fresh buffer (it cannot know when the consumer is
 * done with it), so every MiB read is a new allocation the kernel has to fault in page by page
 * and the GC has to reclaim. `sendTo` knows its destination: it reads into a few reused buffers
 * and takes one back only when the destination's write callback says the bytes left it.
 */
import { close, read } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** 1 MiB reads: 1024 thread-pool round trips per GiB; larger buys nothing measurable. */
const CHUNK = 1024 * 1024;
/** Buffers `sendTo` cycles through: one being read while up to three drain into the socket. */
const POOL = 4;

function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

export class BlobReadStream extends Readable {
  private pos: number;
  /** Exclusive end; Infinity reads to end of file. */
  private readonly end: number;
  private reading = false;
  private closing: ((err: Error | null) => void) | undefined;
  private fdClosed = false;
  private sending = false;

  /** Takes ownership of `fd` (closed on end, error or destroy). `range` is inclusive, as in HTTP. */
  constructor(
    private readonly fd: number,
    range?: { start: number; end: number },
  ) {
    super({ highWaterMark: CHUNK });
    this.pos = range?.start ?? 0;
    this.end = range ? range.end + 1 : Infinity;
  }

  override _read(): void {
    const want = Math.min(CHUNK, this.end - this.pos);
    if (want <= 0) {
      this.push(null);
      return;
    }
    this.reading = true;
    const buf = Buffer.allocUnsafeSlow(want);
    read(this.fd, buf, 0, want, this.pos, (err, n) => {
      this.reading = false;
      if (this.closing) return this.closeFd(this.closing);
      if (err) return this.destroy(err);
      if (n === 0) return this.push(null);
      this.pos += n;
      this.push(n < want ? buf.subarray(0, n) : buf);
    });
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    // Never close the fd under an in-flight read: the number could be reused by another open.
    if (this.reading) this.closing = (e) => cb(e ?? err);
    else this.closeFd((e) => cb(e ?? err));
  }

  private closeFd(cb: (err: Error | null) => void): void {
    if (this.fdClosed) return cb(null);
    this.fdClosed = true;
    close(this.fd, (e) => cb(e ?? null));
  }

  /**
   * Writes the remaining bytes to `dest` and ends it, reusing a few buffers. Use instead of
   * piping (not in addition to it). Rejects, and destroys this stream, if `dest` closes or errors
   * before everything is written.
   */
  async sendTo(dest: Writable): Promise<void> {
    if (this.sending || this.readableFlowing !== null || this.readableLength > 0) throw new Error('BlobReadStream already consumed');
    this.sending = true;
    const free: Buffer[] = [];
    let allocated = 0;
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    const signal = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const onClose = () => {
      if (!dest.writableFinished) failure ??= new Error('destination closed before the object was sent');
      signal();
    };
    const onError = (err: Error) => {
      failure ??= err;
      signal();
    };
    const onDrain = () => signal();
    dest.on('close', onClose);
    dest.on('error', onError);
    dest.on('drain', onDrain);
    const wait = () => new Promise<void>((r) => (wake = r));
    try {
      for (;;) {
        if (failure) throw failure;
        const want = Math.min(CHUNK, this.end - this.pos);
        if (want <= 0) break;
        while (free.length === 0 && allocated >= POOL && !failure) await wait();
        if (failure) throw failure;
        const buf = free.pop() ?? (allocated++, Buffer.allocUnsafeSlow(CHUNK));
        // This read overlaps with the socket draining the previous chunks.
        this.reading = true;
        let n: number;
        try {
          n = await readAt(this.fd, buf, want, this.pos);
        } finally {
          this.reading = false;
        }
        if (n === 0) {
          free.push(buf);
          break;
        }
        this.pos += n;
        while (dest.writableNeedDrain && !failure) await wait();
        if (failure) throw failure;
        dest.write(n < buf.length ? buf.subarray(0, n) : buf, (err) => {
          if (err) failure ??= err;
          else free.push(buf);
          signal();
        });
      }
      if (Number.isFinite(this.end) && this.pos < this.end) throw new Error('blob is shorter than its recorded size');
      dest.end();
      await finished(dest);
      if (failure) throw failure;
    } finally {
      dest.off('close', onClose);
      dest.off('error', onError);
      dest.off('drain', onDrain);
      // Resolve only once the fd is closed, so callers never see it linger.
      if (!this.closed) await new Promise<void>((resolve) => this.once('close', () => resolve()).destroy());
    }
  }
}
