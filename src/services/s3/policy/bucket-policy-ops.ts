/**
 * @module services/s3/policy/bucket-policy-ops — Put/Get/DeleteBucketPolicy. The policy is
 * validated (./policy-document.ts) and kept verbatim; GetBucketPolicy returns it as sent.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 */
import { NoSuchBucket, S3Errors } from '../../../protocol/rest-xml/s3-errors.js';
import { readSmallBody } from '../../../protocol/rest-xml/xml.js';
import type { S3Backend } from '../../../storage/s3-backend.js';
import { sendEmpty, sendXml, type BucketCall } from '../call.js';
import { MAX_POLICY_BYTES, malformedPolicy, parseBucketPolicy, type BucketPolicy } from './policy-document.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function putBucketPolicy(call: BucketCall): Promise<void> {
  let body: Buffer;
  try {
    body = await readSmallBody(call.req, MAX_POLICY_BYTES * 2);
  } catch (err) {
    if ((err as { code?: string }).code === 'MalformedXML') throw malformedPolicy('Policy exceeds the maximum allowed document size.');
    throw err;
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw malformedPolicy('This policy contains invalid Json');
  }
  if (!(await call.store.bucketExists(call.bucket))) throw new NoSuchBucket(call.bucket);
  parseBucketPolicy(text, call.bucket);
  await call.store.setBucketDocument(call.bucket, 'policy', text);
  sendEmpty(call, 204);
}

export async function getBucketPolicy(call: BucketCall): Promise<void> {
  const text = await call.store.getBucketDocument(call.bucket, 'policy');
  if (text === undefined) throw S3Errors.noSuchConfiguration('NoSuchBucketPolicy', 'The bucket policy does not exist', call.bucket);
  const { res } = call;
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

export async function deleteBucketPolicy(call: BucketCall): Promise<void> {
  await call.store.setBucketDocument(call.bucket, 'policy', undefined);
  sendEmpty(call, 204);
}

/**
 * GetBucketPolicyStatus: public when some statement grants anonymous callers anything (here: an
 * unconditional Allow to `*`). https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
 */
export async function getBucketPolicyStatus(call: BucketCall): Promise<void> {
  const text = await call.store.getBucketDocument(call.bucket, 'policy');
  if (text === undefined) throw S3Errors.noSuchConfiguration('NoSuchBucketPolicy', 'The bucket policy does not exist', call.bucket);
  const policy = parseBucketPolicy(text, call.bucket);
  const isPublic = policy.statements.some((s) => s.effect === 'Allow' && !s.hasCondition && (s.principal?.includes('*') ?? !s.notPrincipal?.includes('*')));
  sendXml(call, 200, 'PolicyStatus', { IsPublic: isPublic });
}

/** The bucket's policy, parsed; undefined when it has none (or the bucket does not exist). */
export async function loadBucketPolicy(store: S3Backend, bucket: string): Promise<BucketPolicy | undefined> {
  const text = await store.getBucketDocument(bucket, 'policy').catch(() => undefined);
  // Stored only after validation; parse failures cannot happen short of a hand-edited database.
  return text === undefined ? undefined : parseBucketPolicy(text, bucket);
}
