/**
 * @module server/authenticate — SigV4 authentication of every request, when the server has
 * credentials (platform/config.ts `auth`). Runs in the router after the surface is chosen and before
 * the surface does any work; answers failures in that surface's own error format.
 *
 *   exempt? (/_slipway/* but logs and metrics, runtime CORS preflight, website, registry) ─► surface
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
import type { AuthConfig } from '../platform/config.js';
import type { Clock } from '../platform/clock.js';
import type { RequestContext } from '../protocol/context.js';
import type { ServiceError } from '../protocol/errors.js';
import { hasBody, readBounded } from '../protocol/read-body.js';
import { replayRequest } from '../protocol/replay-request.js';
import { S3Errors } from '../protocol/rest-xml/s3-errors.js';
import { failureError, tooLargeError, unknownKeyError, wrongServiceError, type AuthDialect } from '../protocol/sigv4/auth-errors.js';
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
  type SignedRequest,
} from '../protocol/sigv4/verify.js';
import { isSlipwayDataPath } from '../protocol/slipway-paths.js';
import type { ErrorRenderer } from '../protocol/surface.js';
import type { SurfaceName } from './surfaces.js';
import type { PublicAccess } from './public-access.js';

/** How each surface spells authentication errors (protocol/sigv4/auth-errors.ts). */
const DIALECT: Record<SurfaceName, AuthDialect> = {
  sagemaker: 'json',
  logs: 'json',
  unknownTarget: 'json',
  slipway: 'json',
  ecr: 'json',
  autoscaling: 'json',
  // Checks its own credentials (the ECR login token), registry/registry-auth.ts; never SigV4.
  registry: 'json',
  runtime: 'runtime',
  s3: 's3',
  // Never authenticated (required() is false); listed for completeness.
  website: 's3',
  // CloudWatch is query-compatible in all three encodings; STS and IAM speak the query protocol.
  cloudwatch: 'query',
  sts: 'query',
  iam: 'query',
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
  autoscaling: 'application-autoscaling',
};

/** 6 MiB (InvokeEndpoint's Body max) plus room, so the runtime surface still answers its own oversize error. */
const RUNTIME_MAX_BODY = 6 * 1024 * 1024 + 64 * 1024;
/** The JSON/CBOR surfaces' own limit (protocol/json11, rpcv2-cbor). */
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

export interface Authenticator {
  /** False for requests that stay open with auth on: /_slipway/* but its data routes, CORS preflight. */
  required(surface: SurfaceName, req: IncomingMessage, url: URL): boolean;
  /**
   * Verifies the request. Resolves the request the surface must read (the original, or a replay
   * of the body it had to read for the payload hash), or undefined once it has answered an error.
   */
  check(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL, surface: SurfaceName, renderError: ErrorRenderer): Promise<IncomingMessage | undefined>;
}

export function createAuthenticator(config: AuthConfig, opts: { now?: Clock; publicAccess?: PublicAccess } = {}): Authenticator {
  const now = opts.now ?? Date.now;

  return {
    required(surface, req, url) {
      if (surface === 'slipway') return isSlipwayDataPath(url.pathname);
      if (surface === 'registry') return false;
      // Website endpoints serve anonymous readers only; the bucket policy decides (services/s3/website).
      if (surface === 'website') return false;
      // CORS preflights carry no credentials (browsers never sign them).
      if ((surface === 'runtime' || surface === 's3') && req.method === 'OPTIONS') return false;
      return true;
    },

    async check(req, res, ctx, url, surface, renderError) {
      const family = DIALECT[surface];
      // Answered in the surface's own protocol; what is left of the body is read so the client sees the answer instead of a reset.
      const fail = (err: ServiceError, request = req): undefined => {
        if (!request.readableEnded) request.resume();
        renderError(res, ctx, err, request, url);
        return undefined;
      };

      const signed: SignedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, rawHeaders: req.rawHeaders };
      const parsed = parseAuth(signed);
      if (isFailure(parsed)) {
        // No signature at all: a public-read object or a public endpoint may still be served (./public-access.ts).
        if (parsed.kind === 'missing' && opts.publicAccess && (await opts.publicAccess(surface, req, url))) return req;
        return fail(failureError(parsed, family));
      }
      const secret = config.credentials.get(parsed.accessKeyId);
      if (secret === undefined) return fail(unknownKeyError(family, parsed.accessKeyId));
      const expected = SERVICE[surface];
      if (expected !== undefined && parsed.service !== expected) {
        return fail(wrongServiceError(family, parsed.service, expected));
      }
      const late = checkTime(parsed, now());
      if (late) return fail(failureError(late, family));

      let forward = req;
      let payloadHash: string;
      if (family === 's3') {
        const declared = header(req, 'x-amz-content-sha256');
        if (parsed.presigned) payloadHash = declared ?? UNSIGNED_PAYLOAD;
        else if (declared === undefined) {
          return fail(S3Errors.invalidRequest('Missing required header for this request: x-amz-content-sha256'));
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
        if (body === 'tooLarge') return fail(tooLargeError(family, ctx, max));
        payloadHash = sha256Hex(body);
        forward = replayRequest(req, body);
      }

      const verdict = verifySignature(signed, parsed, secret, payloadHash, { s3: family === 's3' });
      if (verdict !== true) return fail(failureError(verdict, family, parsed.accessKeyId), forward);
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

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
