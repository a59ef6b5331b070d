/** @module services/s3/object-ops — PutObject, DeleteObject, DeleteObjects, CopyObject. */
import { createHash } from 'node:crypto';
import { S3Errors, NoSuchBucket } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody, type XmlValue } from '../../protocol/rest-xml/xml.js';
import { ServiceError } from '../../protocol/errors.js';
import type { StoredObject, TagSet } from '../../storage/s3-backend.js';
import { header, sendEmpty, sendXml, storedHeaders, userMetadata, type BucketCall, type ObjectCall } from './call.js';
import { checkConditions } from './get-object.js';
import { prepareBody } from './request-body.js';
import { checkReadKey, customerKey, requestedEncryption, sameEncryption, sseResponseHeaders } from './sse.js';
import { taggingHeader } from './tagging.js';

const MAX_PUT_SIZE = 5 * 1024 ** 3;

function checkContentLength(call: ObjectCall): void {
  const len = header(call.req, 'x-amz-decoded-content-length') ?? header(call.req, 'content-length');
  if (len !== undefined && Number(len) > MAX_PUT_SIZE) throw S3Errors.entityTooLarge(Number(len));
}

export async function putObject(call: ObjectCall): Promise<void> {
  checkContentLength(call);
  // Everything checkable from the headers is checked before a byte of the body is read.
  const sse = await requestedEncryption(call);
  const metadata = userMetadata(call.req);
  const tags = taggingHeader(call.req);
  const body = prepareBody(call.req, { streamingSigner: call.ctx.streamingSigner });
  const contentType = header(call.req, 'content-type');
  const ifNoneMatch = header(call.req, 'if-none-match');
  const ifMatch = header(call.req, 'if-match');
  const obj = await call.store.writeObject(call.bucket, call.key, body.body, {
    ...(contentType ? { contentType } : {}),
    metadata,
    headers: storedHeaders(call.req),
    beforeCommit: body.beforeCommit,
    ...(body.tap ? { tap: body.tap } : {}),
    ...(body.expectedSize !== undefined ? { expectedSize: body.expectedSize } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(tags ? { tags } : {}),
    ...(sse ? { sse } : {}),
  });
  sendEmpty(call, 200, { etag: obj.etag, ...body.responseHeaders(), ...sseResponseHeaders(obj.sse) });
}

export async function deleteObject(call: ObjectCall): Promise<void> {
  await call.store.deleteObject(call.bucket, call.key);
  sendEmpty(call, 204);
}

export async function deleteObjects(call: BucketCall): Promise<void> {
  const raw = await readSmallBody(call.req);
  const md5 = header(call.req, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(raw).digest('base64') !== md5.trim()) throw S3Errors.badDigest();
  const doc = parseXml(raw)['Delete'];
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

function directive(call: ObjectCall, name: string): 'COPY' | 'REPLACE' {
  const v = (header(call.req, name) ?? 'COPY').toUpperCase();
  if (v !== 'COPY' && v !== 'REPLACE') throw S3Errors.invalidArgument(`Unknown ${name.replace('x-amz-', '').replace('-directive', '')} directive.`, name, v);
  return v;
}

/**
 * CopyObject. Bytes are shared by hard link unless the copy changes how they are encrypted
 * (another SSE-C key, SSE-S3 on one side only, ...): then the source is read, decrypted and
 * written again with the destination's encryption.
 */
export async function copyObject(call: ObjectCall): Promise<void> {
  const src = parseCopySource(header(call.req, 'x-amz-copy-source')!);
  const metaDirective = directive(call, 'x-amz-metadata-directive');
  const tagDirective = directive(call, 'x-amz-tagging-directive');
  const dstEnc = await requestedEncryption(call);
  const srcKey = customerKey(call.req, true);
  const replace = metaDirective === 'REPLACE';
  const metadata = userMetadata(call.req);
  const newTags = tagDirective === 'REPLACE' ? (taggingHeader(call.req) ?? []) : undefined;
  const explicitEncryption = header(call.req, 'x-amz-server-side-encryption') !== undefined || (dstEnc !== undefined && 'customer' in dstEnc);
  if (src.bucket === call.bucket && src.key === call.key && !replace && !explicitEncryption && !srcKey) {
    throw S3Errors.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const contentType = header(call.req, 'content-type');
  const checkSource = (meta: StoredObject): void => {
    void checkConditions(call, meta, 'x-amz-copy-source-');
    checkReadKey(meta.sse, srcKey);
  };
  const current = await call.store.statObject(src.bucket, src.key);
  let obj: StoredObject;
  if (!current || sameEncryption(current.sse, dstEnc)) {
    obj = await call.store.copyObject(src.bucket, src.key, call.bucket, call.key, {
      metadataDirective: metaDirective,
      ...(contentType ? { contentType } : {}),
      metadata,
      headers: storedHeaders(call.req),
      checkSource,
      ...(newTags ? { tags: newTags } : {}),
    });
  } else {
    const opened = await call.store.openObject(src.bucket, src.key, (meta) => {
      checkSource(meta);
      return undefined;
    });
    const s = opened.meta;
    const tags: TagSet = newTags ?? s.tags;
    obj = await call.store.writeObject(call.bucket, call.key, call.store.plaintext(s, opened.body, 0, srcKey), {
      contentType: replace ? (contentType ?? 'application/octet-stream') : s.contentType,
      metadata: replace ? metadata : s.metadata,
      headers: replace ? storedHeaders(call.req) : s.headers,
      expectedSize: s.size,
      tags,
      ...(dstEnc ? { sse: dstEnc } : {}),
    });
  }
  const checksum = obj.checksum ? { [`Checksum${obj.checksum.algorithm}`]: obj.checksum.value, ChecksumType: obj.checksum.type } : {};
  sendXml(call, 200, 'CopyObjectResult', { LastModified: obj.lastModified, ETag: obj.etag, ...checksum }, sseResponseHeaders(obj.sse));
}
