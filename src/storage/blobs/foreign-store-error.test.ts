import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../protocol/errors.js';
import { foreignStoreError, ObjectStoreFault } from './foreign-store-error.js';

const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const netError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('foreignStoreError', () => {
  it('maps throttling to 503 SlowDown, an unreachable or silent store to 503 ServiceUnavailable, the rest to 500 InternalError', () => {
    expect(foreignStoreError(sdkError('SlowDown', 503))).toMatchObject({ code: 'SlowDown', statusCode: 503, fault: 'server' });
    expect(foreignStoreError(sdkError('TooManyRequests', 429))).toMatchObject({ code: 'SlowDown', statusCode: 503 });
    expect(foreignStoreError(netError('ECONNREFUSED'))).toMatchObject({ code: 'ServiceUnavailable', statusCode: 503 });
    expect(foreignStoreError(Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }))).toMatchObject({ code: 'ServiceUnavailable' });
    expect(foreignStoreError(sdkError('NoSuchBucket', 404))).toMatchObject({ code: 'InternalError', statusCode: 500 });
    expect(foreignStoreError(sdkError('AccessDenied', 403))).toMatchObject({ code: 'InternalError', statusCode: 500 });
  });

  it('keeps the store own words out of the message and in the stack for the log; passes typed errors through', () => {
    const e = foreignStoreError(sdkError('AccessDenied', 403));
    expect(e).toBeInstanceOf(ObjectStoreFault);
    expect(e.message).not.toContain('AccessDenied');
    expect(e.stack).toContain('caused by the object store: AccessDenied 403');
    const typed = new ServiceError('BadDigest', 'x', 400);
    expect(foreignStoreError(typed)).toBe(typed);
  });
});
