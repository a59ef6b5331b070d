import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksumOf, type ChecksumAlgorithm } from './checksums.js';
import { combineCrcs } from './crc-combine.js';

describe('combineCrcs', () => {
  for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as ChecksumAlgorithm[]) {
    it(`derives the ${alg} of concatenated parts from the parts' ${alg}s`, () => {
      const parts = [randomBytes(5 * 1024 + 3), randomBytes(1), randomBytes(70_000), randomBytes(0), randomBytes(17)];
      const combined = combineCrcs(
        alg,
        parts.map((p) => ({ checksum: checksumOf(alg, p), size: p.length })),
      );
      expect(combined).toBe(checksumOf(alg, Buffer.concat(parts)));
    });
  }

  it('matches the full-object values ceph/s3-tests expects for 3 × 5 MiB parts of A, B, C', () => {
    const size = 5 * 1024 * 1024;
    const parts = ['A', 'B', 'C'].map((c) => Buffer.alloc(size, c));
    const expected: Record<string, string> = { CRC32: 'WgDhBQ==', CRC32C: 'xU+Krw==', CRC64NVME: 'i+6LR0y3eFo=' };
    for (const [alg, want] of Object.entries(expected) as [ChecksumAlgorithm, string][]) {
      expect(combineCrcs(alg, parts.map((p) => ({ checksum: checksumOf(alg, p), size: p.length })))).toBe(want);
    }
  });
});
