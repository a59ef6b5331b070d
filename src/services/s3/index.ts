/**
 * @module services/s3 — the S3-compatible surface: routes a REST-XML request by method,
 * bucket/key and sub-resource to its operation, and renders errors as S3 `<Error>` documents.
 *
 *   request ─► resolveTarget (path or virtual host) ─► route(method, sub-resource) ─► operation ─► S3Backend
 *
 * Unsupported sub-resources answer NotImplemented (501); probes the CLI and SDKs send (location,
 * versioning, acl, lifecycle, ...) get the answers S3 gives for an unconfigured bucket. The
 * website address (anonymous, HTML errors) is another surface: ./website/website-surface.ts.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../../protocol/context.js';
import { renderError } from '../../protocol/rest-xml/render-error.js';
import { NoSuchKey, S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { resolveTarget } from '../../protocol/rest-xml/target.js';
import { InsufficientStorage } from '../../storage/blobs/storage-full.js';
import { ObjectStoreFault } from '../../storage/blobs/foreign-store-error.js';
import { ServiceError } from '../../protocol/errors.js';
import type { Surface } from '../../protocol/surface.js';
import type { S3Backend } from '../../storage/s3-backend.js';
import {
  acceptAndIgnore,
  createBucket,
  deleteBucket,
  getBucketAcl,
  getBucketLocation,
  getBucketVersioning,
  getNotConfigured,
  headBucket,
  listBuckets,
  notConfiguredSubresource,
} from './bucket-ops.js';
import { header, type BucketCall, type ObjectCall, type S3Call } from './call.js';
import { checkRequestParams } from './request-params.js';
import { listObjectsV1, listObjectsV2, listObjectVersions } from './list-ops.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart-ops.js';
import { getObject, headObject } from './get-object.js';
import { getObjectAttributes } from './object-attributes.js';
import { copyObject, deleteObject, deleteObjects, putObject } from './object-ops.js';
import { deleteBucketEncryption, getBucketEncryption, putBucketEncryption } from './bucket-encryption.js';
import { deleteBucketPolicy, getBucketPolicy, getBucketPolicyStatus, putBucketPolicy } from './policy/bucket-policy-ops.js';
import { deleteBucketWebsite, getBucketWebsite, putBucketWebsite } from './website/website-config.js';
import { applyCors, deleteBucketCors, getBucketCors, preflight, putBucketCors } from './cors.js';
import {
  deleteBucketTagging,
  deleteObjectTagging,
  getBucketTagging,
  getObjectTagging,
  putBucketTagging,
  putObjectTagging,
} from './tagging.js';


export interface S3SurfaceDeps {
  objects: S3Backend;
  /** Called with unexpected (non-ServiceError) failures; defaults to console.error. */
  logError?: (err: unknown, ctx: RequestContext) => void;
}

/**
 * Bucket sub-resources accepted on PUT without changing behaviour: one owner here (ACLs, public
 * access block, ownership controls).
 */
const IGNORED_BUCKET_SUBRESOURCES = ['acl', 'publicAccessBlock', 'ownershipControls'];
/** Configurations Slipway would have to act on and does not: refused, never stored and ignored. */
const REFUSED_BUCKET_CONFIG = ['lifecycle'];
const UNSUPPORTED = [
  'replication', 'logging', 'notification', 'accelerate', 'requestPayment', 'analytics', 'metrics',
  'inventory', 'intelligent-tiering', 'object-lock', 'legal-hold', 'retention', 'torrent', 'restore', 'select',
  'renameObject', 'session',
];

/** Checks the operation's header and query members against S3's rules (./request-params.ts), then runs it. */
async function run<C extends S3Call>(op: string, operation: (call: C) => Promise<void>, call: C): Promise<void> {
  await checkRequestParams(op, call);
  return operation(call);
}

async function routeBucket(call: BucketCall, method: string): Promise<void> {
  const q = call.target.query;
  const unsupported = UNSUPPORTED.find((s) => q.has(s));
  switch (method) {
    case 'GET': {
      if (q.has('location')) return getBucketLocation(call);
      if (q.has('versioning')) return getBucketVersioning(call);
      if (q.has('acl')) return getBucketAcl(call);
      if (q.has('uploads')) return run('ListMultipartUploads', listMultipartUploads, call);
      if (q.has('versions')) return run('ListObjectVersions', listObjectVersions, call);
      if (q.has('tagging')) return getBucketTagging(call);
      if (q.has('cors')) return getBucketCors(call);
      if (q.has('encryption')) return getBucketEncryption(call);
      if (q.has('policy')) return getBucketPolicy(call);
      if (q.has('policyStatus')) return getBucketPolicyStatus(call);
      if (q.has('website')) return getBucketWebsite(call);
      const nc = notConfiguredSubresource(q);
      if (nc) return getNotConfigured(call, nc);
      if (unsupported) throw S3Errors.notImplemented(unsupported);
      if (q.get('list-type') === '2') return run('ListObjectsV2', listObjectsV2, call);
      return run('ListObjects', listObjectsV1, call);
    }
    case 'HEAD':
      return headBucket(call);
    case 'PUT': {
      if (q.has('tagging')) return run('PutBucketTagging', putBucketTagging, call);
      if (q.has('cors')) return run('PutBucketCors', putBucketCors, call);
      if (q.has('encryption')) return run('PutBucketEncryption', putBucketEncryption, call);
      if (q.has('policy')) return run('PutBucketPolicy', putBucketPolicy, call);
      if (q.has('website')) return run('PutBucketWebsite', putBucketWebsite, call);
      if (IGNORED_BUCKET_SUBRESOURCES.some((s) => q.has(s))) return acceptAndIgnore(call);
      const refused = REFUSED_BUCKET_CONFIG.find((s) => q.has(s)) ?? (q.has('versioning') ? 'versioning' : unsupported);
      if (refused) throw S3Errors.notImplemented(refused);
      return run('CreateBucket', createBucket, call);
    }
    case 'DELETE': {
      if (q.has('tagging')) return deleteBucketTagging(call);
      if (q.has('cors')) return deleteBucketCors(call);
      if (q.has('encryption')) return deleteBucketEncryption(call);
      if (q.has('policy')) return deleteBucketPolicy(call);
      if (q.has('website')) return deleteBucketWebsite(call);
      // Deleting a configuration that cannot exist here succeeds, as S3 answers for an unconfigured bucket.
      if ([...IGNORED_BUCKET_SUBRESOURCES, ...REFUSED_BUCKET_CONFIG].some((s) => q.has(s))) return acceptAndIgnore(call, 204);
      if (unsupported) throw S3Errors.notImplemented(unsupported);
      return deleteBucket(call);
    }
    case 'POST':
      if (q.has('delete')) return run('DeleteObjects', deleteObjects, call);
      // Browser form uploads (POST Object with a policy document) are not implemented.
      if ((header(call.req, 'content-type') ?? '').startsWith('multipart/form-data')) throw S3Errors.notImplemented('POST Object');
      throw S3Errors.methodNotAllowed(method, 'BUCKET');
    case 'OPTIONS':
      return preflight(call);
    default:
      throw S3Errors.methodNotAllowed(method, 'BUCKET');
  }
}

async function routeObject(call: ObjectCall, method: string): Promise<void> {
  const q = call.target.query;
  const unsupported = UNSUPPORTED.find((s) => q.has(s));
  if (unsupported) throw S3Errors.notImplemented(unsupported);
  switch (method) {
    case 'GET':
      if (q.has('uploadId')) return run('ListParts', listParts, call);
      if (q.has('tagging')) return run('GetObjectTagging', getObjectTagging, call);
      if (q.has('attributes')) return run('GetObjectAttributes', getObjectAttributes, call);
      if (q.has('acl')) return getBucketAcl(call);
      return run('GetObject', getObjectAsData, call);
    case 'HEAD':
      return run('HeadObject', headObject, call);
    case 'PUT': {
      if (q.has('tagging')) return run('PutObjectTagging', putObjectTagging, call);
      if (q.has('acl')) {
        if (!(await call.store.statObject(call.bucket, call.key))) throw new NoSuchKey(call.key);
        return acceptAndIgnore(call);
      }
      const copy = header(call.req, 'x-amz-copy-source') !== undefined;
      if (q.has('uploadId')) return copy ? run('UploadPartCopy', uploadPartCopy, call) : run('UploadPart', uploadPart, call);
      return copy ? run('CopyObject', copyObject, call) : run('PutObject', putObject, call);
    }
    case 'DELETE':
      if (q.has('uploadId')) return run('AbortMultipartUpload', abortMultipartUpload, call);
      if (q.has('tagging')) return deleteObjectTagging(call);
      return run('DeleteObject', deleteObject, call);
    case 'POST':
      if (q.has('uploads')) return run('CreateMultipartUpload', createMultipartUpload, call);
      if (q.has('uploadId')) return run('CompleteMultipartUpload', completeMultipartUpload, call);
      throw S3Errors.methodNotAllowed(method, 'OBJECT');
    case 'OPTIONS':
      return preflight(call);
    default:
      throw S3Errors.methodNotAllowed(method, 'OBJECT');
  }
}

/**
 * `x-amz-expected-bucket-owner` (and the copy source's): every bucket here belongs to the one
 * account, so any other account id is refused as S3 refuses it (403).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
 */
function checkExpectedOwner(req: IncomingMessage, ctx: RequestContext): void {
  for (const name of ['x-amz-expected-bucket-owner', 'x-amz-source-expected-bucket-owner']) {
    const v = header(req, name);
    if (v !== undefined && v.trim() !== ctx.accountId) throw new ServiceError('AccessDenied', 'Access Denied', 403);
  }
}

/**
 * The S3 surface. Reads the raw `req.url` and `Host` (not the router's parsed URL) so keys keep
 * `..`, `//` and percent-escapes exactly and virtual-hosted buckets are found.
 */
export function createS3Surface(deps: S3SurfaceDeps): Surface {
  const hostId = randomBytes(32).toString('base64');
  const logError = deps.logError ?? ((err, ctx) => console.error(`[s3] ${ctx.requestId}`, err));
  const handle = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    res.setHeader('x-amz-request-id', ctx.requestId);
    res.setHeader('x-amz-id-2', hostId);
    res.setHeader('server', 'Slipway');
    const method = (req.method ?? 'GET').toUpperCase();
    let resource = '/';
    try {
      const target = resolveTarget(req.url ?? '/', header(req, 'host'));
      resource = target.resource;
      const call: S3Call = { req, res, ctx, target, store: deps.objects };
      checkExpectedOwner(req, ctx);
      if (target.bucket === undefined) {
        if (method === 'GET') return await run('ListBuckets', listBuckets, call);
        throw S3Errors.methodNotAllowed(method, 'SERVICE');
      }
      const origin = header(req, 'origin');
      // Only browser requests carry an Origin: SDK traffic never pays for the rule lookup.
      if (origin !== undefined && method !== 'OPTIONS') await applyCors({ ...call, bucket: target.bucket }, origin);
      if (target.key === undefined) return await routeBucket({ ...call, bucket: target.bucket }, method);
      if (Buffer.byteLength(target.key) > 1024) throw S3Errors.keyTooLong();
      return await routeObject({ ...call, bucket: target.bucket, key: target.key }, method);
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && 'statusCode' in err)) {
        const code = (err as NodeJS.ErrnoException | undefined)?.code;
        // A client that went away mid-body is not a server bug.
        if (code !== 'ECONNRESET' && code !== 'ERR_STREAM_PREMATURE_CLOSE' && !req.destroyed) logError(err, ctx);
      } else if (err instanceof InsufficientStorage || err instanceof ObjectStoreFault) {
        // The operator has to act on a full disk or a failing object store: say so in the log
        // (with the store's own error as the cause), not only to the client.
        logError(err, ctx);
      }
      // An error before the whole body was read leaves its rest in the socket: close the
      // connection after answering, or the client's next request on it would wait forever.
      if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
      renderError(res, err, { requestId: ctx.requestId, hostId, resource, head: method === 'HEAD' });
    }
  };
  return {
    handle,
    // For answers the surface does not give itself (authentication): the path as the resource.
    renderError: (res, ctx, err, req, url) => {
      if (!res.headersSent) {
        res.setHeader('x-amz-request-id', ctx.requestId);
        res.setHeader('x-amz-id-2', hostId);
      }
      renderError(res, err, { requestId: ctx.requestId, hostId, resource: url.pathname, head: req.method === 'HEAD' });
    },
  };
}

/**
 * GetObject on the S3 surface. Unlike s3.amazonaws.com, this surface shares its origin with the
 * console and the API, so a stored HTML or SVG object opened in a browser must not run as a page of
 * that origin. Static sites are served by the website surface, which sets its own policy.
 */
function getObjectAsData(call: ObjectCall): Promise<void> {
  call.res.setHeader('content-security-policy', 'sandbox');
  call.res.setHeader('x-content-type-options', 'nosniff');
  return getObject(call);
}
