/**
 * @module protocol/rest-xml/checksums — the S3 flexible checksums (x-amz-checksum-*), computed
 * incrementally while a body streams. Values are base64 of the big-endian digest, as on the wire.
 * See https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { Crc32c } from '@aws-crypto/crc32c';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const ChecksumAlgorithm = {
  CRC32: 'CRC32',
  CRC32C: 'CRC32C',
  CRC64NVME: 'CRC64NVME',
  SHA1: 'SHA1',
  SHA256: 'SHA256',
} as const;
export type ChecksumAlgorithm = (typeof ChecksumAlgorithm)[keyof typeof ChecksumAlgorithm];

export interface Checksummer {
  update(chunk: Buffer): void;
  /** Base64 digest; call once. */
  digest(): string;
}

/** Wire header suffix per algorithm: `x-amz-checksum-crc32` ... */
export const CHECKSUM_HEADERS: Record<ChecksumAlgorithm, string> = {
  CRC32: 'x-amz-checksum-crc32',
  CRC32C: 'x-amz-checksum-crc32c',
  CRC64NVME: 'x-amz-checksum-crc64nvme',
  SHA1: 'x-amz-checksum-sha1',
  SHA256: 'x-amz-checksum-sha256',
};

export function algorithmOfHeader(header: string): ChecksumAlgorithm | undefined {
  const h = header.toLowerCase();
  return (Object.keys(CHECKSUM_HEADERS) as ChecksumAlgorithm[]).find((a) => CHECKSUM_HEADERS[a] === h);
}

export function parseAlgorithm(value: string | undefined): ChecksumAlgorithm | undefined {
  if (!value) return undefined;
  const v = value.toUpperCase();
  return v in CHECKSUM_HEADERS ? (v as ChecksumAlgorithm) : undefined;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

// CRC-64/NVME (reflected, poly 0x9a6c9329ac4bc9b5, init/xorout all ones), table over two 32-bit halves
// because BigInt per byte is far too slow for large bodies.
const NVME_LO = new Uint32Array(256);
const NVME_HI = new Uint32Array(256);
(() => {
  const polyLo = 0xac4bc9b5;
  const polyHi = 0x9a6c9329;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    NVME_LO[i] = lo;
    NVME_HI[i] = hi;
  }
})();

class Crc64Nvme implements Checksummer {
  private lo = 0xffffffff;
  private hi = 0xffffffff;
  update(chunk: Buffer): void {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < chunk.length; i++) {
      const idx = (lo ^ chunk[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ NVME_LO[idx]!;
      hi = (hi >>> 8) ^ NVME_HI[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }
  digest(): string {
    const b = Buffer.alloc(8);
    b.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    b.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return b.toString('base64');
  }
}

export function newChecksummer(alg: ChecksumAlgorithm): Checksummer {
  switch (alg) {
    case 'CRC32': {
      let v = 0;
      return { update: (c) => void (v = crc32(c, v)), digest: () => u32(v).toString('base64') };
    }
    case 'CRC32C': {
      const c32 = new Crc32c();
      return { update: (c) => void c32.update(c), digest: () => u32(c32.digest()).toString('base64') };
    }
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
    case 'SHA256': {
      const h = createHash(alg === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (c) => void h.update(c), digest: () => h.digest('base64') };
    }
  }
}

/** One-shot checksum of a buffer (composite multipart checksums, tests). */
export function checksumOf(alg: ChecksumAlgorithm, data: Buffer): string {
  const c = newChecksummer(alg);
  c.update(data);
  return c.digest();
}

/**
 * S3's COMPOSITE multipart checksum: the checksum of the concatenated raw part checksums, then
 * `-<part count>`. Full-object CRC combination is not implemented; SDKs skip validating values with `-N`.
 */
export function compositeChecksum(alg: ChecksumAlgorithm, partValues: readonly string[]): string {
  const raw = Buffer.concat(partValues.map((v) => Buffer.from(v, 'base64')));
  return `${checksumOf(alg, raw)}-${partValues.length}`;
}
