/**
 * @module services/s3/request-params — the header and query-string members of S3's model that are
 * not free text (enums, booleans, integers, timestamps), checked for each operation before it runs,
 * so that a value S3 would refuse is refused here too instead of being accepted and dropped.
 *
 *   route ─► checkRequestParams(op, call) ─► syntax of each member present ─► Object Lock rules ─► operation
 *
 * Where S3's answer was recorded, code and message are copied (source beside the rule); otherwise a
 * bad value gets 400 InvalidArgument, S3's code for a bad argument, naming the header or parameter
 * (ArgumentName, ArgumentValue) in a message of Slipway's.
 * Checked elsewhere: max-keys and encoding-type on the object listings (./list-ops.ts), partNumber
 * (./get-object.ts, ./multipart-ops.ts), x-amz-max-parts and x-amz-part-number-marker
 * (./object-attributes.ts), x-amz-server-side-encryption (./sse.ts), the directives (./object-ops.ts).
 */
import { ServiceError } from '../../protocol/errors.js';
import { parseAlgorithm } from '../../protocol/rest-xml/checksums.js';
import { NoSuchBucket, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { header, type S3Call } from './call.js';

type Check = (value: string, name: string) => ServiceError | undefined;

function invalid(name: string, value: string, where: 'header' | 'parameter'): ServiceError {
  return S3Errors.invalidArgument(`Invalid ${name} ${where}: ${value}`, name, value);
}

function oneOf(values: readonly string[], opts: { ignoreCase?: boolean } = {}): Check {
  const set = new Set(opts.ignoreCase ? values.map((v) => v.toLowerCase()) : values);
  return (v, name) => (set.has(opts.ignoreCase ? v.toLowerCase() : v) ? undefined : invalid(name, v, 'header'));
}

const boolean: Check = (v, name) => (/^(true|false)$/i.test(v) ? undefined : invalid(name, v, 'header'));
const timestamp: Check = (v, name) => (Number.isNaN(Date.parse(v)) ? invalid(name, v, 'header') : undefined);

/** Query integers: S3's wording for max-uploads, max-parts, part-number-marker (max-keys likewise). */
function integer(min: number, max: number): Check {
  return (v, name) => {
    if (!/^-?\d+$/.test(v) || Math.abs(Number(v)) > 2 ** 31 - 1) return S3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, v);
    const n = Number(v);
    return n < min || n > max ? S3Errors.invalidArgument(`Argument ${name} must be an integer between ${min} and ${max}`, name, v) : undefined;
  };
}

/** Sizes and offsets in headers (longs in the model). */
const length: Check = (v, name) => (/^\d{1,15}$/.test(v) ? undefined : S3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, v));

/** A valid value that asks for what Slipway does not do (directory-bucket features, Object Lock): 501. */
function thenNotImplemented(check: Check, unless?: (v: string) => boolean): Check {
  return (v, name) => check(v, name) ?? (unless?.(v) ? undefined : S3Errors.notImplemented(name));
}

const OBJECT_ACL = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control'];
/** x-amz-acl outside the canned ACLs: 400 InvalidArgument with an empty message (recorded by LocalStack against S3, tests/aws/services/s3 `fake-acl`). */
function cannedAcl(values: readonly string[]): Check {
  return (v, name) => (values.includes(v) ? undefined : S3Errors.invalidArgument('', name, v));
}

/**
 * Storage classes of the model; OUTPOSTS is refused outside Outposts. Values are accepted and not
 * acted on (one tier here). 400 InvalidStorageClass as recorded by LocalStack against S3.
 */
const STORAGE_CLASSES = new Set(['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE', 'FSX_OPENZFS', 'FSX_ONTAP']);
const storageClass: Check = (v) =>
  STORAGE_CLASSES.has(v) ? undefined : new ServiceError('InvalidStorageClass', 'The storage class you specified is not valid', 400, { extra: { StorageClassRequested: v } });

/** x-amz-checksum-algorithm: S3's answer recorded by LocalStack (CreateMultipartUpload with an unknown algorithm). */
const checksumAlgorithm: Check = (v) =>
  parseAlgorithm(v) ? undefined : S3Errors.invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
/** x-amz-sdk-checksum-algorithm: as S3 answers it (OpenStack Swift's s3api tests run against AWS, test_object_checksums.py). */
const sdkChecksumAlgorithm: Check = (v, name) => (parseAlgorithm(v) ? undefined : S3Errors.invalidRequest(`Value for ${name} header is invalid.`));
const checksumType: Check = (v, name) => (/^(COMPOSITE|FULL_OBJECT)$/i.test(v) ? undefined : S3Errors.invalidRequest(`Value for ${name} header is invalid.`));

/** x-amz-object-ownership: S3's wording, recorded by LocalStack (`Invalid x-amz-object-ownership header: RandomValue`). */
const objectOwnership: Check = (v, name) =>
  ['BucketOwnerPreferred', 'ObjectWriter', 'BucketOwnerEnforced'].includes(v) ? undefined : new ServiceError('InvalidArgument', `Invalid ${name} header: ${v}`, 400, { extra: { ArgumentName: name } });

const REQUEST_PAYER: [string, Check] = ['x-amz-request-payer', oneOf(['requester'])];
const ACL: [string, Check] = ['x-amz-acl', cannedAcl(OBJECT_ACL)];
const OBJECT_WRITE: [string, Check][] = [
  ACL,
  ['x-amz-storage-class', storageClass],
  ['x-amz-server-side-encryption-bucket-key-enabled', boolean],
  REQUEST_PAYER,
];
const SDK_CHECKSUM: [string, Check] = ['x-amz-sdk-checksum-algorithm', sdkChecksumAlgorithm];
const CHECKSUM_MODE: [string, Check] = ['x-amz-checksum-mode', oneOf(['ENABLED'], { ignoreCase: true })];

/** Header members per operation (the routed operations of ./index.ts that have any). */
const HEADERS: Readonly<Record<string, readonly [string, Check][]>> = {
  CreateBucket: [
    // Every canned ACL: S3 ignores the object-only ones (bucket-owner-read, bucket-owner-full-control)
    // on a bucket, and MLflow's SageMaker deployment creates its bucket with bucket-owner-full-control
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl).
    ['x-amz-acl', cannedAcl(OBJECT_ACL)],
    ['x-amz-object-ownership', objectOwnership],
    // Object Lock needs versioning, which Slipway does not do: `true` is refused, not ignored.
    ['x-amz-bucket-object-lock-enabled', thenNotImplemented(boolean, (v) => v.toLowerCase() === 'false')],
    // Account-regional namespaces (names with the account's suffix) are not enforced here.
    ['x-amz-bucket-namespace', thenNotImplemented(oneOf(['account-regional', 'global']), (v) => v === 'global')],
  ],
  PutObject: [...OBJECT_WRITE, SDK_CHECKSUM, ['x-amz-write-offset-bytes', thenNotImplemented(length)]],
  // (Conditional dates are not here: a recipient must ignore one that is not a date, RFC 9110 §13.1.3.)
  CopyObject: [...OBJECT_WRITE, ['x-amz-checksum-algorithm', checksumAlgorithm]],
  CreateMultipartUpload: [...OBJECT_WRITE, ['x-amz-checksum-algorithm', checksumAlgorithm], ['x-amz-checksum-type', checksumType]],
  UploadPart: [REQUEST_PAYER, SDK_CHECKSUM],
  UploadPartCopy: [REQUEST_PAYER],
  CompleteMultipartUpload: [REQUEST_PAYER, ['x-amz-checksum-type', checksumType], ['x-amz-mp-object-size', length]],
  AbortMultipartUpload: [REQUEST_PAYER, ['x-amz-if-match-initiated-time', thenNotImplemented(timestamp)]],
  GetObject: [REQUEST_PAYER, CHECKSUM_MODE],
  HeadObject: [REQUEST_PAYER, CHECKSUM_MODE],
  GetObjectAttributes: [REQUEST_PAYER],
  GetObjectTagging: [REQUEST_PAYER],
  PutObjectTagging: [REQUEST_PAYER, SDK_CHECKSUM],
  DeleteObject: [
    REQUEST_PAYER,
    // Conditional deletes by size or time are for directory buckets; answered 501, never ignored.
    ['x-amz-if-match-size', thenNotImplemented(length)],
    ['x-amz-if-match-last-modified-time', thenNotImplemented(timestamp)],
  ],
  DeleteObjects: [REQUEST_PAYER, SDK_CHECKSUM],
  ListObjects: [REQUEST_PAYER],
  ListObjectsV2: [REQUEST_PAYER],
  ListObjectVersions: [REQUEST_PAYER],
  ListMultipartUploads: [REQUEST_PAYER],
  ListParts: [REQUEST_PAYER],
  PutBucketTagging: [SDK_CHECKSUM],
  PutBucketCors: [SDK_CHECKSUM],
  PutBucketEncryption: [SDK_CHECKSUM],
  PutBucketPolicy: [SDK_CHECKSUM, ['x-amz-confirm-remove-self-bucket-access', boolean]],
  PutBucketWebsite: [SDK_CHECKSUM],
};

const encodingType: Check = (v, name) => (v === 'url' ? undefined : S3Errors.invalidArgument('Invalid Encoding Method specified in Request', name, v));
const queryTimestamp: Check = (v, name) => (Number.isNaN(Date.parse(v)) ? invalid(name, v, 'parameter') : undefined);
const queryBoolean: Check = (v, name) => (/^(true|false)$/i.test(v) ? undefined : invalid(name, v, 'parameter'));
/** Integers S3 reads as int32: "Argument max-uploads must be an integer between 0 and 2147483647" for a negative one (moto, measured by others). */
const INT32 = integer(0, 2 ** 31 - 1);

/** Query-string members per operation. */
const QUERY: Readonly<Record<string, readonly [string, Check][]>> = {
  ListBuckets: [['max-buckets', integer(1, 10_000)]],
  ListObjectsV2: [['fetch-owner', queryBoolean]],
  ListMultipartUploads: [['max-uploads', INT32], ['encoding-type', encodingType]],
  ListParts: [['max-parts', INT32], ['part-number-marker', INT32]],
  GetObject: [['response-expires', queryTimestamp]],
  HeadObject: [['response-expires', queryTimestamp]],
};

const LOCK_MODE = 'x-amz-object-lock-mode';
const LOCK_UNTIL = 'x-amz-object-lock-retain-until-date';
const LOCK_HOLD = 'x-amz-object-lock-legal-hold';
const BYPASS = 'x-amz-bypass-governance-retention';

/**
 * Object Lock headers on a write: checked in S3's order, then refused because no bucket here has
 * Object Lock (answers recorded by LocalStack against S3, TestS3ObjectLockRetention; versity/versitygw
 * #1733, #1736 for the date and legal hold, answered before the bucket is looked at).
 */
async function objectLockWrite(call: S3Call & { bucket?: string }): Promise<void> {
  const mode = header(call.req, LOCK_MODE);
  const until = header(call.req, LOCK_UNTIL);
  const hold = header(call.req, LOCK_HOLD);
  if (mode === undefined && until === undefined && hold === undefined) return;
  if (until !== undefined && Number.isNaN(Date.parse(until))) throw S3Errors.invalidArgument('The retain until date must be provided in ISO 8601 format', LOCK_UNTIL, until);
  if ((mode === undefined) !== (until === undefined)) {
    throw new ServiceError('InvalidArgument', `${LOCK_UNTIL} and ${LOCK_MODE} must both be supplied`, 400, { extra: { ArgumentName: mode === undefined ? LOCK_MODE : LOCK_UNTIL } });
  }
  if (mode !== undefined && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw S3Errors.invalidArgument('Unknown wormMode directive.', LOCK_MODE, mode);
  if (hold !== undefined && hold !== 'ON' && hold !== 'OFF') throw S3Errors.invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", LOCK_HOLD, hold);
  await requireBucket(call);
  throw S3Errors.invalidRequest('Bucket is missing Object Lock Configuration');
}

/** `x-amz-bypass-governance-retention`, true or false, on a bucket without Object Lock (every bucket here): recorded by LocalStack against S3. */
async function bypassGovernance(call: S3Call & { bucket?: string }): Promise<void> {
  if (header(call.req, BYPASS) === undefined) return;
  await requireBucket(call);
  throw new ServiceError('InvalidArgument', `${BYPASS} is only applicable to Object Lock enabled buckets.`, 400, { extra: { ArgumentName: BYPASS } });
}

async function requireBucket(call: S3Call & { bucket?: string }): Promise<void> {
  if (call.bucket !== undefined && !(await call.store.bucketExists(call.bucket))) throw new NoSuchBucket(call.bucket);
}

const LOCK_WRITES = new Set(['PutObject', 'CopyObject', 'CreateMultipartUpload']);

/** Throws the first problem S3 would answer for `op`'s headers and query parameters. */
export async function checkRequestParams(op: string, call: S3Call & { bucket?: string }): Promise<void> {
  for (const [name, check] of HEADERS[op] ?? []) {
    const v = header(call.req, name);
    const problem = v === undefined ? undefined : check(v.trim(), name);
    if (problem) throw problem;
  }
  for (const [name, check] of QUERY[op] ?? []) {
    const v = call.target.query.get(name);
    const problem = v === null ? undefined : check(v, name);
    if (problem) throw problem;
  }
  if (LOCK_WRITES.has(op)) await objectLockWrite(call);
  if (op === 'DeleteObject' || op === 'DeleteObjects') await bypassGovernance(call);
}
