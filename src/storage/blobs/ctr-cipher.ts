/**
 * @module storage/blobs/ctr-cipher — encryption at rest for SSE-C objects: AES-256 in counter mode,
 * so any byte range decrypts without reading what precedes it.
 *
 *   write:  plaintext chunk ─► cipher.update ─► blob          (one random IV per object or part)
 *   read:   blob[range] ─► decipher seeked to the range start ─► plaintext
 *
 * A multipart object is a sequence of segments (its parts), each encrypted with its own IV. The
 * key itself is never stored: only a salted HMAC of it, to tell a wrong key from the right one
 * (as S3 does: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual, type Cipher } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 16;

/** What is kept of a customer key: enough to recognise it, nothing to recover it. */
export interface KeyVerifier {
  /** base64 random salt. */
  salt: string;
  /** base64 HMAC-SHA256(salt, key). */
  hmac: string;
}

/** One encrypted run of bytes: its length and the IV its counter starts from. */
export interface CipherSegment {
  size: number;
  /** base64, 16 bytes. */
  iv: string;
}

export function newKeyVerifier(key: Buffer): KeyVerifier {
  const salt = randomBytes(16);
  return { salt: salt.toString('base64'), hmac: createHmac('sha256', salt).update(key).digest('base64') };
}

export function keyMatches(v: KeyVerifier, key: Buffer): boolean {
  const got = createHmac('sha256', Buffer.from(v.salt, 'base64')).update(key).digest();
  const want = Buffer.from(v.hmac, 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}

export function newIv(): string {
  return randomBytes(BLOCK).toString('base64');
}

/** Encrypts a stream of chunks from offset 0 of a segment: returns each chunk's ciphertext. */
export function encryptor(key: Buffer, iv: string): (chunk: Buffer) => Buffer {
  const cipher: Cipher = createCipheriv('aes-256-ctr', key, Buffer.from(iv, 'base64'));
  return (chunk) => cipher.update(chunk);
}

/** The IV advanced by `blocks` (a 128-bit big-endian counter, as CTR mode increments it). */
function addCounter(iv: Buffer, blocks: number): Buffer {
  const out = Buffer.from(iv);
  let carry = blocks;
  for (let i = BLOCK - 1; i >= 0 && carry > 0; i--) {
    const sum = out[i]! + (carry % 256);
    out[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum >> 8);
  }
  return out;
}

/** A decipher positioned at byte `offset` of a segment. */
function decipherAt(key: Buffer, iv: string, offset: number): Cipher {
  const d = createDecipheriv('aes-256-ctr', key, addCounter(Buffer.from(iv, 'base64'), Math.floor(offset / BLOCK)));
  const skip = offset % BLOCK;
  if (skip > 0) d.update(Buffer.alloc(skip));
  return d;
}

/**
 * Decrypts ciphertext that starts at byte `start` of the object made of `segments`, crossing
 * segment boundaries as the bytes flow.
 */
export class CtrDecryptStream extends Transform {
  private segment = 0;
  /** Offset inside the current segment. */
  private offset: number;
  private decipher: Cipher;

  constructor(
    private readonly key: Buffer,
    private readonly segments: readonly CipherSegment[],
    start: number,
  ) {
    super();
    let rest = start;
    while (this.segment < segments.length - 1 && rest >= segments[this.segment]!.size) rest -= segments[this.segment++]!.size;
    this.offset = rest;
    this.decipher = decipherAt(key, segments[this.segment]!.iv, rest);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      const seg = this.segments[this.segment]!;
      const n = Math.min(chunk.length - i, seg.size - this.offset);
      if (n <= 0) {
        if (this.segment + 1 >= this.segments.length) return cb(new Error('ciphertext longer than its segments'));
        this.segment++;
        this.offset = 0;
        this.decipher = decipherAt(this.key, this.segments[this.segment]!.iv, 0);
        continue;
      }
      this.push(this.decipher.update(chunk.subarray(i, i + n)));
      this.offset += n;
      i += n;
    }
    cb();
  }
}
