/**
 * @module services/s3/multipart-ops — CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
 */
import { compositeChecksum, parseAlgorithm } from '../../protocol/rest-xml/checksums.js';
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody } from '../../protocol/rest-xml/xml.js';
import type { MultipartUpload, PartInfo, StoredChecksum } from './backend.js';
import { header, owner, sendEmpty, sendXml, storedHeaders, userMetadata, type BucketCall, type ObjectCall } from './call.js';
import { parseCopySource, parseRange } from './object-ops.js';
import { prepareBody } from './request-body.js';

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

export async function createMultipartUpload(call: ObjectCall): Promise<void> {
  const contentType = header(call.req, 'content-type');
  const algorithm = parseAlgorithm(header(call.req, 'x-amz-checksum-algorithm'));
  const up = await call.store.createMultipartUpload(call.bucket, call.key, {
    ...(contentType ? { contentType } : {}),
    metadata: userMetadata(call.req),
    headers: storedHeaders(call.req),
    ...(algorithm ? { checksumAlgorithm: algorithm } : {}),
  });
  sendXml(
    call,
    200,
    'InitiateMultipartUploadResult',
    { Bucket: call.bucket, Key: call.key, UploadId: up.uploadId },
    algorithm ? { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': 'COMPOSITE' } : {},
  );
}

export async function uploadPart(call: ObjectCall): Promise<void> {
  const partNumber = partNumberOf(call);
  const uploadId = uploadIdOf(call);
  const upload = await call.store.getUpload(call.bucket, call.key, uploadId);
  const body = prepareBody(call.req, upload.checksumAlgorithm ? { defaultAlgorithm: upload.checksumAlgorithm } : {});
  const part = await call.store.uploadPart(call.bucket, call.key, uploadId, partNumber, body.body, {
    beforeCommit: body.beforeCommit,
    ...(body.tap ? { tap: body.tap } : {}),
    ...(body.expectedSize !== undefined ? { expectedSize: body.expectedSize } : {}),
  });
  const headers = body.responseHeaders();
  delete headers['x-amz-checksum-type'];
  sendEmpty(call, 200, { etag: part.etag, ...headers });
}

export async function uploadPartCopy(call: ObjectCall): Promise<void> {
  const partNumber = partNumberOf(call);
  const uploadId = uploadIdOf(call);
  await call.store.getUpload(call.bucket, call.key, uploadId);
  const src = parseCopySource(header(call.req, 'x-amz-copy-source')!);
  const rangeHeader = header(call.req, 'x-amz-copy-source-range');
  const { body } = await call.store.openObject(src.bucket, src.key, (meta) => {
    if (!rangeHeader) return undefined;
    const r = parseRange(rangeHeader, meta.size);
    if (!r) throw S3Errors.invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last', 'x-amz-copy-source-range', rangeHeader);
    return r;
  });
  const part = await call.store.uploadPart(call.bucket, call.key, uploadId, partNumber, body);
  sendXml(call, 200, 'CopyPartResult', { LastModified: part.lastModified, ETag: part.etag });
}

function composeChecksum(upload: MultipartUpload, parts: PartInfo[]): StoredChecksum | undefined {
  const alg = upload.checksumAlgorithm;
  if (!alg || parts.some((p) => !p.checksum)) return undefined;
  return { algorithm: alg, value: compositeChecksum(alg, parts.map((p) => p.checksum!)), type: 'COMPOSITE' };
}

export async function completeMultipartUpload(call: ObjectCall): Promise<void> {
  const uploadId = uploadIdOf(call);
  await call.store.getUpload(call.bucket, call.key, uploadId);
  const doc = parseXml((await readSmallBody(call.req)).toString('utf8'))['CompleteMultipartUpload'];
  if (!doc || typeof doc !== 'object') throw S3Errors.malformedXml();
  const rawParts = ((doc as Record<string, unknown>)['Part'] as unknown[] | undefined) ?? [];
  const parts = rawParts.map((p) => {
    const r = (p ?? {}) as Record<string, unknown>;
    const n = Number(String(r['PartNumber'] ?? '').trim());
    const etag = String(r['ETag'] ?? '').trim();
    if (!Number.isInteger(n) || !etag) throw S3Errors.malformedXml();
    return { partNumber: n, etag };
  });
  const obj = await call.store.completeMultipartUpload(call.bucket, call.key, uploadId, parts, composeChecksum);
  const host = header(call.req, 'host') ?? 'localhost';
  const checksum = obj.checksum ? { [`Checksum${obj.checksum.algorithm}`]: obj.checksum.value, ChecksumType: obj.checksum.type } : {};
  sendXml(call, 200, 'CompleteMultipartUploadResult', {
    Location: `http://${host}/${call.bucket}/${encodeURIComponent(call.key).replace(/%2F/g, '/')}`,
    Bucket: call.bucket,
    Key: call.key,
    ETag: obj.etag,
    ...checksum,
  });
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
    ChecksumType: alg ? 'COMPOSITE' : undefined,
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
    })),
  });
}
