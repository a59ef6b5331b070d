/**
 * @module protocol/rest-xml/crc-combine — the CRC of A‖B from crc(A), crc(B) and len(B), for S3's
 * FULL_OBJECT multipart checksums (CRC32, CRC32C, CRC64NVME): the object's CRC is derived from its
 * parts' CRCs without reading a byte. Method of zlib's crc32_combine (multiplication by x^(8·len)
 * modulo the polynomial, reflected bit order); 64-bit values are kept as two 32-bit halves
 * because BigInt would take seconds for 10,000 parts.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import type { ChecksumAlgorithm } from './checksums.js';

/** Reflected polynomials: CRC-32 (ISO-HDLC), CRC-32C (Castagnoli), CRC-64/NVME. */
const POLY32: Partial<Record<ChecksumAlgorithm, number>> = { CRC32: 0xedb88320, CRC32C: 0x82f63b78 };
const NVME_HI = 0x9a6c9329;
const NVME_LO = 0xac4bc9b5;

// ---- 32-bit ------------------------------------------------------------------------------------

function mult32(a: number, b: number, poly: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ poly : b >>> 1;
  }
  return p >>> 0;
}

const tables32 = new Map<number, number[]>();

/** x^(2^k) mod poly for k = 0..63. */
function table32(poly: number): number[] {
  let t = tables32.get(poly);
  if (!t) {
    t = [0x40000000];
    for (let k = 1; k < 64; k++) t.push(mult32(t[k - 1]!, t[k - 1]!, poly));
    tables32.set(poly, t);
  }
  return t;
}

function combine32(crc1: number, crc2: number, len2: number, poly: number): number {
  const t = table32(poly);
  let p = 0x80000000; // x^0
  let n = len2;
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) p = mult32(t[k]!, p, poly);
  }
  return (mult32(p, crc1, poly) ^ crc2) >>> 0;
}

// ---- 64-bit as [hi, lo] --------------------------------------------------------------------------

type U64 = [number, number];

function mult64(a: U64, b: U64): U64 {
  let mh = 0x80000000;
  let ml = 0;
  let ph = 0;
  let pl = 0;
  let [bh, bl] = b;
  const [ah, al] = a;
  for (;;) {
    if ((ah & mh) !== 0 || (al & ml) !== 0) {
      ph ^= bh;
      pl ^= bl;
      // Any bit of a below m left?
      const belowH = mh === 0 ? 0 : ah & (mh - 1);
      const belowL = mh === 0 ? al & (ml - 1) : al;
      if (belowH === 0 && belowL === 0) break;
    }
    // m >>= 1
    if (mh !== 0) {
      ml = mh & 1 ? 0x80000000 : 0;
      mh >>>= 1;
    } else ml >>>= 1;
    // b = b & 1 ? (b >> 1) ^ poly : b >> 1
    const low = bl & 1;
    bl = ((bl >>> 1) | ((bh & 1) << 31)) >>> 0;
    bh >>>= 1;
    if (low) {
      bh = (bh ^ NVME_HI) >>> 0;
      bl = (bl ^ NVME_LO) >>> 0;
    }
  }
  return [ph >>> 0, pl >>> 0];
}

let table64: U64[] | undefined;

function combine64(crc1: U64, crc2: U64, len2: number): U64 {
  if (!table64) {
    table64 = [[0x40000000, 0]];
    for (let k = 1; k < 64; k++) table64.push(mult64(table64[k - 1]!, table64[k - 1]!));
  }
  let p: U64 = [0x80000000, 0];
  let n = len2;
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) p = mult64(table64[k]!, p);
  }
  const m = mult64(p, crc1);
  return [(m[0] ^ crc2[0]) >>> 0, (m[1] ^ crc2[1]) >>> 0];
}

/** True for the algorithms whose full-object value can be combined from parts. */
export function isCombinable(alg: ChecksumAlgorithm): boolean {
  return alg === 'CRC32' || alg === 'CRC32C' || alg === 'CRC64NVME';
}

/**
 * The full-object CRC (base64, as on the wire) of parts given in order as [base64 CRC, size].
 * Only for `isCombinable` algorithms.
 */
export function combineCrcs(alg: ChecksumAlgorithm, parts: readonly { checksum: string; size: number }[]): string {
  if (alg === 'CRC64NVME') {
    let acc: U64 | undefined;
    for (const p of parts) {
      const b = Buffer.from(p.checksum, 'base64');
      const v: U64 = [b.readUInt32BE(0), b.readUInt32BE(4)];
      acc = acc === undefined ? v : combine64(acc, v, p.size);
    }
    const out = Buffer.alloc(8);
    out.writeUInt32BE(acc?.[0] ?? 0, 0);
    out.writeUInt32BE(acc?.[1] ?? 0, 4);
    return out.toString('base64');
  }
  const poly = POLY32[alg];
  if (poly === undefined) throw new Error(`${alg} checksums cannot be combined`);
  let acc: number | undefined;
  for (const p of parts) {
    const v = Buffer.from(p.checksum, 'base64').readUInt32BE(0);
    acc = acc === undefined ? v : combine32(acc, v, p.size, poly);
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE(acc ?? 0);
  return out.toString('base64');
}
