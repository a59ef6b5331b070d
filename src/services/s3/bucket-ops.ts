/** @module services/s3/bucket-ops — ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation and tolerated sub-resources. */
import { credentialScope } from '../../protocol/sigv4/credential-scope.js';
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody } from '../../protocol/rest-xml/xml.js';
import { isValidBucketName } from './bucket-name.js';
import { owner, sendEmpty, sendXml, type BucketCall, type S3Call } from './call.js';
import { NoSuchBucket } from '../../protocol/rest-xml/s3-errors.js';

export async function listBuckets(call: S3Call): Promise<void> {
  const q = call.target.query;
  const prefix = q.get('prefix') ?? '';
  const max = Math.min(Number(q.get('max-buckets') ?? 10000) || 10000, 10000);
  const token = q.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const all = (await call.store.listBuckets()).filter((b) => b.name.startsWith(prefix) && b.name > after);
  const page = all.slice(0, max);
  const truncated = all.length > max;
  sendXml(call, 200, 'ListAllMyBucketsResult', {
    Owner: owner(call.ctx.accountId),
    Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: b.creationDate, BucketRegion: b.region })) },
    ...(q.has('prefix') ? { Prefix: prefix } : {}),
    ...(truncated ? { ContinuationToken: Buffer.from(page[page.length - 1]!.name).toString('base64url') } : {}),
  });
}

function requestRegion(call: S3Call): string {
  return credentialScope(call.req.headers, call.target.query)?.region ?? call.ctx.region;
}

export async function createBucket(call: BucketCall): Promise<void> {
  const { bucket } = call;
  if (!isValidBucketName(bucket)) throw S3Errors.invalidBucketName(bucket);
  const body = await readSmallBody(call.req);
  let constraint: string | undefined;
  if (body.toString('latin1').trim()) {
    const doc = parseXml(body);
    const cfg = doc['CreateBucketConfiguration'];
    if (cfg === undefined || typeof cfg !== 'object') throw S3Errors.malformedXml();
    const lc = (cfg as Record<string, unknown>)['LocationConstraint'];
    if (typeof lc === 'string' && lc.trim()) constraint = lc.trim();
  }
  const region = constraint ?? 'us-east-1';
  try {
    await call.store.createBucket(bucket, region);
  } catch (err) {
    // Legacy us-east-1 behaviour: re-creating a bucket you own answers 200 there (what boto3 and
    // the CLI see against real S3 with region us-east-1); every other region answers 409
    // BucketAlreadyOwnedByYou. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
    const code = (err as { code?: string }).code;
    if (!(code === 'BucketAlreadyOwnedByYou' && constraint === undefined && requestRegion(call) === 'us-east-1')) throw err;
  }
  sendEmpty(call, 200, { location: `/${bucket}` });
}

export async function headBucket(call: BucketCall): Promise<void> {
  const b = await call.store.getBucket(call.bucket);
  if (!b) throw new NoSuchBucket(call.bucket);
  sendEmpty(call, 200, { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' });
}

export async function getBucketLocation(call: BucketCall): Promise<void> {
  const b = await call.store.getBucket(call.bucket);
  if (!b) throw new NoSuchBucket(call.bucket);
  // us-east-1 is the empty LocationConstraint, as in S3.
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${
    b.region === 'us-east-1' ? '' : b.region
  }</LocationConstraint>`;
  call.res.statusCode = 200;
  call.res.setHeader('content-type', 'application/xml');
  call.res.setHeader('content-length', Buffer.byteLength(text));
  call.res.end(text);
}

export async function deleteBucket(call: BucketCall): Promise<void> {
  await call.store.deleteBucket(call.bucket);
  sendEmpty(call, 204);
}

async function requireBucket(call: BucketCall): Promise<void> {
  if (!(await call.store.bucketExists(call.bucket))) throw new NoSuchBucket(call.bucket);
}

/** GET ?versioning: never enabled here; an empty configuration is what S3 returns for a new bucket. */
export async function getBucketVersioning(call: BucketCall): Promise<void> {
  await requireBucket(call);
  sendXml(call, 200, 'VersioningConfiguration', {});
}

export async function getBucketAcl(call: BucketCall): Promise<void> {
  await requireBucket(call);
  const o = owner(call.ctx.accountId);
  const text =
    '<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Owner><ID>${o.ID}</ID><DisplayName>${o.DisplayName}</DisplayName></Owner><AccessControlList><Grant>` +
    '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">' +
    `<ID>${o.ID}</ID><DisplayName>${o.DisplayName}</DisplayName></Grantee><Permission>FULL_CONTROL</Permission>` +
    '</Grant></AccessControlList></AccessControlPolicy>';
  call.res.statusCode = 200;
  call.res.setHeader('content-type', 'application/xml');
  call.res.setHeader('content-length', Buffer.byteLength(text));
  call.res.end(text);
}

/** Sub-resources that exist on every real bucket but are empty here: S3's own "not configured" errors. */
const NOT_CONFIGURED: Record<string, [string, string]> = {
  policy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
  lifecycle: ['NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
  website: ['NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration'],
  'object-lock': ['ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket'],
  publicAccessBlock: ['NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found'],
  ownershipControls: ['OwnershipControlsNotFoundError', 'The bucket ownership controls were not found'],
  replication: ['ReplicationConfigurationNotFoundError', 'The replication configuration was not found'],
};

export function notConfiguredSubresource(query: URLSearchParams): string | undefined {
  return Object.keys(NOT_CONFIGURED).find((k) => query.has(k));
}

export async function getNotConfigured(call: BucketCall, sub: string): Promise<void> {
  await requireBucket(call);
  const [code, message] = NOT_CONFIGURED[sub]!;
  throw S3Errors.noSuchConfiguration(code, message, call.bucket);
}

/** PUT ?acl and friends: accepted and ignored (Slipway has one owner and no policies). */
export async function acceptAndIgnore(call: BucketCall, status = 200): Promise<void> {
  await requireBucket(call);
  await readSmallBody(call.req).catch(() => undefined);
  sendEmpty(call, status);
}
