/**
 * @module services/s3/preflight — `OPTIONS` on a bucket or object (a browser's CORS preflight).
 * S3 answers 400 without an Origin and 403 when no CORS rule allows the request; Slipway keeps no
 * bucket CORS rules, so every preflight with an Origin is refused as S3 refuses an unconfigured bucket.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOBJECTOPTIONS.html
 */
import { ServiceError } from '../../protocol/errors.js';
import { NoSuchBucket } from '../../protocol/rest-xml/s3-errors.js';
import { header, type BucketCall } from './call.js';

export async function preflight(call: BucketCall): Promise<void> {
  call.req.resume();
  if (header(call.req, 'origin') === undefined) {
    throw new ServiceError('BadRequest', 'Insufficient information. Origin request header needed.', 400);
  }
  if (header(call.req, 'access-control-request-method') === undefined) {
    throw new ServiceError('BadRequest', 'Invalid Access-Control-Request-Method: null', 400);
  }
  if (!(await call.store.bucketExists(call.bucket))) throw new NoSuchBucket(call.bucket);
  throw new ServiceError('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', 403, {
    extra: { Method: header(call.req, 'access-control-request-method'), ResourceType: call.target.key === undefined ? 'BUCKET' : 'OBJECT' },
  });
}
