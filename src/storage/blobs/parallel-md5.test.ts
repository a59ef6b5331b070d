import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ParallelMd5 } from './parallel-md5.js';

describe('ParallelMd5', () => {
  it('matches a plain MD5 across ring wrap-around, odd chunk sizes and oversized chunks', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const p = new ParallelMd5(1024 * 1024);
    let off = 0;
    const sizes = [1, 70_000, 1024 * 1024, 3 * 1024 * 1024, 333];
    for (let i = 0; off < data.length; i++) {
      const n = Math.min(sizes[i % sizes.length]!, data.length - off);
      const wait = p.update(data.subarray(off, off + n));
      if (wait) await wait;
      off += n;
    }
    expect((await p.digest()).toString('hex')).toBe(createHash('md5').update(data).digest('hex'));
  });
});
