import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobDirectory } from './blob-directory.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'blobs-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('BlobDirectory', () => {
  it('writes a stream into a new immutable blob with its md5 and size', async () => {
    const dir = new BlobDirectory(root);
    const data = Buffer.from('hello blob');
    const seen: Buffer[] = [];
    const b = await dir.write(Readable.from([data.subarray(0, 3), data.subarray(3)]), (c) => seen.push(c));
    expect(b.size).toBe(data.length);
    expect(b.md5.toString('hex')).toBe(createHash('md5').update(data).digest('hex'));
    expect(readFileSync(b.path).equals(data)).toBe(true);
    expect(Buffer.concat(seen).equals(data)).toBe(true);
    expect(readdirSync(dir.tmpDir)).toEqual([]);
  });

  it('leaves nothing behind when the body stream fails', async () => {
    const dir = new BlobDirectory(root);
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(dir.write(failing)).rejects.toThrow('client went away');
    expect(readdirSync(dir.tmpDir)).toEqual([]);
    expect(readdirSync(dir.blobsDir)).toEqual([]);
  });

  it('concatenates blobs and hard-links copies', async () => {
    const dir = new BlobDirectory(root);
    const a = await dir.write(Readable.from([Buffer.from('ab')]));
    const b = await dir.write(Readable.from([Buffer.from('cd')]));
    const c = await dir.concat([a, b]);
    expect(readFileSync(c.path, 'utf8')).toBe('abcd');
    const l = dir.linkSync(c.path);
    expect(readFileSync(l.path, 'utf8')).toBe('abcd');
  });

  it('sweeps temp files and unreferenced blobs', async () => {
    const dir = new BlobDirectory(root);
    const keep = await dir.write(Readable.from([Buffer.from('keep')]));
    const drop = await dir.write(Readable.from([Buffer.from('drop')]));
    writeFileSync(join(dir.tmpDir, 'crashed'), 'x');
    const r = await dir.sweep((id) => id === keep.id);
    expect(r.removed).toBe(2);
    expect(existsSync(keep.path)).toBe(true);
    expect(existsSync(drop.path)).toBe(false);
    expect(readdirSync(dir.tmpDir)).toEqual([]);
  });

  it('refuses ids that are not its own random hex names', () => {
    const dir = new BlobDirectory(root);
    expect(() => dir.pathOf('../../etc/passwd')).toThrow();
  });
});
