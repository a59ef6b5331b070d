import { describe, expect, it } from 'vitest';
import { checksumOf, compositeChecksum, newChecksummer } from './checksums.js';

const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
const check = Buffer.from('123456789');

describe('checksums', () => {
  it('matches the catalogue check values for "123456789"', () => {
    expect(hex(checksumOf('CRC32', check))).toBe('cbf43926');
    expect(hex(checksumOf('CRC32C', check))).toBe('e3069283');
    expect(hex(checksumOf('CRC64NVME', check))).toBe('ae8b14860a799888');
    expect(hex(checksumOf('SHA256', check))).toBe('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
    expect(hex(checksumOf('SHA1', check))).toBe('f7c3bc1d808e04732adf679965ccc34ca7ae3441');
  });

  it('gives the same value when fed in pieces', () => {
    for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
      const c = newChecksummer(alg);
      c.update(check.subarray(0, 4));
      c.update(check.subarray(4));
      expect(c.digest()).toBe(checksumOf(alg, check));
    }
  });

  it('builds composite multipart checksums with a part count suffix', () => {
    const p1 = checksumOf('CRC32', Buffer.from('a'));
    const p2 = checksumOf('CRC32', Buffer.from('b'));
    const raw = Buffer.concat([Buffer.from(p1, 'base64'), Buffer.from(p2, 'base64')]);
    expect(compositeChecksum('CRC32', [p1, p2])).toBe(`${checksumOf('CRC32', raw)}-2`);
  });
});
