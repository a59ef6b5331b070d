import { describe, expect, it } from 'vitest';
import { bucketFromHost, resolveTarget } from './target.js';

describe('resolveTarget', () => {
  it('keeps dot segments, empty segments and escapes of path-style keys verbatim', () => {
    expect(resolveTarget('/b/../../etc/passwd', '127.0.0.1:7447')).toMatchObject({ bucket: 'b', key: '../../etc/passwd' });
    expect(resolveTarget('/b//etc/x', 'localhost')).toMatchObject({ bucket: 'b', key: '/etc/x' });
    expect(resolveTarget('/b/a%2Fb%20c%3Fd?list-type=2', 'localhost')).toMatchObject({ bucket: 'b', key: 'a/b c?d' });
    expect(resolveTarget('/b/', 'localhost')).toMatchObject({ bucket: 'b', key: undefined });
    expect(resolveTarget('/b?location', 'localhost').query.has('location')).toBe(true);
    expect(resolveTarget('/', 'localhost').bucket).toBeUndefined();
  });

  it('finds virtual-hosted buckets', () => {
    expect(bucketFromHost('my.bucket.localhost:7447')).toBe('my.bucket');
    expect(bucketFromHost('bucket.s3.localhost')).toBe('bucket');
    expect(bucketFromHost('bucket.s3.us-west-2.amazonaws.com')).toBe('bucket');
    expect(bucketFromHost('s3.localhost:7447')).toBeUndefined();
    expect(bucketFromHost('localhost:7447')).toBeUndefined();
    expect(bucketFromHost('127.0.0.1:7447')).toBeUndefined();
    expect(resolveTarget('/k/../x', 'bkt.localhost:1')).toMatchObject({ bucket: 'bkt', key: 'k/../x', virtualHost: true });
  });

  it('answers InvalidURI for malformed escapes', () => {
    expect(() => resolveTarget('/b/%E0%A4%A', 'localhost')).toThrow(expect.objectContaining({ code: 'InvalidURI' }));
  });
});
