/**
 * @module server/public-access — the requests that need no signature when authentication is on,
 * besides those the authenticator exempts itself. Asked only for requests that carry no signature
 * at all; everything it does not grant is refused as before.
 *
 *   S3       GET/HEAD of an object whose bucket policy grants anonymous s3:GetObject (and a missing
 *            key only with s3:ListBucket, else 403 as S3), GET of a listing with anonymous
 *            s3:ListBucket. No sub-resource, no other method.
 *   runtime  POST /endpoints/{name}/invocations[-response-stream] of an endpoint the operator
 *            allows (SLIPWAY_PUBLIC_INVOKE) that is tagged `slipway:public-invoke=true`. Never
 *            async invocations: their input is an S3 location the caller would read through us.
 *
 * docs/security.md "Public access" is the operator's view of the same rules.
 */
import type { IncomingMessage } from 'node:http';
import { resolveTarget } from '../protocol/rest-xml/target.js';
import type { S3Backend } from '../storage/s3-backend.js';
import { anonymousDecision, resourceArn } from '../services/s3/policy/anonymous-access.js';
import { loadBucketPolicy } from '../services/s3/policy/bucket-policy-ops.js';
import type { ResourceStore } from '../storage/resource-store.js';
import type { TagStore } from '../storage/tag-store.js';
import type { SurfaceName } from './surfaces.js';

/** Resolves true when an unsigned request may go on to its surface. */
export type PublicAccess = (surface: SurfaceName, req: IncomingMessage, url: URL) => Promise<boolean>;

/** The endpoint tag that asks for public invocation; it counts only where the operator allows it. */
export const PUBLIC_INVOKE_TAG = 'slipway:public-invoke';

/** Query parameters an anonymous GetObject may carry (anything else is another operation). */
const OBJECT_QUERY = new Set([
  'response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding', 'partNumber', 'x-id',
]);
/** Query parameters of ListObjects (v1, v2): the only bucket GET an anonymous caller can be granted. */
const LIST_QUERY = new Set([
  'prefix', 'delimiter', 'marker', 'max-keys', 'encoding-type', 'list-type', 'continuation-token',
  'start-after', 'fetch-owner', 'x-id',
]);

const INVOKE_PATH = /^\/endpoints\/([^/]+)\/(?:invocations|invocations-response-stream)$/;

export interface PublicAccessDeps {
  objects: S3Backend;
  resources: ResourceStore;
  tags: TagStore;
  /** Endpoint names the operator lets be public (`*`: any tagged endpoint); empty: none. */
  publicInvoke: readonly string[];
}

function onlyParams(query: URLSearchParams, allowed: ReadonlySet<string>): boolean {
  for (const k of query.keys()) if (!allowed.has(k)) return false;
  return true;
}

async function s3Allows(deps: PublicAccessDeps, req: IncomingMessage): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  let target;
  try {
    target = resolveTarget(req.url ?? '/', req.headers.host);
  } catch {
    return false;
  }
  const { bucket, key, query } = target;
  if (bucket === undefined) return false;
  const policy = await loadBucketPolicy(deps.objects, bucket);
  if (!policy) return false;
  const mayList = () => anonymousDecision(policy, 's3:ListBucket', resourceArn(bucket)) === 'allow';
  if (key === undefined) return req.method === 'GET' && onlyParams(query, LIST_QUERY) && mayList();
  if (!onlyParams(query, OBJECT_QUERY) || anonymousDecision(policy, 's3:GetObject', resourceArn(bucket, key)) !== 'allow') return false;
  // Without s3:ListBucket a missing key is 403, so an anonymous caller cannot probe which keys exist.
  return (await deps.objects.statObject(bucket, key).catch(() => undefined)) !== undefined || mayList();
}

async function runtimeAllows(deps: PublicAccessDeps, req: IncomingMessage, url: URL): Promise<boolean> {
  if (req.method !== 'POST' || deps.publicInvoke.length === 0) return false;
  const m = INVOKE_PATH.exec(url.pathname);
  if (!m) return false;
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    return false;
  }
  if (!deps.publicInvoke.includes('*') && !deps.publicInvoke.includes(name)) return false;
  const endpoint = await deps.resources.get('endpoint', name);
  if (!endpoint) return false;
  return (await deps.tags.list(endpoint.arn)).some((t) => t.Key === PUBLIC_INVOKE_TAG && t.Value.trim().toLowerCase() === 'true');
}

export function createPublicAccess(deps: PublicAccessDeps): PublicAccess {
  return async (surface, req, url) => {
    if (surface === 's3') return s3Allows(deps, req);
    if (surface === 'runtime') return runtimeAllows(deps, req, url);
    return false;
  };
}
