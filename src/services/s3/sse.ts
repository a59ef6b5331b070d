/**
 * @module services/s3/sse — server-side encryption request headers. SSE-C (customer-provided keys)
 * is implemented: the bytes are encrypted at rest with the client's key and served only to a
 * request carrying the same key. SSE-KMS needs a key service Slipway does not have: refused with
 * NotImplemented rather than stored in the clear under a 200.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
 *
 * Unlike S3, plain HTTP is accepted for SSE-C (Slipway binds to loopback by default; put TLS in
 * front of it on a network).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ServiceError } from '../../protocol/errors.js';
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { keyMatches } from '../../storage/blobs/ctr-cipher.js';
import type { SseCustomerKey, SseCustomerRecord } from './backend.js';
import { header } from './call.js';

const SSE = 'x-amz-server-side-encryption';

/**
 * The SSE-C key of a request (`source`: of a copy's source, `x-amz-copy-source-…`), undefined
 * without SSE-C headers. Throws S3's errors for incomplete or inconsistent ones.
 */
export function customerKey(req: IncomingMessage, source = false): SseCustomerKey | undefined {
  const base = source ? 'x-amz-copy-source-server-side-encryption-customer' : `${SSE}-customer`;
  const alg = header(req, `${base}-algorithm`);
  const key = header(req, `${base}-key`);
  const md5 = header(req, `${base}-key-md5`);
  if (alg === undefined && key === undefined && md5 === undefined) return undefined;
  const missing = (what: string, name: string) =>
    S3Errors.invalidArgument(`Requests specifying Server Side Encryption with Customer provided keys must provide ${what}.`, name, 'null');
  if (alg === undefined) throw missing('a valid encryption algorithm', `${base}-algorithm`);
  if (alg !== 'AES256') {
    throw new ServiceError('InvalidEncryptionAlgorithmError', 'The encryption request you specified is not valid. The valid value is AES256.', 400, {
      extra: { ArgumentName: `${base}-algorithm`, ArgumentValue: alg },
    });
  }
  if (key === undefined) throw missing('an appropriate secret key', `${base}-key`);
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(key.trim()) ? Buffer.from(key.trim(), 'base64') : Buffer.alloc(0);
  if (raw.length !== 32) throw S3Errors.invalidArgument('The secret key was invalid for the specified algorithm.', `${base}-key`, '');
  if (md5 === undefined) throw missing('the client calculated MD5 of the secret key', `${base}-key-MD5`);
  const computed = createHash('md5').update(raw).digest('base64');
  if (md5.trim() !== computed) {
    throw S3Errors.invalidArgument('The calculated MD5 hash of the key did not match the hash that was provided.', `${base}-key-MD5`, '');
  }
  return { key: raw, keyMd5: computed };
}

/**
 * Refuses what is accepted nowhere here: SSE-KMS (`aws:kms`, `aws:kms:dsse`) and a value S3 does
 * not know. `AES256` (SSE-S3) is S3's default for every object and needs nothing from the client.
 */
export function refuseUnsupportedEncryption(req: IncomingMessage): void {
  const v = header(req, SSE);
  if (v !== undefined && header(req, `${SSE}-customer-algorithm`) !== undefined) {
    throw S3Errors.invalidArgument(
      'Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
      SSE,
      v,
    );
  }
  if (v === undefined || v === 'AES256') {
    if (header(req, `${SSE}-aws-kms-key-id`) !== undefined) throw S3Errors.notImplemented(`${SSE}-aws-kms-key-id`);
    return;
  }
  if (v === 'aws:kms' || v === 'aws:kms:dsse') throw S3Errors.notImplemented(SSE);
  throw S3Errors.invalidArgument('The encryption method specified is not supported', SSE, v);
}

/** A read of an SSE-C object must bring its key; any other object must not bring one. */
export function checkReadKey(stored: SseCustomerRecord | undefined, given: SseCustomerKey | undefined): void {
  if (!stored) {
    if (given) throw S3Errors.invalidRequest('The encryption parameters are not applicable to this object.');
    return;
  }
  if (!given) {
    throw S3Errors.invalidRequest(
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
    );
  }
  if (!keyMatches(stored, given.key)) {
    throw new ServiceError('AccessDenied', 'Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.', 403);
  }
}

/** Response headers S3 sends for an SSE-C object: the algorithm and the key's MD5, never the key. */
export function sseResponseHeaders(stored: SseCustomerRecord | undefined): Record<string, string> {
  if (!stored) return {};
  return { [`${SSE}-customer-algorithm`]: 'AES256', [`${SSE}-customer-key-md5`]: stored.keyMd5 };
}
