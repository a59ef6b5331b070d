/**
 * @module services/s3/object-attributes — GetObjectAttributes (`GET ?attributes`): ETag, checksum,
 * parts, storage class and size of an object without its bytes, the attributes named in
 * `x-amz-object-attributes`. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
 */
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { NoSuchKey } from '../../protocol/rest-xml/s3-errors.js';
import type { XmlValue } from '../../protocol/rest-xml/xml.js';
import { header, sendXml, type ObjectCall } from './call.js';
import { checkReadKey, customerKey, sseResponseHeaders } from './sse.js';

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

function requested(call: ObjectCall): Set<Attribute> {
  const raw = header(call.req, 'x-amz-object-attributes');
  const names = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw S3Errors.invalidRequest('The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
  const out = new Set<Attribute>();
  for (const n of names) {
    const a = ATTRIBUTES.find((x) => x.toLowerCase() === n.toLowerCase());
    if (!a) throw S3Errors.invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', n);
    out.add(a);
  }
  return out;
}

function intHeader(call: ObjectCall, name: string, dflt: number): number {
  const raw = header(call.req, name);
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw.trim())) throw S3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, raw);
  return Number(raw);
}

export async function getObjectAttributes(call: ObjectCall): Promise<void> {
  const want = requested(call);
  const maxParts = Math.min(intHeader(call, 'x-amz-max-parts', 1000), 1000);
  const marker = intHeader(call, 'x-amz-part-number-marker', 0);
  const key = customerKey(call.req);
  const obj = await call.store.statObject(call.bucket, call.key);
  if (!obj) throw new NoSuchKey(call.key);
  checkReadKey(obj.sse, key);
  const body: { [k: string]: XmlValue } = {};
  if (want.has('ETag')) body['ETag'] = obj.etag.replace(/^"|"$/g, '');
  if (want.has('Checksum') && obj.checksum) {
    body['Checksum'] = { [`Checksum${obj.checksum.algorithm}`]: obj.checksum.value, ChecksumType: obj.checksum.type };
  }
  if (want.has('ObjectParts') && obj.parts) {
    const alg = obj.checksum?.algorithm;
    const all = obj.parts.map((p, i) => ({ n: i + 1, p }));
    const page = all.filter(({ n }) => n > marker).slice(0, maxParts);
    const truncated = page.length > 0 && page[page.length - 1]!.n < all.length;
    body['ObjectParts'] = {
      PartsCount: all.length,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.length ? page[page.length - 1]!.n : marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map(({ n, p }) => ({ PartNumber: n, Size: p.size, ...(alg && p.checksum ? { [`Checksum${alg}`]: p.checksum } : {}) })),
    };
  }
  if (want.has('StorageClass')) body['StorageClass'] = 'STANDARD';
  if (want.has('ObjectSize')) body['ObjectSize'] = obj.size;
  sendXml(call, 200, 'GetObjectAttributesResponse', body, { 'last-modified': obj.lastModified.toUTCString(), ...sseResponseHeaders(obj.sse) });
}
