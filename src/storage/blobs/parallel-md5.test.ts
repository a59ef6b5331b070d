import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ParallelMd5 } from './parallel-md5.js';

async function hashInSlices(p: ParallelMd5, data: Buffer, sizes: number[]): Promise<string> {
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    const wait = p.update(data.subarray(off, off + n));
    if (wait) await wait;
    off += n;
  }
  return (await p.digest()).toString('hex');
}

describe('ParallelMd5', () => {
  it('matches a plain MD5 across ring wrap-around, odd chunk sizes and oversized chunks', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const hex = await hashInSlices(new ParallelMd5(1024 * 1024), data, [1, 70_000, 1024 * 1024, 3 * 1024 * 1024, 333]);
    expect(hex).toBe(createHash('md5').update(data).digest('hex'));
  });

  it('gives each upload a fresh hash when pooled workers are reused, also after an abort', async () => {
    const a = randomBytes(20 * 1024 * 1024 + 5);
    const b = randomBytes(3 * 1024 * 1024);
    const aborted = new ParallelMd5();
    await aborted.update(b.subarray(0, 1000));
    aborted.close();
    for (const data of [a, b, a]) {
      expect(await hashInSlices(new ParallelMd5(), data, [65_536, 1_000_003])).toBe(createHash('md5').update(data).digest('hex'));
    }
    // Two at once get two workers.
    const [x, y] = await Promise.all([hashInSlices(new ParallelMd5(), a, [65_536]), hashInSlices(new ParallelMd5(), b, [65_536])]);
    expect([x, y]).toEqual([createHash('md5').update(a).digest('hex'), createHash('md5').update(b).digest('hex')]);
  });

  it('hashes an empty body', async () => {
    expect((await new ParallelMd5().digest()).toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('rejects ring sizes that are not a power of two', () => {
    expect(() => new ParallelMd5(3_000_000)).toThrow('power of two');
  });
});
