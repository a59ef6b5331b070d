import { describe, expect, it } from 'vitest';
import { isValidBucketName } from './bucket-name.js';

describe('isValidBucketName', () => {
  it('accepts general purpose bucket names', () => {
    for (const n of ['abc', 'my-bucket', 'my.bucket.1', 'a'.repeat(63), '1bucket']) expect(isValidBucketName(n)).toBe(true);
  });
  it('rejects names S3 rejects', () => {
    for (const n of ['ab', 'a'.repeat(64), 'Upper', 'under_score', '-start', 'end-', 'a..b', 'a.-b', '192.168.5.4', 'xn--abc', 'x-s3alias', 'b--x-s3', 'sthree-x']) {
      expect(isValidBucketName(n), n).toBe(false);
    }
  });
});
