/** @module services/s3/object-ops — PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject. */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { BlobReadStream } from '../../storage/blobs/blob-read-stream.js';
import type { ByteRange } from '../../storage/object-store.js';
import { CHECKSUM_HEADERS } from '../../protocol/rest-xml/checksums.js';
import { NoSuchBucket, NoSuchKey, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody, type XmlValue } from '../../protocol/rest-xml/xml.js';
import { ServiceError } from '../../protocol/errors.js';
import type { StoredObject } from './backend.js';
import { header, sendEmpty, sendXml, storedHeaders, userMetadata, type BucketCall, type ObjectCall } from './call.js';
import { prepareBody } from './request-body.js';

const MAX_PUT_SIZE = 5 * 1024 ** 3;

function checkContentLength(call: ObjectCall): void {
  const len = header(call.req, 'x-amz-decoded-content-length') ?? header(call.req, 'content-length');
  if (len !== undefined && Number(len) > MAX_PUT_SIZE) throw S3Errors.entityTooLarge(Number(len));
}

export async function putObject(call: ObjectCall): Promise<void> {
  checkContentLength(call);
  const body = prepareBody(call.req);
  const contentType = header(call.req, 'content-type');
  const ifNoneMatch = header(call.req, 'if-none-match');
  const ifMatch = header(call.req, 'if-match');
  const obj = await call.store.writeObject(call.bucket, call.key, body.body, {
    ...(contentType ? { contentType } : {}),
    metadata: userMetadata(call.req),
    headers: storedHeaders(call.req),
    beforeCommit: body.beforeCommit,
    ...(body.tap ? { tap: body.tap } : {}),
    ...(body.expectedSize !== undefined ? { expectedSize: body.expectedSize } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
    ...(ifMatch !== undefined ? { ifMatch } : {}),
  });
  sendEmpty(call, 200, { etag: obj.etag, ...body.responseHeaders() });
}

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
 * Returns 304 when not modified; throws PreconditionFailed (412).
 */
function checkConditions(call: ObjectCall, meta: StoredObject, prefix = ''): 304 | undefined {
  const ifMatch = header(call.req, `${prefix}if-match`);
  const ifNoneMatch = header(call.req, `${prefix}if-none-match`);
  const ifModifiedSince = parseHttpDate(header(call.req, `${prefix}if-modified-since`));
  const ifUnmodifiedSince = parseHttpDate(header(call.req, `${prefix}if-unmodified-since`));
  const lm = seconds(meta.lastModified);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, meta.etag)) throw S3Errors.preconditionFailed('If-Match');
  } else if (ifUnmodifiedSince !== undefined && lm > ifUnmodifiedSince) {
    throw S3Errors.preconditionFailed('If-Unmodified-Since');
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

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function objectHeaders(call: ObjectCall, meta: StoredObject, full: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': meta.contentType,
    etag: meta.etag,
    'last-modified': meta.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...meta.headers,
  };
  for (const [k, v] of Object.entries(meta.metadata)) h[`x-amz-meta-${k}`] = v;
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = call.target.query.get(param);
    if (v !== null) h[name] = v;
  }
  // Checksums describe the whole object, so S3 returns them only for full reads when asked.
  if (full && meta.checksum && header(call.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
    h[CHECKSUM_HEADERS[meta.checksum.algorithm]] = meta.checksum.value;
    h['x-amz-checksum-type'] = meta.checksum.type;
  }
  return h;
}

export async function getObject(call: ObjectCall, head = false): Promise<void> {
  let notModified = false;
  const rangeHeader = header(call.req, 'range');
  const opened = await call.store.openObject(call.bucket, call.key, (meta) => {
    notModified = checkConditions(call, meta) === 304;
    if (notModified) return undefined;
    return parseRange(rangeHeader, meta.size);
  });
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
  const headers = objectHeaders(call, meta, range === undefined);
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
  // Blobs go out through a few reused buffers; any other body (none today) is piped.
  if (body instanceof BlobReadStream) return body.sendTo(res);
  res.on('close', () => body.destroy());
  await pipeline(body, res);
}

export async function headObject(call: ObjectCall): Promise<void> {
  await getObject(call, true);
}

export async function deleteObject(call: ObjectCall): Promise<void> {
  await call.store.deleteObject(call.bucket, call.key);
  sendEmpty(call, 204);
}

export async function deleteObjects(call: BucketCall): Promise<void> {
  const raw = await readSmallBody(call.req);
  const md5 = header(call.req, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(raw).digest('base64') !== md5.trim()) throw S3Errors.badDigest();
  const doc = parseXml(raw.toString('utf8'))['Delete'];
  if (!doc || typeof doc !== 'object') throw S3Errors.malformedXml();
  const d = doc as Record<string, unknown>;
  const objects = (d['Object'] as unknown[] | undefined) ?? [];
  if (objects.length === 0 || objects.length > 1000) throw S3Errors.malformedXml();
  const quiet = String(d['Quiet'] ?? '').trim() === 'true';
  if (!(await call.store.bucketExists(call.bucket))) throw new NoSuchBucket(call.bucket);
  const deleted: XmlValue[] = [];
  const errors: XmlValue[] = [];
  for (const o of objects) {
    const key = o && typeof o === 'object' ? (o as Record<string, unknown>)['Key'] : undefined;
    if (typeof key !== 'string') throw S3Errors.malformedXml();
    try {
      if (Buffer.byteLength(key) > 1024) throw S3Errors.keyTooLong();
      await call.store.deleteObject(call.bucket, key);
      if (!quiet) deleted.push({ Key: key });
    } catch (err) {
      const e = err instanceof ServiceError ? err : new ServiceError('InternalError', 'We encountered an internal error. Please try again.', 500);
      errors.push({ Key: key, Code: e.code, Message: e.message });
    }
  }
  sendXml(call, 200, 'DeleteResult', { Deleted: deleted, Error: errors });
}

/** `x-amz-copy-source: [/]bucket/key[?versionId=...]`, URL-encoded. */
export function parseCopySource(value: string): { bucket: string; key: string } {
  let v = value.trim();
  const q = v.indexOf('?');
  if (q >= 0) v = v.slice(0, q);
  let decoded: string;
  try {
    decoded = decodeURIComponent(v);
  } catch {
    throw S3Errors.invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', value);
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw S3Errors.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', value);
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

export async function copyObject(call: ObjectCall): Promise<void> {
  const src = parseCopySource(header(call.req, 'x-amz-copy-source')!);
  const directive = (header(call.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw S3Errors.invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  }
  if (src.bucket === call.bucket && src.key === call.key && directive === 'COPY') {
    throw S3Errors.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const contentType = header(call.req, 'content-type');
  const obj = await call.store.copyObject(src.bucket, src.key, call.bucket, call.key, {
    metadataDirective: directive,
    ...(contentType ? { contentType } : {}),
    metadata: userMetadata(call.req),
    headers: storedHeaders(call.req),
    checkSource: (meta) => void checkConditions(call, meta, 'x-amz-copy-source-'),
  });
  const checksum = obj.checksum ? { [`Checksum${obj.checksum.algorithm}`]: obj.checksum.value, ChecksumType: obj.checksum.type } : {};
  sendXml(call, 200, 'CopyObjectResult', { LastModified: obj.lastModified, ETag: obj.etag, ...checksum });
}

/** GET ?tagging on an object: tags are not stored; an empty set is the truthful answer. */
export async function getObjectTagging(call: ObjectCall): Promise<void> {
  if (!(await call.store.headObject(call.bucket, call.key))) throw new NoSuchKey(call.key);
  sendXml(call, 200, 'Tagging', { TagSet: {} });
}
