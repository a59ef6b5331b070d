/**
 * @module services/s3/tagging — object and bucket tags: Get/Put/DeleteObjectTagging,
 * Get/Put/DeleteBucketTagging, and the `x-amz-tagging` header of PutObject, CreateMultipartUpload
 * and CopyObject. Limits and rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
 * (10 per object, 50 per bucket, keys 1–128 and values 0–256 Unicode characters, no `aws:` keys).
 */
import type { IncomingMessage } from 'node:http';
import { ServiceError } from '../../protocol/errors.js';
import { NoSuchKey, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody } from '../../protocol/rest-xml/xml.js';
import type { TagSet } from '../../storage/s3-backend.js';
import { header, sendEmpty, sendXml, type BucketCall, type ObjectCall } from './call.js';

const OBJECT_MAX = 10;
const BUCKET_MAX = 50;
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function invalidTag(message: string, extra: Record<string, string> = {}): ServiceError {
  return new ServiceError('InvalidTag', message, 400, { extra });
}

function validate(tags: TagSet, max: number): TagSet {
  if (tags.length > max) throw invalidTag(max === OBJECT_MAX ? 'Object tags cannot be greater than 10' : 'Bucket tag count cannot be greater than 50');
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (seen.has(k)) throw invalidTag('Cannot provide multiple Tags with the same key', { TagKey: k });
    seen.add(k);
    if ([...k].length < 1 || [...k].length > 128) throw invalidTag('The TagKey you have provided is invalid', { TagKey: k });
    if ([...v].length > 256) throw invalidTag('The TagValue you have provided is invalid', { TagKey: k, TagValue: v });
    if (k.startsWith('aws:')) throw invalidTag('Your TagKey cannot be prefixed with aws:', { TagKey: k });
    if (!ALLOWED.test(k)) throw invalidTag('The TagKey you have provided is invalid', { TagKey: k });
    if (!ALLOWED.test(v)) throw invalidTag('The TagValue you have provided is invalid', { TagKey: k, TagValue: v });
  }
  // S3 answers tags in key order, whatever order they were given in.
  return [...tags].sort(([a], [b]) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** The `x-amz-tagging` header (`k1=v1&k2`, URL-encoded), validated; undefined when absent. */
export function taggingHeader(req: IncomingMessage): TagSet | undefined {
  const raw = header(req, 'x-amz-tagging');
  if (raw === undefined) return undefined;
  const tags: TagSet = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw S3Errors.invalidArgument(
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
        'x-amz-tagging',
        raw,
      );
    }
    tags.push([k, v]);
  }
  return validate(tags, OBJECT_MAX);
}

/** A `<Tagging><TagSet><Tag><Key/><Value/></Tag>…` body. */
async function readTagging(call: BucketCall, max: number): Promise<TagSet> {
  const doc = parseXml(await readSmallBody(call.req, 64 * 1024))['Tagging'];
  if (!doc || typeof doc !== 'object') throw S3Errors.malformedXml();
  const set = (doc as Record<string, unknown>)['TagSet'];
  if (set === undefined) throw S3Errors.malformedXml();
  const list = set && typeof set === 'object' ? ((set as Record<string, unknown>)['Tag'] as unknown[] | undefined) ?? [] : [];
  const tags: TagSet = list.map((t) => {
    const r = (t ?? {}) as Record<string, unknown>;
    const k = r['Key'];
    const v = r['Value'] ?? '';
    if (typeof k !== 'string' || typeof v !== 'string') throw S3Errors.malformedXml();
    return [k, v];
  });
  return validate(tags, max);
}

function tagSetXml(tags: TagSet): { TagSet: { Tag: { Key: string; Value: string }[] } } {
  return { TagSet: { Tag: tags.map(([Key, Value]) => ({ Key, Value })) } };
}

export async function getObjectTagging(call: ObjectCall): Promise<void> {
  const obj = await call.store.statObject(call.bucket, call.key);
  if (!obj) throw new NoSuchKey(call.key);
  sendXml(call, 200, 'Tagging', tagSetXml(obj.tags));
}

export async function putObjectTagging(call: ObjectCall): Promise<void> {
  const tags = await readTagging(call, OBJECT_MAX);
  await call.store.setObjectTags(call.bucket, call.key, tags);
  sendEmpty(call, 200);
}

export async function deleteObjectTagging(call: ObjectCall): Promise<void> {
  await call.store.setObjectTags(call.bucket, call.key, []);
  sendEmpty(call, 204);
}

export async function getBucketTagging(call: BucketCall): Promise<void> {
  const tags = await call.store.getBucketTags(call.bucket);
  if (tags === undefined) throw S3Errors.noSuchConfiguration('NoSuchTagSet', 'The TagSet does not exist', call.bucket);
  sendXml(call, 200, 'Tagging', tagSetXml(tags));
}

export async function putBucketTagging(call: BucketCall): Promise<void> {
  const tags = await readTagging(call, BUCKET_MAX);
  await call.store.setBucketTags(call.bucket, tags);
  sendEmpty(call, 204);
}

export async function deleteBucketTagging(call: BucketCall): Promise<void> {
  await call.store.setBucketTags(call.bucket, undefined);
  sendEmpty(call, 204);
}
