/**
 * @module services/s3/website/website-surface — static website hosting: serves a bucket's objects
 * as S3's website endpoints do, to anyone, under the bucket policy.
 *
 *   address (./website-address) ─► OPTIONS: bucket CORS preflight │ not GET/HEAD: 405
 *   ─► bucket, website configuration ─► RedirectAllRequestsTo │ prefix routing rule ─► redirect
 *   ─► key (+ index document for `/` and `dir/`) ─► policy grants anonymous s3:GetObject? ─► object
 *   on 4xx: error-code routing rule ─► redirect │ error document (with the error's status) │ HTML error
 *
 * Every request is anonymous here, signed or not, and authentication never applies: what the
 * policy does not grant `"Principal": "*"` is 403 AccessDenied. A missing key is 404 only when the
 * policy also grants s3:ListBucket, else 403, as S3 answers.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteHosting.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteAccessPermissionsReqd.html
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from '../../../protocol/context.js';
import { ServiceError } from '../../../protocol/errors.js';
import { NoSuchBucket, NoSuchKey, S3Errors } from '../../../protocol/rest-xml/s3-errors.js';
import { sendWebsiteError } from '../../../protocol/rest-xml/render-website-error.js';
import type { Surface, SurfaceHandler } from '../../../protocol/surface.js';
import type { S3Backend } from '../../../storage/s3-backend.js';
import { header, type ObjectCall } from '../call.js';
import { applyCors, preflight } from '../cors.js';
import { getObject } from '../get-object.js';
import { anonymousDecision, resourceArn } from '../policy/anonymous-access.js';
import { loadBucketPolicy } from '../policy/bucket-policy-ops.js';
import type { BucketPolicy } from '../policy/policy-document.js';
import { checkReadKey } from '../sse.js';
import { parseWebsiteAddress, type WebsiteAddress } from './website-address.js';
import { keyPath, matchRule, redirectAll, ruleRedirect, type Redirect } from './routing-rules.js';
import { loadWebsiteConfig, type WebsiteConfig } from './website-config.js';

export interface WebsiteSurfaceDeps {
  objects: S3Backend;
  /** Called with unexpected (non-ServiceError) failures. */
  logError?: (err: unknown, ctx: RequestContext) => void;
}

/**
 * The path form shares its origin with the console and the API: its pages run in a sandbox
 * (an opaque origin), so a hosted script can never read the console's session storage.
 */
const PATH_FORM_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

const accessDenied = () => new ServiceError('AccessDenied', 'Access Denied', 403);

interface Site {
  call: ObjectCall;
  address: WebsiteAddress;
  config: WebsiteConfig;
  policy: BucketPolicy | undefined;
  head: boolean;
}

function sendRedirect(res: ServerResponse, r: Redirect): void {
  res.statusCode = r.status;
  res.setHeader('location', r.location);
  res.setHeader('content-length', '0');
  res.end();
}

function canRead(site: Site, key: string): boolean {
  return anonymousDecision(site.policy, 's3:GetObject', resourceArn(site.call.bucket, key)) === 'allow';
}

/** Streams `key` with `status` (the error document is sent with the error's status). */
async function sendDocument(site: Site, key: string, status: number): Promise<void> {
  if (!canRead(site, key)) throw accessDenied();
  const { call } = site;
  const { meta, body } = await call.store.openObject(call.bucket, key, (m) => {
    checkReadKey(m.sse, undefined);
    return undefined;
  }, () => !site.head);
  const { res } = call;
  res.statusCode = status;
  res.setHeader('content-type', meta.contentType);
  res.setHeader('content-length', meta.size);
  res.setHeader('etag', meta.etag);
  res.setHeader('last-modified', meta.lastModified.toUTCString());
  if (site.head) {
    body.destroy();
    res.end();
    return;
  }
  const out = call.store.plaintext(meta, body, 0);
  res.on('close', () => out.destroy());
  await pipeline(out, res);
}

async function serveKey(site: Site): Promise<void> {
  const { call, address, config } = site;
  const path = address.path;
  const suffix = config.indexSuffix ?? 'index.html';
  const key = path === '' || path.endsWith('/') ? `${path}${suffix}` : path;
  if (!canRead(site, key)) throw accessDenied();
  if (await call.store.statObject(call.bucket, key)) {
    return getObject({ ...call, key }, site.head);
  }
  // `/docs` with `docs/index.html` present: S3 redirects to the folder (302, trailing slash).
  if (path !== '' && !path.endsWith('/') && canRead(site, `${path}/${suffix}`) && (await call.store.statObject(call.bucket, `${path}/${suffix}`))) {
    return sendRedirect(call.res, { status: 302, location: `${address.base}/${keyPath(path)}/` });
  }
  const mayList = anonymousDecision(site.policy, 's3:ListBucket', resourceArn(call.bucket)) === 'allow';
  throw mayList ? new NoSuchKey(key) : accessDenied();
}

/** An error on the way to the object: an error-code routing rule, the error document, or the HTML page. */
async function answerError(site: Site, err: unknown, ids: { requestId: string; hostId: string }): Promise<void> {
  const status = err instanceof ServiceError ? err.statusCode : 500;
  const { res } = site.call;
  if (status >= 400 && status < 500) {
    const rule = matchRule(site.config, site.address.path, status);
    if (rule) return sendRedirect(res, ruleRedirect(rule, site.address.path, site.address.base));
    const errorKey = site.config.errorKey;
    if (errorKey !== undefined && !res.headersSent) {
      try {
        return await sendDocument(site, errorKey, status);
      } catch (documentError) {
        return sendWebsiteError(res, err, { ...ids, head: site.head, documentError });
      }
    }
  }
  sendWebsiteError(res, err, { ...ids, head: site.head });
}

export function createWebsiteSurface(deps: WebsiteSurfaceDeps): Surface {
  const hostId = randomBytes(32).toString('base64');
  const logError = deps.logError ?? ((err, ctx) => console.error(`[s3-website] ${ctx.requestId}`, err));
  const handle: SurfaceHandler = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    res.setHeader('x-amz-request-id', ctx.requestId);
    res.setHeader('x-amz-id-2', hostId);
    res.setHeader('server', 'Slipway');
    const ids = { requestId: ctx.requestId, hostId };
    const method = (req.method ?? 'GET').toUpperCase();
    const head = method === 'HEAD';
    let site: Site | undefined;
    try {
      // Website endpoints take no request bodies; drain one so the connection stays usable.
      if (method !== 'OPTIONS') req.resume();
      const address = parseWebsiteAddress(req.url ?? '/', header(req, 'host'));
      if (!address) throw new ServiceError('InvalidURI', "Couldn't parse the specified URI.", 400);
      if (address.pathForm) res.setHeader('content-security-policy', PATH_FORM_CSP);
      const call: ObjectCall = {
        req,
        res,
        ctx,
        // The website endpoint ignores query strings (no sub-resources, no response-* overrides).
        target: { bucket: address.bucket, key: address.path, query: new URLSearchParams(), virtualHost: !address.pathForm, resource: `/${address.bucket}/${address.path}` },
        store: deps.objects,
        bucket: address.bucket,
        key: address.path,
      };
      if (method === 'OPTIONS') return await preflight(call);
      if (method !== 'GET' && !head) {
        // Do not wait for an upload this address will never store.
        if (!req.complete) res.setHeader('connection', 'close');
        throw S3Errors.methodNotAllowed(method, 'OBJECT');
      }
      if (!(await call.store.bucketExists(address.bucket))) throw new NoSuchBucket(address.bucket);
      const config = await loadWebsiteConfig(call.store, address.bucket);
      if (!config) {
        throw S3Errors.noSuchConfiguration('NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration', address.bucket);
      }
      const origin = header(req, 'origin');
      if (origin !== undefined) await applyCors(call, origin);
      const all = redirectAll(config, address.path);
      if (all) return sendRedirect(res, all);
      // `/_slipway/website/site` → `.../site/`, so the page's relative links resolve inside the site.
      if (address.pathForm && address.path === '' && !(req.url ?? '').split('?')[0]!.endsWith('/')) {
        return sendRedirect(res, { status: 302, location: `${address.base}/` });
      }
      const rule = matchRule(config, address.path);
      if (rule) return sendRedirect(res, ruleRedirect(rule, address.path, address.base));
      site = { call, address, config, policy: await loadBucketPolicy(call.store, address.bucket), head };
      return await serveKey(site);
    } catch (err) {
      if (!(err instanceof ServiceError)) logError(err, ctx);
      if (site) return answerError(site, err, ids);
      sendWebsiteError(res, err, { ...ids, head });
    }
  };
  // Failures the handler never answers itself (a bug) are HTML pages too, as the website endpoint's.
  const renderError: Surface['renderError'] = (res, ctx, err, req) =>
    sendWebsiteError(res, err, { requestId: ctx.requestId, hostId, head: req.method === 'HEAD' });
  return { handle, renderError };
}
