/**
 * @module services/s3/multipart-ops — CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
 */
import { newChecksummer } from '../../protocol/rest-xml/checksums.js';
import { NoSuchUpload, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody } from '../../protocol/rest-xml/xml.js';
import { keyMatches } from '../../storage/blobs/ctr-cipher.js';
import type { ByteRange } from '../../storage/object-store.js';
import type { MultipartUpload, SseCustomerKey } from '../../storage/s3-backend.js';
import { header, owner, sendEmpty, sendXml, storedHeaders, userMetadata, type BucketCall, type ObjectCall } from './call.js';
import { checkConditions } from './get-object.js';
import { completeChecksum, requestedChecksums, uploadChecksumSpec, type RequestedPart } from './multipart-checksums.js';
import { parseCopySource } from './object-ops.js';
import { prepareBody } from './request-body.js';
import { checkReadKey, customerKey, requestedEncryption, sseResponseHeaders } from './sse.js';
import { taggingHeader } from './tagging.js';

function partNumberOf(call: ObjectCall): number {
  const raw = call.target.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 10000) {
    throw S3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', raw);
  }
  return n;
}

function uploadIdOf(call: ObjectCall): string {
  return call.target.query.get('uploadId') ?? '';
}

/** A part of an SSE-C upload must carry the upload's key; a part of any other upload none. */
function partKey(call: ObjectCall, upload: MultipartUpload): SseCustomerKey | undefined {
  const key = customerKey(call.req);
  if (upload.sse?.kind !== 'customer') {
    if (key) throw S3Errors.invalidRequest('The multipart upload was not initiated with SSE-C: its parts cannot be encrypted with a customer key.');
    return undefined;
  }
  if (!key) throw S3Errors.invalidRequest('The multipart upload was initiated with SSE-C: every part needs the customer key.');
  if (!keyMatches(upload.sse, key.key)) throw S3Errors.invalidRequest('The provided encryption parameters did not match the ones used originally.');
  return key;
}

export async function createMultipartUpload(call: ObjectCall): Promise<void> {
  const sse = await requestedEncryption(call);
  const { algorithm, type } = uploadChecksumSpec(call.req);
  const tags = taggingHeader(call.req);
  const contentType = header(call.req, 'content-type');
  const up = await call.store.createMultipartUpload(call.bucket, call.key, {
    ...(contentType ? { contentType } : {}),
    metadata: userMetadata(call.req),
    headers: storedHeaders(call.req),
    ...(algorithm ? { checksumAlgorithm: algorithm, checksumType: type } : {}),
    ...(tags ? { tags } : {}),
    ...(sse ? { sse } : {}),
  });
  sendXml(
    call,
    200,
    'InitiateMultipartUploadResult',
    { Bucket: call.bucket, Key: call.key, UploadId: up.uploadId },
    {
      ...(algorithm && type ? { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': type } : {}),
      ...sseResponseHeaders(up.sse),
    },
  );
}

export async function uploadPart(call: ObjectCall): Promise<void> {
  const partNumber = partNumberOf(call);
  const uploadId = uploadIdOf(call);
  const upload = await call.store.getUpload(call.bucket, call.key, uploadId);
  const sse = partKey(call, upload);
  const body = prepareBody(call.req, {
    ...(upload.checksumAlgorithm ? { defaultAlgorithm: upload.checksumAlgorithm } : {}),
    streamingSigner: call.ctx.streamingSigner,
  });
  const part = await call.store.uploadPart(call.bucket, call.key, uploadId, partNumber, body.body, {
    beforeCommit: body.beforeCommit,
    ...(body.tap ? { tap: body.tap } : {}),
    ...(body.expectedSize !== undefined ? { expectedSize: body.expectedSize } : {}),
    ...(sse ? { customerKey: sse } : {}),
  });
  const headers = body.responseHeaders();
  delete headers['x-amz-checksum-type'];
  sendEmpty(call, 200, { etag: part.etag, ...headers, ...sseResponseHeaders(upload.sse) });
}

const RANGE_FORM =
  'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy';

/**
 * `x-amz-copy-source-range`, stricter than Range: both ends required and inside the source. S3
 * answers InvalidArgument for a range past the end (ceph's RGW InvalidRange), as LocalStack's
 * AWS-validated tests record (tests/aws/services/s3, test_upload_part_copy_range).
 */
export function copySourceRange(value: string, size: number): ByteRange {
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m || Number(m[1]) > Number(m[2])) throw S3Errors.invalidArgument(RANGE_FORM, 'x-amz-copy-source-range', value);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start >= size) throw S3Errors.invalidRequest('The specified copy range is invalid for the source object size');
  if (end >= size) throw S3Errors.invalidArgument(`Range specified is not valid for source object of size: ${size}`, 'x-amz-copy-source-range', value);
  return { start, end };
}

export async function uploadPartCopy(call: ObjectCall): Promise<void> {
  const partNumber = partNumberOf(call);
  const uploadId = uploadIdOf(call);
  const upload = await call.store.getUpload(call.bucket, call.key, uploadId);
  const sse = partKey(call, upload);
  const srcKey = customerKey(call.req, true);
  const src = parseCopySource(header(call.req, 'x-amz-copy-source')!);
  const rangeHeader = header(call.req, 'x-amz-copy-source-range');
  const opened = await call.store.openObject(src.bucket, src.key, (meta) => {
    void checkConditions(call, meta, 'x-amz-copy-source-');
    checkReadKey(meta.sse, srcKey);
    return rangeHeader === undefined ? undefined : copySourceRange(rangeHeader, meta.size);
  });
  // The part's checksum, when the upload has an algorithm, is computed from the copied bytes.
  const checksummer = upload.checksumAlgorithm ? newChecksummer(upload.checksumAlgorithm) : undefined;
  const alg = upload.checksumAlgorithm;
  const source = call.store.plaintext(opened.meta, opened.body, opened.range?.start ?? 0, srcKey);
  const part = await call.store.uploadPart(call.bucket, call.key, uploadId, partNumber, source, {
    ...(checksummer ? { tap: (c: Buffer) => checksummer.update(c), beforeCommit: () => ({ checksum: { algorithm: alg!, value: checksummer.digest(), type: 'COMPOSITE' as const } }) } : {}),
    ...(sse ? { customerKey: sse } : {}),
  });
  sendXml(
    call,
    200,
    'CopyPartResult',
    { LastModified: part.lastModified, ETag: part.etag, ...(alg && part.checksum ? { [`Checksum${alg}`]: part.checksum } : {}) },
    sseResponseHeaders(upload.sse),
  );
}

function parseCompleteBody(body: Buffer): RequestedPart[] {
  const doc = parseXml(body)['CompleteMultipartUpload'];
  if (!doc || typeof doc !== 'object') throw S3Errors.malformedXml();
  const rawParts = ((doc as Record<string, unknown>)['Part'] as unknown[] | undefined) ?? [];
  return rawParts.map((p) => {
    const r = (p ?? {}) as Record<string, unknown>;
    const n = Number(String(r['PartNumber'] ?? '').trim());
    const etag = String(r['ETag'] ?? '').trim();
    if (!Number.isInteger(n) || !etag) throw S3Errors.malformedXml();
    return { partNumber: n, etag, checksums: requestedChecksums(r) };
  });
}

/**
 * CompleteMultipartUpload. A retry of one that already succeeded answers as it did (S3 does; SDKs
 * retry a Complete whose answer timed out). If-None-Match: `*` / If-Match make it a conditional write.
 */
export async function completeMultipartUpload(call: ObjectCall): Promise<void> {
  const uploadId = uploadIdOf(call);
  const ifNoneMatch = header(call.req, 'if-none-match');
  const ifMatch = header(call.req, 'if-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw S3Errors.notImplemented('If-None-Match');
  // The document first (Ceph's RGW reads it before looking the upload up): a malformed one is
  // refused even when it retries a Complete that already succeeded (answered from the record below).
  const requested = parseCompleteBody(await readSmallBody(call.req));
  const host = header(call.req, 'host') ?? 'localhost';
  const location = `http://${host}/${call.bucket}/${encodeURIComponent(call.key).replace(/%2F/g, '/')}`;
  const answer = (etag: string, checksum: { algorithm: string; value: string; type: string } | undefined, extra: Record<string, string> = {}) => {
    const c = checksum ? { [`Checksum${checksum.algorithm}`]: checksum.value, ChecksumType: checksum.type } : {};
    sendXml(call, 200, 'CompleteMultipartUploadResult', { Location: location, Bucket: call.bucket, Key: call.key, ETag: etag, ...c }, extra);
  };
  let upload: MultipartUpload;
  try {
    upload = await call.store.getUpload(call.bucket, call.key, uploadId);
  } catch (err) {
    const done = err instanceof NoSuchUpload ? await call.store.completedUpload(call.bucket, call.key, uploadId) : undefined;
    if (!done) throw err;
    return answer(done.etag, done.checksum);
  }
  // SSE-C headers are optional on Complete; when sent they must be the upload's.
  const completeKey = customerKey(call.req);
  if (completeKey && !(upload.sse?.kind === 'customer' && keyMatches(upload.sse, completeKey.key))) {
    throw S3Errors.invalidRequest('The provided encryption parameters did not match the ones used originally.');
  }
  const declaredSize = header(call.req, 'x-amz-mp-object-size');
  const obj = await call.store.completeMultipartUpload(call.bucket, call.key, uploadId, requested, {
    composeChecksum: (up, parts) => {
      if (declaredSize !== undefined && Number(declaredSize) !== parts.reduce((n, p) => n + p.size, 0)) {
        throw S3Errors.invalidRequest("The provided 'x-amz-mp-object-size' header does not match what was computed.");
      }
      return completeChecksum(call.req, requested, up, parts);
    },
    ...(ifNoneMatch !== undefined ? { ifNoneMatch: '*' } : {}),
    ...(ifMatch !== undefined ? { ifMatch } : {}),
  });
  answer(obj.etag, obj.checksum, sseResponseHeaders(upload.sse));
}

export async function abortMultipartUpload(call: ObjectCall): Promise<void> {
  await call.store.abortMultipartUpload(call.bucket, call.key, uploadIdOf(call));
  sendEmpty(call, 204);
}

export async function listParts(call: ObjectCall): Promise<void> {
  const q = call.target.query;
  const uploadId = uploadIdOf(call);
  const upload = await call.store.getUpload(call.bucket, call.key, uploadId);
  const after = Number(q.get('part-number-marker') ?? 0) || 0;
  const max = Math.min(Number(q.get('max-parts') ?? 1000) || 1000, 1000);
  const { parts, isTruncated } = await call.store.listParts(call.bucket, call.key, uploadId, after, max);
  const o = owner(call.ctx.accountId);
  const alg = upload.checksumAlgorithm;
  sendXml(call, 200, 'ListPartsResult', {
    Bucket: call.bucket,
    Key: call.key,
    UploadId: uploadId,
    PartNumberMarker: after,
    NextPartNumberMarker: parts.length ? parts[parts.length - 1]!.partNumber : undefined,
    MaxParts: max,
    IsTruncated: isTruncated,
    Part: parts.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: p.lastModified,
      ETag: p.etag,
      Size: p.size,
      ...(alg && p.checksum ? { [`Checksum${alg}`]: p.checksum } : {}),
    })),
    Initiator: o,
    Owner: o,
    StorageClass: 'STANDARD',
    ChecksumAlgorithm: alg,
    ChecksumType: alg ? (upload.checksumType ?? 'COMPOSITE') : undefined,
  });
}

export async function listMultipartUploads(call: BucketCall): Promise<void> {
  const q = call.target.query;
  const prefix = q.get('prefix') ?? '';
  const uploads = await call.store.listMultipartUploads(call.bucket, prefix);
  const o = owner(call.ctx.accountId);
  sendXml(call, 200, 'ListMultipartUploadsResult', {
    Bucket: call.bucket,
    KeyMarker: q.get('key-marker') ?? '',
    UploadIdMarker: q.get('upload-id-marker') ?? '',
    Prefix: prefix,
    MaxUploads: 1000,
    IsTruncated: false,
    Upload: uploads.map((u) => ({
      Key: u.key,
      UploadId: u.uploadId,
      Initiator: o,
      Owner: o,
      StorageClass: 'STANDARD',
      Initiated: u.initiated,
      ChecksumAlgorithm: u.checksumAlgorithm,
      ChecksumType: u.checksumAlgorithm ? (u.checksumType ?? 'COMPOSITE') : undefined,
    })),
  });
}

