/** @module services/s3/call — the per-request bundle S3 operations receive, and response helpers. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../../protocol/context.js';
import { ServiceError } from '../../protocol/errors.js';
import type { S3Target } from '../../protocol/rest-xml/target.js';
import { toXml, type XmlValue } from '../../protocol/rest-xml/xml.js';
import type { S3Backend } from '../../storage/s3-backend.js';

export interface S3Call {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RequestContext;
  target: S3Target;
  store: S3Backend;
}

/** Bucket-level call: the bucket is known. */
export interface BucketCall extends S3Call {
  bucket: string;
}

/** Object-level call: bucket and key are known. */
export interface ObjectCall extends BucketCall {
  key: string;
}

/** The one local owner (canonical user id shape: 64 hex). */
export function owner(accountId: string): { ID: string; DisplayName: string } {
  return { ID: createHash('sha256').update(`slipway:${accountId}`).digest('hex'), DisplayName: 'slipway' };
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export function sendXml(call: S3Call, status: number, root: string, body: { [k: string]: XmlValue }, headers: Record<string, string> = {}): void {
  const text = toXml(root, body);
  const { res } = call;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

export function sendEmpty(call: S3Call, status: number, headers: Record<string, string> = {}): void {
  const { res } = call;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-length', '0');
  res.end();
}

/** S3's limit on user metadata: the UTF-8 bytes of every name and value together. */
export const MAX_METADATA_BYTES = 2048;

/**
 * `x-amz-meta-*` request headers → metadata map (names lower-cased, as S3 returns them). Throws
 * MetadataTooLarge past 2 KB: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html
 */
export function userMetadata(req: IncomingMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      const k = name.slice('x-amz-meta-'.length);
      const v = Array.isArray(value) ? value.join(',') : value;
      meta[k] = v;
      size += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
  }
  if (size > MAX_METADATA_BYTES) {
    throw new ServiceError('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', 400, {
      extra: { Size: size, MaxSizeAllowed: MAX_METADATA_BYTES },
    });
  }
  return meta;
}

/** Representation headers S3 stores with an object and returns on GET/HEAD. */
export const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;

/** The representation headers of an upload request; `aws-chunked` is transfer framing, not stored. */
export function storedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of STORED_HEADERS) {
    let v = header(req, h);
    if (h === 'content-encoding' && v !== undefined) {
      v = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && s !== 'aws-chunked')
        .join(', ');
    }
    if (v !== undefined && v !== '') out[h] = v;
  }
  return out;
}
