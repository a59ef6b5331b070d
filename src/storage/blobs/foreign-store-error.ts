/**
 * @module storage/blobs/foreign-store-error — what a failure of the foreign object store
 * (`SLIPWAY_OBJECT_STORE_URL`) becomes on Slipway's S3 API: S3's own server-side codes, so SDKs
 * retry them, and a log line for the operator with the real cause.
 *
 * S3's codes ([ErrorResponses](https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList)):
 * `SlowDown` (503) when the store throttles, `ServiceUnavailable` (503) when it cannot be reached
 * or does not answer in time, `InternalError` (500) for anything else it refuses.
 */
import { ServiceError } from '../../protocol/errors.js';

/** A foreign store failure, already in S3's terms; `cause` keeps the store's own error for the log. */
export class ObjectStoreFault extends ServiceError {
  constructor(code: 'SlowDown' | 'ServiceUnavailable' | 'InternalError', message: string, status: number, cause: unknown) {
    super(code, message, status, { fault: 'server' });
    this.cause = cause;
    // The log prints message and stack: the store's own words go there, never to the client.
    this.stack = `${this.stack ?? ''}\ncaused by the object store: ${foreignCode(cause)} ${foreignStatus(cause) ?? ''} ${(cause as Error | undefined)?.message ?? ''}`;
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'RequestLimitExceeded']);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The store's error code or the network error's, for logs and decisions. */
export function foreignCode(err: unknown): string {
  const e = (err ?? {}) as SdkLikeError;
  return String(e.code ?? e.name ?? 'Error');
}

export function foreignStatus(err: unknown): number | undefined {
  return ((err ?? {}) as SdkLikeError).$metadata?.httpStatusCode;
}

/** Maps an error from the foreign store's client to a typed S3 error (ServiceErrors pass through). */
export function foreignStoreError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  const code = foreignCode(err);
  const status = foreignStatus(err);
  if (THROTTLED.has(code) || status === 503 || status === 429) {
    return new ObjectStoreFault('SlowDown', 'Please reduce your request rate.', 503, err);
  }
  if (UNREACHABLE.has(code) || (status === undefined && /timeout|socket hang up|aborted/i.test(String((err as Error | undefined)?.message)))) {
    return new ObjectStoreFault('ServiceUnavailable', 'The object store behind this server is not reachable. Please try again.', 503, err);
  }
  return new ObjectStoreFault('InternalError', 'We encountered an internal error. Please try again.', 500, err);
}
