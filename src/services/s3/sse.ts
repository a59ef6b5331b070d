/**
 * @module services/s3/sse — server-side encryption request and response headers.
 *
 * - SSE-C (customer-provided keys): the bytes are encrypted at rest with the client's key and
 *   served only to a request carrying the same key.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
 * - SSE-S3 (`x-amz-server-side-encryption: AES256`, or the bucket's default encryption): encrypted
 *   with the server's key (storage/blobs/server-key), decrypted for any authorised reader.
 * - SSE-KMS needs a key service Slipway does not have: refused with NotImplemented rather than
 *   stored in the clear under a 200.
 *
 * Unlike S3, plain HTTP is accepted for SSE-C (Slipway binds to loopback by default; put TLS in
 * front of it on a network).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ServiceError } from '../../protocol/errors.js';
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { keyMatches } from '../../storage/blobs/ctr-cipher.js';
import type { EncryptionRecord, EncryptionRequest, SseCustomerKey } from '../../storage/s3-backend.js';
import { header, type BucketCall } from './call.js';

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
 * The encryption a write asks for: SSE-C headers, `x-amz-server-side-encryption: AES256`, else the
 * bucket's default encryption. SSE-KMS (`aws:kms`, `aws:kms:dsse`) is refused with NotImplemented.
 */
export async function requestedEncryption(call: BucketCall): Promise<EncryptionRequest | undefined> {
  const v = header(call.req, SSE);
  const customer = customerKey(call.req);
  if (v !== undefined && customer) {
    throw S3Errors.invalidArgument('Server Side Encryption with Customer provided key is incompatible with the encryption method specified', SSE, v);
  }
  if (header(call.req, `${SSE}-aws-kms-key-id`) !== undefined) throw S3Errors.notImplemented(`${SSE}-aws-kms-key-id`);
  if (v === 'aws:kms' || v === 'aws:kms:dsse') throw S3Errors.notImplemented(SSE);
  if (v !== undefined && v !== 'AES256') throw S3Errors.invalidArgument('The encryption method specified is not supported', SSE, v);
  if (customer) return { customer };
  if (v === 'AES256' || (await call.store.getBucketEncryption(call.bucket))) return { s3: true };
  return undefined;
}

/** A read of an SSE-C object must bring its key; any other object must not bring one. */
export function checkReadKey(stored: EncryptionRecord | undefined, given: SseCustomerKey | undefined): void {
  if (stored?.kind !== 'customer') {
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

/** True when bytes stored as `stored` are already what `wanted` asks for (a copy may share them). */
export function sameEncryption(stored: EncryptionRecord | undefined, wanted: EncryptionRequest | undefined): boolean {
  if (!stored || !wanted) return !stored && !wanted;
  if (stored.kind === 's3') return 's3' in wanted;
  return 'customer' in wanted && keyMatches(stored, wanted.customer.key);
}

/** Response headers S3 sends for an encrypted object: the algorithm (and for SSE-C the key's MD5, never the key). */
export function sseResponseHeaders(stored: EncryptionRecord | undefined): Record<string, string> {
  if (!stored) return {};
  if (stored.kind === 's3') return { [SSE]: 'AES256' };
  return { [`${SSE}-customer-algorithm`]: 'AES256', [`${SSE}-customer-key-md5`]: stored.keyMd5 };
}
