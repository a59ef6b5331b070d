/** @module services/s3/list-ops — ListObjectsV2, ListObjects (v1), ListObjectVersions (unversioned view). */
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import type { XmlValue } from '../../protocol/rest-xml/xml.js';
import type { ListPage, StoredObject } from '../../storage/s3-backend.js';
import { owner, sendXml, type BucketCall } from './call.js';

function maxKeys(q: URLSearchParams): number {
  const raw = q.get('max-keys');
  if (raw === null || raw === '') return 1000;
  if (!/^\d+$/.test(raw)) throw S3Errors.invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', raw);
  return Math.min(Number(raw), 1000);
}

function encoder(q: URLSearchParams): (s: string | undefined) => string | undefined {
  const type = q.get('encoding-type');
  if (type === null) return (s) => s;
  if (type !== 'url') throw S3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  // `/` stays readable as S3 leaves it; everything else (incl. `+` and space) is %-encoded, which
  // both unquote and unquote_plus (botocore) decode back exactly.
  return (s) => (s === undefined ? undefined : encodeURIComponent(s).replace(/%2F/g, '/'));
}

function contents(objs: StoredObject[], enc: (s: string) => string | undefined, withOwner: XmlValue): XmlValue[] {
  return objs.map((o) => ({
    Key: enc(o.key),
    LastModified: o.lastModified,
    ETag: o.etag,
    ...(o.checksum ? { ChecksumAlgorithm: o.checksum.algorithm, ChecksumType: o.checksum.type } : {}),
    Size: o.size,
    StorageClass: 'STANDARD',
    Owner: withOwner,
  }));
}

function delimiterOf(q: URLSearchParams): string | undefined {
  const d = q.get('delimiter');
  return d === null || d === '' ? undefined : d;
}

export async function listObjectsV2(call: BucketCall): Promise<void> {
  const q = call.target.query;
  const enc = encoder(q);
  const prefix = q.get('prefix') ?? '';
  const delimiter = delimiterOf(q);
  const max = maxKeys(q);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? undefined;
  let after = startAfter;
  // An empty token is no token, as S3 treats it (and echoes it back empty).
  if (token !== null && token !== '') after = Buffer.from(token, 'base64url').toString('utf8');
  const page: ListPage = await call.store.listObjects(call.bucket, {
    prefix,
    maxKeys: max,
    ...(delimiter ? { delimiter } : {}),
    ...(after !== undefined ? { after } : {}),
  });
  const o = q.get('fetch-owner') === 'true' ? owner(call.ctx.accountId) : undefined;
  sendXml(call, 200, 'ListBucketResult', {
    Name: call.bucket,
    Prefix: enc(prefix),
    Delimiter: enc(delimiter),
    MaxKeys: max,
    EncodingType: q.get('encoding-type') ?? undefined,
    KeyCount: page.contents.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ContinuationToken: token ?? undefined,
    NextContinuationToken: page.isTruncated && page.last !== undefined ? Buffer.from(page.last).toString('base64url') : undefined,
    StartAfter: enc(startAfter),
    Contents: contents(page.contents, enc, o),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

export async function listObjectsV1(call: BucketCall): Promise<void> {
  const q = call.target.query;
  const enc = encoder(q);
  const prefix = q.get('prefix') ?? '';
  const delimiter = delimiterOf(q);
  const max = maxKeys(q);
  const marker = q.get('marker') ?? '';
  const page = await call.store.listObjects(call.bucket, {
    prefix,
    maxKeys: max,
    ...(delimiter ? { delimiter } : {}),
    ...(marker ? { after: marker } : {}),
  });
  sendXml(call, 200, 'ListBucketResult', {
    Name: call.bucket,
    // V1 leaves Prefix as sent even with encoding-type=url (botocore decodes Marker, NextMarker,
    // Delimiter and keys of ListObjects, not its Prefix: botocore/handlers.py decode_list_object).
    Prefix: prefix,
    Marker: enc(marker),
    // S3 sends NextMarker only with a delimiter; without one clients continue from the last key.
    NextMarker: page.isTruncated && delimiter ? enc(page.last) : undefined,
    MaxKeys: max,
    Delimiter: enc(delimiter),
    EncodingType: q.get('encoding-type') ?? undefined,
    IsTruncated: page.isTruncated,
    Contents: contents(page.contents, enc, owner(call.ctx.accountId)),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

/** Versioning is never enabled: every object is its only version, `VersionId` "null". */
export async function listObjectVersions(call: BucketCall): Promise<void> {
  const q = call.target.query;
  const enc = encoder(q);
  const prefix = q.get('prefix') ?? '';
  const delimiter = delimiterOf(q);
  const max = maxKeys(q);
  const marker = q.get('key-marker') ?? '';
  const page = await call.store.listObjects(call.bucket, {
    prefix,
    maxKeys: max,
    ...(delimiter ? { delimiter } : {}),
    ...(marker ? { after: marker } : {}),
  });
  sendXml(call, 200, 'ListVersionsResult', {
    Name: call.bucket,
    Prefix: enc(prefix),
    KeyMarker: enc(marker),
    VersionIdMarker: q.get('version-id-marker') ?? '',
    NextKeyMarker: page.isTruncated ? enc(page.last) : undefined,
    NextVersionIdMarker: page.isTruncated ? 'null' : undefined,
    MaxKeys: max,
    Delimiter: enc(delimiter),
    EncodingType: q.get('encoding-type') ?? undefined,
    IsTruncated: page.isTruncated,
    Version: page.contents.map((o) => ({
      Key: enc(o.key),
      VersionId: 'null',
      IsLatest: true,
      LastModified: o.lastModified,
      ETag: o.etag,
      Size: o.size,
      StorageClass: 'STANDARD',
      Owner: owner(call.ctx.accountId),
    })),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}
