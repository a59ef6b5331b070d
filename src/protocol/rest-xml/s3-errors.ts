/**
 * @module protocol/rest-xml/s3-errors — the S3 error codes Slipway answers with, named exactly as
 * AWS does. Statuses and messages follow https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html.
 * `extra` members (BucketName, Key, UploadId, ...) are rendered as extra elements of `<Error>`.
 */
import { ServiceError } from '../errors.js';

function s3(code: string, status: number, message: string, extra: Record<string, unknown> = {}): ServiceError {
  return new ServiceError(code, message, status, { extra });
}

export class NoSuchBucket extends ServiceError {
  constructor(bucket: string) {
    super('NoSuchBucket', 'The specified bucket does not exist', 404, { extra: { BucketName: bucket } });
  }
}

export class NoSuchKey extends ServiceError {
  constructor(key: string) {
    super('NoSuchKey', 'The specified key does not exist.', 404, { extra: { Key: key } });
  }
}

export class NoSuchUpload extends ServiceError {
  constructor(uploadId: string) {
    super(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      { extra: { UploadId: uploadId } },
    );
  }
}

export const S3Errors = {
  bucketNotEmpty: (bucket: string) =>
    s3('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    s3('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', {
      BucketName: bucket,
    }),
  invalidBucketName: (bucket: string) =>
    s3('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket }),
  keyTooLong: () => s3('KeyTooLongError', 400, 'Your key is too long', { MaxSizeAllowed: 1024 }),
  invalidRange: (size: number, range: string) =>
    new ServiceError('InvalidRange', 'The requested range is not satisfiable', 416, {
      extra: { RangeRequested: range, ActualObjectSize: size },
      headers: { 'content-range': `bytes */${size}` },
    }),
  methodNotAllowed: (method: string, resourceType: string) =>
    s3('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', {
      Method: method,
      ResourceType: resourceType,
    }),
  notImplemented: (what: string) =>
    s3('NotImplemented', 501, 'A header or query you provided implies functionality that is not implemented.', {
      Header: what,
    }),
  badDigest: (message = 'The Content-MD5 you specified did not match what we received.') => s3('BadDigest', 400, message),
  contentSha256Mismatch: (client: string, computed: string) =>
    s3('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.", {
      ClientComputedContentSHA256: client,
      S3ComputedContentSHA256: computed,
    }),
  invalidDigest: () => s3('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.'),
  invalidRequest: (message: string) => s3('InvalidRequest', 400, message),
  invalidArgument: (message: string, name?: string, value?: string) =>
    s3('InvalidArgument', 400, message, name ? { ArgumentName: name, ArgumentValue: value ?? '' } : {}),
  malformedXml: () =>
    s3('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema'),
  entityTooSmall: (size: number) =>
    s3('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', {
      ProposedSize: size,
      MinSizeAllowed: 5 * 1024 * 1024,
    }),
  entityTooLarge: (size: number) => s3('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: size }),
  invalidPart: (partNumber: number, etag: string) =>
    s3(
      'InvalidPart',
      400,
      'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.',
      { PartNumber: partNumber, ETag: etag },
    ),
  invalidPartOrder: () =>
    s3('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'),
  preconditionFailed: (condition: string) =>
    s3('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition }),
  incompleteBody: () => s3('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'),
  missingContentLength: () => s3('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.'),
  invalidEncoding: (message = 'Invalid aws-chunked encoding.') => s3('InvalidRequest', 400, message),
  noSuchConfiguration: (code: string, message: string, bucket: string) => s3(code, 404, message, { BucketName: bucket }),
} as const;
