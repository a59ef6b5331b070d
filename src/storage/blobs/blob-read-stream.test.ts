import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobReadStream } from './blob-read-stream.js';

let root: string;
let data: Buffer;
let path: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'blob-read-'));
  data = randomBytes(5 * 1024 * 1024 + 77);
  path = join(root, 'blob');
  writeFileSync(path, data);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A slow sink that copies what it receives, so buffer reuse before the write callback would show. */
function sink(): { dest: Writable; bytes: () => Buffer } {
  const got: Buffer[] = [];
  const dest = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      setImmediate(() => {
        got.push(Buffer.from(chunk));
        cb();
      });
    },
  });
  return { dest, bytes: () => Buffer.concat(got) };
}

function isClosed(fd: number): boolean {
  try {
    fstatSync(fd);
    return false;
  } catch {
    return true;
  }
}

describe('BlobReadStream', () => {
  it('reads the whole blob or an inclusive byte range as a Readable', async () => {
    const all: Buffer[] = [];
    for await (const c of new BlobReadStream(openSync(path, 'r'))) all.push(c as Buffer);
    expect(Buffer.concat(all).equals(data)).toBe(true);
    const part: Buffer[] = [];
    for await (const c of new BlobReadStream(openSync(path, 'r'), { start: 1_000_000, end: 3_000_000 })) part.push(c as Buffer);
    expect(Buffer.concat(part).equals(data.subarray(1_000_000, 3_000_001))).toBe(true);
  });

  it('sends the blob through reused buffers without corrupting bytes still being written', async () => {
    const fd = openSync(path, 'r');
    const { dest, bytes } = sink();
    await new BlobReadStream(fd).sendTo(dest);
    expect(bytes().equals(data)).toBe(true);
    expect(isClosed(fd)).toBe(true);
  });

  it('sends a byte range', async () => {
    const { dest, bytes } = sink();
    await new BlobReadStream(openSync(path, 'r'), { start: 10, end: 2_500_000 }).sendTo(dest);
    expect(bytes().equals(data.subarray(10, 2_500_001))).toBe(true);
  });

  it('rejects and closes the file when the destination goes away mid-send', async () => {
    const fd = openSync(path, 'r');
    const dest = new PassThrough({ highWaterMark: 1024 });
    let seen = 0;
    dest.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > 1024 * 1024) dest.destroy();
    });
    await expect(new BlobReadStream(fd).sendTo(dest)).rejects.toThrow();
    expect(isClosed(fd)).toBe(true);
  });
});
