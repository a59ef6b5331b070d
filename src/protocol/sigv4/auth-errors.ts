/**
 * @module protocol/sigv4/auth-errors — the errors a failed SigV4 check answers with, in the
 * spelling of the service's protocol dialect: JSON services (SageMaker, Logs, /_slipway), the
 * REST-JSON runtime, query-compatible services (CloudWatch in all three encodings, STS) and S3.
 * The surface that was asked renders them (protocol/surface.ts `renderError`).
 */
import type { RequestContext } from '../context.js';
import { ServiceError } from '../errors.js';
import { tooLarge } from '../read-body.js';
import { oversizeBody } from '../rest-json/runtime-errors.js';
import type { AuthFailure } from './verify.js';

/** How a service spells authentication errors. */
export type AuthDialect = 'json' | 'runtime' | 'query' | 's3';

const INVALID_SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * The codes are AWS's: JSON and REST-JSON services answer `MissingAuthenticationTokenException`,
 * `UnrecognizedClientException`, `InvalidSignatureException`, `IncompleteSignatureException`;
 * query-compatible services (CloudWatch) `MissingAuthenticationToken`, `InvalidClientTokenId`,
 * `SignatureDoesNotMatch`, `IncompleteSignature`; S3 its own (ErrorResponses.html). Unconfirmed for
 * SageMaker itself (contract §1.2); botocore and JS v3 only read the code.
 */
export function failureError(f: AuthFailure, dialect: AuthDialect, accessKeyId?: string): ServiceError {
  const query = dialect === 'query';
  switch (f.kind) {
    case 'missing':
      if (dialect === 's3') return new ServiceError('AccessDenied', 'Access Denied', 403);
      return query
        ? new ServiceError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
        : new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    case 'malformed':
      if (dialect === 's3') {
        return f.presigned
          ? new ServiceError('AuthorizationQueryParametersError', f.message, 400)
          : new ServiceError('AuthorizationHeaderMalformed', f.message, 400);
      }
      // 400 as in AWS's common errors (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
      return query ? new ServiceError('IncompleteSignature', f.message, 400) : new ServiceError('IncompleteSignatureException', f.message, 400);
    case 'skewed': {
      if (dialect === 's3') {
        return new ServiceError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403, {
          extra: { RequestTime: f.requestTime, ServerTime: f.serverTime, MaxAllowedSkewMilliseconds: 900000 },
        });
      }
      // botocore recognises these wordings as clock skew (botocore/retries/special.py, handlers).
      const message = f.future
        ? `Signature not yet current: ${f.requestTime} is still later than ${f.serverTime} + 15 min.`
        : `Signature expired: ${f.requestTime} is now earlier than ${f.serverTime} - 15 min.`;
      return signatureError(dialect, message);
    }
    case 'expired':
      if (dialect === 's3') {
        return new ServiceError('AccessDenied', 'Request has expired', 403, {
          extra: { 'X-Amz-Expires': f.expiresSeconds, Expires: f.expiresAt, ServerTime: f.serverTime },
        });
      }
      return signatureError(dialect, `Signature expired: ${f.expiresAt} is now earlier than ${f.serverTime}`);
    case 'badSignature':
      if (dialect === 's3') {
        return new ServiceError(
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
          403,
          { extra: { AWSAccessKeyId: accessKeyId, StringToSign: f.stringToSign, SignatureProvided: f.provided, CanonicalRequest: f.canonicalRequest } },
        );
      }
      return signatureError(dialect, INVALID_SIGNATURE_MESSAGE);
  }
}

function signatureError(dialect: AuthDialect, message: string): ServiceError {
  return dialect === 'query'
    ? new ServiceError('SignatureDoesNotMatch', message, 403)
    : new ServiceError('InvalidSignatureException', message, 403);
}

export function unknownKeyError(dialect: AuthDialect, accessKeyId: string): ServiceError {
  if (dialect === 's3') {
    return new ServiceError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, {
      extra: { AWSAccessKeyId: accessKeyId },
    });
  }
  const message = 'The security token included in the request is invalid.';
  return dialect === 'query' ? new ServiceError('InvalidClientTokenId', message, 403) : new ServiceError('UnrecognizedClientException', message, 403);
}

export function wrongServiceError(dialect: AuthDialect, got: string, expected: string): ServiceError {
  if (dialect === 's3') {
    return new ServiceError('AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service "${got}". This endpoint belongs to "${expected}".`, 400);
  }
  return signatureError(dialect, `Credential should be scoped to correct service: '${expected}'.`);
}

/** A body too large to hash, worded as the surface words its own limit. */
export function tooLargeError(dialect: AuthDialect, ctx: RequestContext, max: number): ServiceError {
  return dialect === 'runtime' ? oversizeBody(ctx.requestId) : tooLarge(max);
}
