import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CtrDecryptStream, encryptor, keyMatches, newIv, newKeyVerifier } from './ctr-cipher.js';

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('ctr-cipher', () => {
  it('decrypts any byte range of multi-segment ciphertext, also across a counter carry', async () => {
    const key = randomBytes(32);
    // The second IV is one block short of wrapping its low 64 bits: seeking must carry into the high half.
    const ivs = [newIv(), Buffer.concat([randomBytes(8), Buffer.alloc(7, 0xff), Buffer.from([0xfe])]).toString('base64')];
    const plain = [randomBytes(70_001), randomBytes(33_333)];
    const cipher = Buffer.concat(plain.map((p, i) => encryptor(key, ivs[i]!)(p)));
    const segments = plain.map((p, i) => ({ size: p.length, iv: ivs[i]! }));
    const all = Buffer.concat(plain);
    expect(cipher.equals(all)).toBe(false);
    for (const [start, end] of [
      [0, all.length - 1],
      [17, 70_000],
      [69_990, 70_100],
      [70_001, 70_001],
      [70_001 + 31, all.length - 1],
    ] as const) {
      const pieces: Buffer[] = [];
      for (let i = start; i <= end; i += 4093) pieces.push(cipher.subarray(i, Math.min(end + 1, i + 4093)));
      const got = await collect(Readable.from(pieces).pipe(new CtrDecryptStream(key, segments, start)));
      expect(got.equals(all.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it('recognises the key it was given and no other', () => {
    const key = randomBytes(32);
    const v = newKeyVerifier(key);
    expect(keyMatches(v, key)).toBe(true);
    expect(keyMatches(v, randomBytes(32))).toBe(false);
    expect(JSON.stringify(v)).not.toContain(key.toString('base64'));
  });
});
