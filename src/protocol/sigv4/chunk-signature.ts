/**
 * @module protocol/sigv4/chunk-signature — the signature chain of SigV4 streaming uploads
 * (`x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`). The Authorization header
 * signs the headers (the seed signature); each chunk is then signed over the previous signature
 * and its own bytes, and the trailing headers over the last chunk's signature:
 *
 *   chunk   = HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n" prev "\n" sha256("") "\n" sha256(data))
 *   trailer = HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" date "\n" scope "\n" prev "\n" sha256("name:value\n"…))
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { createHmac } from 'node:crypto';
import { EMPTY_SHA256, safeEqual, sha256Hex } from './verify.js';

/** What the authenticator hands the body decoder once the seed signature checked out. */
export interface StreamingSigner {
  signingKey: Buffer;
  /** X-Amz-Date, `yyyymmddThhmmssZ`. */
  amzDate: string;
  /** Credential scope, `date/region/service/aws4_request`. */
  scope: string;
  /** The Authorization header's signature: the chain starts from it. */
  seedSignature: string;
}

export function chunkSignature(s: StreamingSigner, previous: string, dataSha256Hex: string): string {
  const sts = ['AWS4-HMAC-SHA256-PAYLOAD', s.amzDate, s.scope, previous, EMPTY_SHA256, dataSha256Hex].join('\n');
  return createHmac('sha256', s.signingKey).update(sts, 'utf8').digest('hex');
}

/** `trailers` as sent, each `name:value` (the signature line excluded), in order. */
export function trailerSignature(s: StreamingSigner, previous: string, trailers: readonly [string, string][]): string {
  const canonical = trailers.map(([k, v]) => `${k}:${v}\n`).join('');
  const sts = ['AWS4-HMAC-SHA256-TRAILER', s.amzDate, s.scope, previous, sha256Hex(canonical)].join('\n');
  return createHmac('sha256', s.signingKey).update(sts, 'utf8').digest('hex');
}

export { safeEqual };
