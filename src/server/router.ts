/**
 * @module server/router — one port, many surfaces. Order (issue #2): `/_slipway/*` first, then the
 * SigV4 credential scope's service, then `X-Amz-Target`, then the path.
 *
 *   Host <bucket>.s3-website.localhost | /_slipway/website/... → website (static sites, anonymous)
 *   /_slipway/...                              → slipway (health, console, metrics)
 *   scope s3                                   → s3
 *   X-Amz-Target: SageMaker.* | Logs_20140328.* → sagemaker | logs
 *   X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.* → ecr
 *   X-Amz-Target: AnyScaleFrontendService.*   → autoscaling (Application Auto Scaling)
 *   /v2, /v2/... without a SigV4 scope         → registry (docker push/pull; a bucket named v2 is reached signed)
 *   /endpoints/{name}/invocations[...]         → runtime (data plane), any method
 *   scope monitoring | /service/Granite...     → cloudwatch (CBOR, JSON 1.0 or query inside)
 *   scope sts                                  → sts (GetCallerIdentity, query protocol)
 *   scope iam                                  → iam (roles, query protocol; IAM is global)
 *   anything else (incl. presigned S3 URLs)    → s3
 *
 * With credentials configured (config `auth`), ./authenticate.ts verifies the SigV4 signature
 * between choosing the surface and calling it. Without, the request goes straight on: nothing is
 * read or buffered (the InvokeEndpoint hot path is benchmarked).
 */
import { CLOUDWATCH_SERVICE } from '../services/cloudwatch/index.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newRequestContext, type RequestContext } from '../protocol/context.js';
import { credentialScope, type CredentialScope } from '../protocol/sigv4/credential-scope.js';
import { InternalFailure } from '../protocol/errors.js';
import { logger } from '../platform/logger.js';
import type { AuthConfig } from '../platform/config.js';
import { createAuthenticator } from './authenticate.js';
import type { SurfaceName, Surfaces } from './surfaces.js';
import type { Clock } from '../platform/clock.js';
import type { PublicAccess } from './public-access.js';
import { isWebsitePath, websiteBucketFromHost } from '../services/s3/website/website-address.js';

const RUNTIME_PATH = /^\/endpoints\/[^/]+\/(invocations|invocations-response-stream|async-invocations)$/;

export function chooseSurface(req: IncomingMessage, url: URL): SurfaceName {
  return choose(req, url, credentialScope(req.headers, url.searchParams));
}

/** chooseSurface with the credential scope already read (the router reads it once per request). */
function choose(req: IncomingMessage, url: URL, scope: CredentialScope | undefined): SurfaceName {
  // A website address serves nothing but the website, whatever the path.
  if (websiteBucketFromHost(req.headers.host) !== undefined || isWebsitePath(url.pathname)) return 'website';
  if (url.pathname.startsWith('/_slipway/') || url.pathname === '/_slipway') return 'slipway';
  if (scope?.service === 's3') return 's3';
  if (scope?.service === 'sts') return 'sts';
  if (scope?.service === 'iam') return 'iam';
  if (scope?.service === 'monitoring' || url.pathname.startsWith(`/service/${CLOUDWATCH_SERVICE}/`)) return 'cloudwatch';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.length > 0) {
    if (target.startsWith('SageMaker.')) return 'sagemaker';
    if (target.startsWith('Logs_20140328.')) return 'logs';
    if (target.startsWith(`${CLOUDWATCH_SERVICE}.`)) return 'cloudwatch';
    if (target.startsWith('AmazonEC2ContainerRegistry_V20150921.')) return 'ecr';
    if (target.startsWith('AnyScaleFrontendService.')) return 'autoscaling';
    return 'unknownTarget';
  }
  if (!scope && (url.pathname === '/v2' || url.pathname.startsWith('/v2/'))) return 'registry';
  // Any method: the runtime answers what it does not serve itself (S3-signed requests went to s3 above).
  if (RUNTIME_PATH.test(url.pathname)) return 'runtime';
  // A browser opening the server root lands on the console.
  if (url.pathname === '/' && req.method === 'GET' && !scope && isBrowser(req)) return 'slipway';
  return 's3';
}

function isBrowser(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html');
}

/** Read-only stand-in for "no query string" (credentialScope only calls get on it). */
const NO_QUERY = new URLSearchParams();

export interface RouterOptions {
  /** The account every request acts as (SLIPWAY_ACCOUNT_ID): it goes into ARNs and messages. */
  accountId?: string;
  /** Credentials that every request must be signed with; none: any signature (or none) is accepted. */
  auth?: AuthConfig;
  /** Clock for signature time checks (tests). */
  now?: Clock;
  /** Unsigned requests that may pass with authentication on (public-read buckets, public endpoints). */
  publicAccess?: PublicAccess;
}

export function createRouter(surfaces: Surfaces, opts: RouterOptions = {}) {
  const auth = opts.auth
    ? createAuthenticator(opts.auth, {
        ...(opts.now ? { now: opts.now } : {}),
        ...(opts.publicAccess ? { publicAccess: opts.publicAccess } : {}),
      })
    : undefined;

  const dispatch = (name: SurfaceName, req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL): void => {
    // `Expect: 100-continue` reaches here through the server's 'checkContinue' event (app.ts):
    // the client sends its body only after this, so a request refused earlier never uploads it.
    if (req.headers.expect?.toLowerCase() === '100-continue' && !res.headersSent) res.writeContinue();
    let pending: Promise<void> | void;
    try {
      pending = surfaces[name].handle(req, res, ctx, url);
    } catch (err) {
      internalFailure(err, req, res, ctx, url, name);
      return;
    }
    if (pending !== undefined) pending.catch((err: unknown) => internalFailure(err, req, res, ctx, url, name));
  };

  /** A surface threw (a bug): logged with the request id, answered InternalFailure in the surface's protocol. */
  const internalFailure = (err: unknown, req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL, name: SurfaceName): void => {
    logger.error({ err, requestId: ctx.requestId, surface: name }, 'unhandled error');
    if (res.headersSent) res.destroy();
    else surfaces[name].renderError(res, ctx, new InternalFailure('An internal error occurred.'), req, url);
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const ctx: RequestContext = newRequestContext({ accountId: opts.accountId });
    const raw = req.url ?? '/';
    let url: URL;
    try {
      url = new URL(raw, 'http://localhost');
    } catch {
      res.writeHead(400).end();
      return;
    }
    // The scope comes from the Authorization header, or from a presigned URL's X-Amz-Credential;
    // without a query string there is none to read, so the URLSearchParams is never built.
    const scope = credentialScope(req.headers, raw.includes('?') ? url.searchParams : NO_QUERY);
    if (scope) {
      ctx.region = scope.region;
      ctx.accessKeyId = scope.accessKeyId;
      ctx.signingService = scope.service;
    }
    const name = choose(req, url, scope);
    if (auth !== undefined && auth.required(name, req, url)) {
      auth.check(req, res, ctx, url, name, surfaces[name].renderError).then(
        (checked) => {
          if (checked) dispatch(name, checked, res, ctx, url);
        },
        (err: unknown) => internalFailure(err, req, res, ctx, url, name),
      );
      return;
    }
    dispatch(name, req, res, ctx, url);
  };
}
