/**
 * @module server/authenticate — SigV4 authentication of every request, when the server has
 * credentials (server/config.ts `auth`). Runs in the router after the surface is chosen and before
 * the surface does any work; answers failures in that surface's own error format.
 *
 *   exempt? (/_slipway/* but logs and metrics, runtime CORS preflight, website) ─► surface
 *   parseAuth ─► missing ─► public (./public-access.ts)? ─► surface, unsigned
 *             ─► missing / malformed ─► 403 (400 for malformed S3)
 *   secret of the access key ─► unknown key
 *   scope service = the surface's signing name ─► wrong service
 *   clock (15 min) / presigned X-Amz-Expires ─► skewed / expired
 *   payload hash:
 *     S3        x-amz-content-sha256 as sent (UNSIGNED-PAYLOAD for presigned URLs); body streams on
 *     the rest  SHA-256 of the body, read whole (bounded) and replayed to the surface
 *   verifySignature ─► the surface gets the request (or its replay)
 *
 * Follow-ups owned by the S3 body decoder (src/services/s3): for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`
 * only the seed signature (the Authorization header) is verified here, not each chunk's signature;
 * for a hex `x-amz-content-sha256` the body is not yet checked against it (S3 answers
 * XAmzContentSHA256Mismatch). Both need the decoder to see the bytes, which this module never holds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { encode } from 'cbor-x';
import { CLOUDWATCH_XMLNS } from '../services/cloudwatch/index.js';
import type { RequestContext } from '../protocol/context.js';
import { ServiceError } from '../protocol/errors.js';
import { sendJson } from '../protocol/json11/json11-surface.js';
import { sendRuntimeError } from '../protocol/rest-json/runtime-errors.js';
import { renderS3Error } from '../protocol/rest-xml/render-error.js';
import { S3Errors } from '../protocol/rest-xml/s3-errors.js';
import {
  EMPTY_SHA256,
  UNSIGNED_PAYLOAD,
  checkTime,
  isFailure,
  parseAuth,
  scopeOf,
  sha256Hex,
  signingKey,
  verifySignature,
  type AuthFailure,
  type SignedRequest,
} from '../protocol/sigv4/verify.js';
import type { AuthConfig } from './config.js';
import { replayRequest } from './replay-request.js';
import { applyCors } from '../dataplane/cors.js';
import type { SurfaceName } from './router.js';
import type { PublicAccess } from './public-access.js';

/** How a surface renders errors. CloudWatch picks CBOR, JSON 1.0 or query inside (see renderError). */
type Family = 'json' | 'runtime' | 's3' | 'cloudwatch' | 'slipway';

const FAMILY: Record<SurfaceName, Family> = {
  sagemaker: 'json',
  logs: 'json',
  unknownTarget: 'json',
  ecr: 'json',
  // Checks its own credentials (the ECR login token), registry/registry-auth.ts; never SigV4.
  registry: 'slipway',
  runtime: 'runtime',
  s3: 's3',
  // Never authenticated (required() is false); listed for completeness.
  website: 's3',
  cloudwatch: 'cloudwatch',
  // Query protocol with the same query-style error codes (InvalidClientTokenId, SignatureDoesNotMatch).
  sts: 'cloudwatch',
  iam: 'cloudwatch',
  slipway: 'slipway',
};

/** The SigV4 signing name each surface expects in the credential scope (contract §1.1); undefined: any. */
const SERVICE: Partial<Record<SurfaceName, string>> = {
  sagemaker: 'sagemaker',
  runtime: 'sagemaker',
  logs: 'logs',
  s3: 's3',
  cloudwatch: 'monitoring',
  sts: 'sts',
  iam: 'iam',
  ecr: 'ecr',
};

/** 6 MiB (InvokeEndpoint's Body max) plus room, so the runtime surface still answers its own oversize error. */
const RUNTIME_MAX_BODY = 6 * 1024 * 1024 + 64 * 1024;
/** The JSON/CBOR surfaces' own limit (protocol/json11, rpcv2-cbor). */
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

const INVALID_SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export interface Authenticator {
  /** False for requests that stay open with auth on: /_slipway/* but its data routes, CORS preflight. */
  required(surface: SurfaceName, req: IncomingMessage, url: URL): boolean;
  /**
   * Verifies the request. Resolves the request the surface must read (the original, or a replay
   * of the body it had to read for the payload hash), or undefined once it has answered an error.
   */
  check(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL, surface: SurfaceName): Promise<IncomingMessage | undefined>;
}

export function createAuthenticator(
  config: AuthConfig,
  opts: { now?: () => number; corsOrigins?: readonly string[]; publicAccess?: PublicAccess } = {},
): Authenticator {
  const now = opts.now ?? Date.now;
  const hostId = randomBytes(32).toString('base64');

  const fail = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL, surface: SurfaceName, err: ServiceError): undefined => {
    // Read what is left of the body so the client sees the answer instead of a reset.
    if (!req.readableEnded) req.resume();
    // A web page calling an endpoint must be able to read why it was refused.
    if (surface === 'runtime' && req.headers.origin !== undefined) applyCors(req, res, opts.corsOrigins ?? []);
    renderError(res, ctx, url, req, surface, err, hostId);
    return undefined;
  };

  return {
    required(surface, req, url) {
      if (surface === 'slipway') return isProtectedSlipwayPath(url.pathname);
      if (surface === 'registry') return false;
      // Website endpoints serve anonymous readers only; the bucket policy decides (services/s3/website).
      if (surface === 'website') return false;
      // CORS preflights carry no credentials (browsers never sign them).
      if ((surface === 'runtime' || surface === 's3') && req.method === 'OPTIONS') return false;
      return true;
    },

    async check(req, res, ctx, url, surface) {
      const family = FAMILY[surface];
      const signed: SignedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, rawHeaders: req.rawHeaders };
      const parsed = parseAuth(signed);
      if (isFailure(parsed)) {
        // No signature at all: a public-read object or a public endpoint may still be served (./public-access.ts).
        if (parsed.kind === 'missing' && opts.publicAccess && (await opts.publicAccess(surface, req, url))) return req;
        return fail(req, res, ctx, url, surface, failureError(parsed, family));
      }
      const secret = config.credentials.get(parsed.accessKeyId);
      if (secret === undefined) return fail(req, res, ctx, url, surface, unknownKeyError(family, parsed.accessKeyId));
      const expected = SERVICE[surface];
      if (expected !== undefined && parsed.service !== expected) {
        return fail(req, res, ctx, url, surface, wrongServiceError(family, parsed.service, expected));
      }
      const late = checkTime(parsed, now());
      if (late) return fail(req, res, ctx, url, surface, failureError(late, family));

      let forward = req;
      let payloadHash: string;
      if (family === 's3') {
        const declared = header(req, 'x-amz-content-sha256');
        if (parsed.presigned) payloadHash = declared ?? UNSIGNED_PAYLOAD;
        else if (declared === undefined) {
          return fail(req, res, ctx, url, surface, S3Errors.invalidRequest('Missing required header for this request: x-amz-content-sha256'));
        } else {
          // A hash, UNSIGNED-PAYLOAD or STREAMING-…: signed as sent. For STREAMING-AWS4-HMAC-SHA256-PAYLOAD
          // this verifies the seed signature only; per-chunk signatures (and a hex hash against the
          // bytes) are the S3 body decoder's to check, with ctx.streamingSigner set below.
          payloadHash = declared;
        }
      } else if (!hasBody(req)) {
        payloadHash = EMPTY_SHA256;
      } else {
        const max = surface === 'runtime' ? RUNTIME_MAX_BODY : DEFAULT_MAX_BODY;
        const body = await readBounded(req, max);
        if (body === 'aborted') {
          res.destroy();
          return undefined;
        }
        if (body === 'tooLarge') return fail(req, res, ctx, url, surface, tooLargeError(family, ctx, max));
        payloadHash = sha256Hex(body);
        forward = replayRequest(req, body);
      }

      const verdict = verifySignature(signed, parsed, secret, payloadHash, { s3: family === 's3' });
      if (verdict !== true) return fail(forward, res, ctx, url, surface, failureError(verdict, family, parsed.accessKeyId));
      ctx.accessKeyId = parsed.accessKeyId;
      if (family === 's3' && !parsed.presigned && payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256-')) {
        ctx.streamingSigner = {
          signingKey: signingKey(secret, parsed.date, parsed.region, parsed.service),
          amzDate: parsed.amzDate,
          scope: scopeOf(parsed),
          seedSignature: parsed.signature,
        };
      }
      return forward;
    },
  };
}

/** Slipway's own routes that expose data; health and the console's static files stay open. */
export function isProtectedSlipwayPath(pathname: string): boolean {
  return (
    pathname === '/_slipway/metrics' ||
    pathname === '/_slipway/registry' ||
    pathname.startsWith('/_slipway/logs/') ||
    pathname === '/_slipway/api' ||
    pathname.startsWith('/_slipway/api/')
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** HTTP/1.1: a request has a body only with Content-Length > 0 or Transfer-Encoding (RFC 9112 §6.3). */
function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te !== '') return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/** Reads the whole body if it fits in `max` bytes; stops reading at once when it cannot. */
function readBounded(req: IncomingMessage, max: number): Promise<Buffer | 'tooLarge' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve('tooLarge');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (v: Buffer | 'tooLarge' | 'aborted') => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      resolve(v);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) done('tooLarge');
      else chunks.push(c);
    };
    const onEnd = () => done(Buffer.concat(chunks, size));
    const onAbort = () => done('aborted');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}

// ---------------------------------------------------------------- errors, by surface family

/**
 * The codes are AWS's: JSON and REST-JSON services answer `MissingAuthenticationTokenException`,
 * `UnrecognizedClientException`, `InvalidSignatureException`, `IncompleteSignatureException`;
 * query-compatible services (CloudWatch) `MissingAuthenticationToken`, `InvalidClientTokenId`,
 * `SignatureDoesNotMatch`, `IncompleteSignature`; S3 its own (ErrorResponses.html). Unconfirmed for
 * SageMaker itself (contract §1.2); botocore and JS v3 only read the code.
 */
function failureError(f: AuthFailure, family: Family, accessKeyId?: string): ServiceError {
  const query = family === 'cloudwatch';
  switch (f.kind) {
    case 'missing':
      if (family === 's3') return new ServiceError('AccessDenied', 'Access Denied', 403);
      return query
        ? new ServiceError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
        : new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    case 'malformed':
      if (family === 's3') {
        return f.presigned
          ? new ServiceError('AuthorizationQueryParametersError', f.message, 400)
          : new ServiceError('AuthorizationHeaderMalformed', f.message, 400);
      }
      // 400 as in AWS's common errors (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
      return query ? new ServiceError('IncompleteSignature', f.message, 400) : new ServiceError('IncompleteSignatureException', f.message, 400);
    case 'skewed': {
      if (family === 's3') {
        return new ServiceError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403, {
          extra: { RequestTime: f.requestTime, ServerTime: f.serverTime, MaxAllowedSkewMilliseconds: 900000 },
        });
      }
      // botocore recognises these wordings as clock skew (botocore/retries/special.py, handlers).
      const message = f.future
        ? `Signature not yet current: ${f.requestTime} is still later than ${f.serverTime} + 15 min.`
        : `Signature expired: ${f.requestTime} is now earlier than ${f.serverTime} - 15 min.`;
      return signatureError(family, message);
    }
    case 'expired':
      if (family === 's3') {
        return new ServiceError('AccessDenied', 'Request has expired', 403, {
          extra: { 'X-Amz-Expires': f.expiresSeconds, Expires: f.expiresAt, ServerTime: f.serverTime },
        });
      }
      return signatureError(family, `Signature expired: ${f.expiresAt} is now earlier than ${f.serverTime}`);
    case 'badSignature':
      if (family === 's3') {
        return new ServiceError(
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
          403,
          { extra: { AWSAccessKeyId: accessKeyId, StringToSign: f.stringToSign, SignatureProvided: f.provided, CanonicalRequest: f.canonicalRequest } },
        );
      }
      return signatureError(family, INVALID_SIGNATURE_MESSAGE);
  }
}

function signatureError(family: Family, message: string): ServiceError {
  return family === 'cloudwatch'
    ? new ServiceError('SignatureDoesNotMatch', message, 403)
    : new ServiceError('InvalidSignatureException', message, 403);
}

function unknownKeyError(family: Family, accessKeyId: string): ServiceError {
  if (family === 's3') {
    return new ServiceError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, {
      extra: { AWSAccessKeyId: accessKeyId },
    });
  }
  const message = 'The security token included in the request is invalid.';
  return family === 'cloudwatch' ? new ServiceError('InvalidClientTokenId', message, 403) : new ServiceError('UnrecognizedClientException', message, 403);
}

function wrongServiceError(family: Family, got: string, expected: string): ServiceError {
  if (family === 's3') {
    return new ServiceError('AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service "${got}". This endpoint belongs to "${expected}".`, 400);
  }
  return signatureError(family, `Credential should be scoped to correct service: '${expected}'.`);
}

function tooLargeError(family: Family, ctx: RequestContext, max: number): ServiceError {
  // Observed runtime wording: "Request {request-id} has oversize body." (aws/sagemaker-python-sdk#4271), as the runtime surface.
  if (family === 'runtime') return new ServiceError('ValidationError', `Request ${ctx.requestId} has oversize body.`, 400);
  return new ServiceError('RequestEntityTooLarge', `Request body exceeds ${max} bytes.`, 413);
}

/** Writes `err` as the surface would (see each surface's error writer in protocol/*). */
function renderError(res: ServerResponse, ctx: RequestContext, url: URL, req: IncomingMessage, surface: SurfaceName, err: ServiceError, hostId: string): void {
  const family = FAMILY[surface];
  switch (family) {
    case 's3':
      res.setHeader('x-amz-request-id', ctx.requestId);
      res.setHeader('x-amz-id-2', hostId);
      renderS3Error(res, err, { requestId: ctx.requestId, hostId, resource: url.pathname, head: req.method === 'HEAD' });
      return;
    case 'runtime':
      sendRuntimeError(res, ctx, err);
      return;
    case 'json':
    case 'slipway':
      res.setHeader('X-Amzn-ErrorType', err.code);
      sendJson(res, ctx, err.statusCode, { __type: err.code, message: err.message }, family === 'json' ? 'application/x-amz-json-1.1' : 'application/json');
      return;
    case 'cloudwatch':
      renderCloudWatchError(res, ctx, url, req, err);
      return;
  }
}

/** As protocol/rpcv2-cbor, protocol/json11 (1.0) and protocol/query render a ServiceError. */
function renderCloudWatchError(res: ServerResponse, ctx: RequestContext, url: URL, req: IncomingMessage, err: ServiceError): void {
  const sender = err.fault === 'client' ? 'Sender' : 'Receiver';
  if (url.pathname.startsWith('/service/')) {
    const payload = encode({ __type: err.code, message: err.message });
    res.writeHead(err.statusCode, {
      'smithy-protocol': 'rpc-v2-cbor',
      'Content-Type': 'application/cbor',
      'Content-Length': payload.length,
      'x-amzn-RequestId': ctx.requestId,
      'x-amzn-query-error': `${err.code};${sender}`,
    });
    res.end(payload);
    return;
  }
  if (req.headers['x-amz-target']) {
    res.setHeader('X-Amzn-ErrorType', err.code);
    sendJson(res, ctx, err.statusCode, { __type: err.code, message: err.message }, 'application/x-amz-json-1.0');
    return;
  }
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ErrorResponse xmlns="${CLOUDWATCH_XMLNS}"><Error><Type>${sender}</Type><Code>${err.code}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${ctx.requestId}</RequestId></ErrorResponse>`;
  res.writeHead(err.statusCode, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': ctx.requestId });
  res.end(body);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
