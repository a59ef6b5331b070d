/**
 * @module services/s3/get-object — GetObject and HeadObject: conditional requests, byte ranges,
 * `?partNumber=N` of multipart objects, checksums, tag counts and SSE decryption.
 *
 *   openObject(pick: conditions ─► SSE-C key ─► range | part) ─► headers ─► body (decrypted if SSE)
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import { pipeline } from 'node:stream/promises';
import { CHECKSUM_HEADERS } from '../../protocol/rest-xml/checksums.js';
import { ServiceError } from '../../protocol/errors.js';
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { BlobReadStream } from '../../storage/blobs/blob-read-stream.js';
import type { ByteRange } from '../../storage/object-store.js';
import type { StoredObject } from '../../storage/s3-backend.js';
import { header, type ObjectCall } from './call.js';
import { checkReadKey, customerKey, sseResponseHeaders } from './sse.js';

/** Parses `Range: bytes=a-b | a- | -n`; undefined for absent or unparsable ranges (S3 then sends the whole object). */
export function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw S3Errors.invalidRange(size, value);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined; // syntactically invalid: ignored
    if (start >= size) throw S3Errors.invalidRange(size, value);
  }
  return { start, end };
}

function etagMatches(condition: string, etag: string): boolean {
  return condition
    .split(',')
    .map((s) => s.trim())
    .some((c) => c === '*' || c.replace(/^W\//, '').replace(/^"|"$/g, '') === etag.replace(/^"|"$/g, ''));
}

/** HTTP dates have second precision; compare Last-Modified the same way. */
function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

function parseHttpDate(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

/**
 * GET/HEAD conditionals in S3's precedence (If-Match beats If-Unmodified-Since, If-None-Match
 * beats If-Modified-Since): https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * Returns 304 when not modified; throws PreconditionFailed (412). With `prefix`
 * `x-amz-copy-source-` the copy-source conditions, which fail with 412 instead of 304.
 */
export function checkConditions(call: ObjectCall, meta: StoredObject, prefix = ''): 304 | undefined {
  const ifMatch = header(call.req, `${prefix}if-match`);
  const ifNoneMatch = header(call.req, `${prefix}if-none-match`);
  const ifModifiedSince = parseHttpDate(header(call.req, `${prefix}if-modified-since`));
  const ifUnmodifiedSince = parseHttpDate(header(call.req, `${prefix}if-unmodified-since`));
  const lm = seconds(meta.lastModified);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, meta.etag)) throw S3Errors.preconditionFailed(`${prefix ? 'x-amz-copy-source-' : ''}If-Match`);
  } else if (ifUnmodifiedSince !== undefined && lm > ifUnmodifiedSince) {
    throw S3Errors.preconditionFailed(`${prefix ? 'x-amz-copy-source-' : ''}If-Unmodified-Since`);
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, meta.etag)) {
      if (prefix) throw S3Errors.preconditionFailed('x-amz-copy-source-If-None-Match');
      return 304;
    }
  } else if (ifModifiedSince !== undefined && lm <= ifModifiedSince) {
    if (prefix) throw S3Errors.preconditionFailed('x-amz-copy-source-If-Modified-Since');
    return 304;
  }
  return undefined;
}

/** `?partNumber=N` as S3 validates it: an integer 1–10000. */
export function partNumberParam(call: ObjectCall): number | undefined {
  const raw = call.target.query.get('partNumber');
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 10000) {
    throw S3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', raw);
  }
  return n;
}

/**
 * The byte range of part `n`. A single-part object has one part, the whole object. S3 answers
 * 416 InvalidPartNumber past the last part (ceph's RGW answers 400 InvalidPart).
 */
export function partRange(meta: StoredObject, n: number): ByteRange {
  const sizes = meta.parts?.map((p) => p.size) ?? [meta.size];
  if (n > sizes.length) {
    throw new ServiceError('InvalidPartNumber', 'The requested partnumber is not satisfiable', 416, {
      extra: { PartNumberRequested: n, ActualPartCount: sizes.length },
    });
  }
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += sizes[i]!;
  return { start, end: start + sizes[n - 1]! - 1 };
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function objectHeaders(call: ObjectCall, meta: StoredObject, part: number | undefined, full: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': meta.contentType,
    etag: meta.etag,
    'last-modified': meta.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...meta.headers,
    ...sseResponseHeaders(meta.sse),
  };
  for (const [k, v] of Object.entries(meta.metadata)) h[`x-amz-meta-${k}`] = v;
  if (meta.tags.length > 0) h['x-amz-tagging-count'] = String(meta.tags.length);
  if (part !== undefined && meta.parts) h['x-amz-mp-parts-count'] = String(meta.parts.length);
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = call.target.query.get(param);
    if (v !== null) h[name] = v;
  }
  // Checksums describe what is sent: the whole object, or one part (its own checksum); none for other ranges.
  if (meta.checksum && header(call.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
    const value = part !== undefined && meta.parts ? meta.parts[part - 1]?.checksum : full ? meta.checksum.value : undefined;
    if (value !== undefined) {
      h[CHECKSUM_HEADERS[meta.checksum.algorithm]] = value;
      h['x-amz-checksum-type'] = meta.checksum.type;
    }
  }
  return h;
}

export async function getObject(call: ObjectCall, head = false): Promise<void> {
  let notModified = false;
  const rangeHeader = header(call.req, 'range');
  const part = partNumberParam(call);
  if (part !== undefined && rangeHeader !== undefined) {
    throw S3Errors.invalidRequest('Cannot specify both Range header and partNumber query parameter');
  }
  const key = customerKey(call.req);
  // Encryption is chosen when writing; S3 refuses the header on reads.
  if (header(call.req, 'x-amz-server-side-encryption') !== undefined) {
    throw S3Errors.invalidArgument('x-amz-server-side-encryption header is not supported for this operation.', 'x-amz-server-side-encryption', header(call.req, 'x-amz-server-side-encryption'));
  }
  const opened = await call.store.openObject(call.bucket, call.key, (meta) => {
    notModified = checkConditions(call, meta) === 304;
    checkReadKey(meta.sse, key);
    if (notModified) return undefined;
    return part !== undefined ? partRange(meta, part) : parseRange(rangeHeader, meta.size);
  }, () => !(notModified || head));
  const { meta, body, range } = opened;
  const { res } = call;
  if (notModified || head) body.destroy();
  if (notModified) {
    res.statusCode = 304;
    res.setHeader('etag', meta.etag);
    res.setHeader('last-modified', meta.lastModified.toUTCString());
    res.end();
    return;
  }
  const headers = objectHeaders(call, meta, part, range === undefined);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (range) {
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${range.start}-${range.end}/${meta.size}`);
    res.setHeader('content-length', range.end - range.start + 1);
  } else {
    res.statusCode = 200;
    res.setHeader('content-length', meta.size);
  }
  if (head) {
    res.end();
    return;
  }
  // Blobs go out through a few reused buffers; decrypted (SSE) bytes are piped.
  if (!meta.sse && body instanceof BlobReadStream) return body.sendTo(res);
  const out = call.store.plaintext(meta, body, range?.start ?? 0, key);
  res.on('close', () => out.destroy());
  await pipeline(out, res);
}

export async function headObject(call: ObjectCall): Promise<void> {
  await getObject(call, true);
}
