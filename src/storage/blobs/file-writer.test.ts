import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileWriter } from './file-writer.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'file-writer-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('FileWriter', () => {
  it('writes many chunks in order, across background syncs and backpressure', async () => {
    const path = join(root, 'f');
    const w = await FileWriter.create(path);
    const chunks: Buffer[] = [];
    let waits = 0;
    // 40 MiB in odd-sized chunks: more than one background fdatasync and the 8 MiB queue limit.
    for (let total = 0, i = 0; total < 40 * 1024 * 1024; i++) {
      const c = randomBytes(i % 3 === 0 ? 65_536 : 300_001);
      chunks.push(c);
      total += c.length;
      const wait = w.push(c);
      if (wait) {
        waits++;
        await wait;
      }
    }
    await w.finish();
    expect(waits).toBeGreaterThan(0);
    const all = Buffer.concat(chunks);
    expect(w.bytesWritten).toBe(all.length);
    expect(readFileSync(path).equals(all)).toBe(true);
  });

  it('refuses to overwrite an existing file', async () => {
    const path = join(root, 'taken');
    writeFileSync(path, 'x');
    await expect(FileWriter.create(path)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('stops accepting chunks after abort and closes the file', async () => {
    const path = join(root, 'aborted');
    const w = await FileWriter.create(path);
    await w.push(Buffer.from('partial'));
    await w.abort();
    expect(() => w.push(Buffer.from('more'))).toThrow('write aborted');
    expect(existsSync(path)).toBe(true); // the caller unlinks it
  });
});
