import { describe, expect, it } from 'vitest';
import { joinUri, parseDataUri } from './s3-uri.js';

describe('parseDataUri', () => {
  it('splits s3 URIs into bucket and key', () => {
    expect(parseDataUri('s3://b/some/prefix/')).toEqual({ scheme: 's3', bucket: 'b', key: 'some/prefix/' });
    expect(parseDataUri('s3://b')).toEqual({ scheme: 's3', bucket: 'b', key: '' });
  });
  it('accepts file URIs as local paths', () => {
    expect(parseDataUri('file:///data/train')).toEqual({ scheme: 'file', path: '/data/train' });
  });
  it('rejects anything else', () => {
    expect(parseDataUri('http://x/y')).toBeUndefined();
    expect(parseDataUri('/local')).toBeUndefined();
  });
});

describe('joinUri', () => {
  it('joins with single slashes', () => {
    expect(joinUri('s3://b/out/', 'job', 'output/model.tar.gz')).toBe('s3://b/out/job/output/model.tar.gz');
  });
});
