import { describe, expect, it } from 'vitest';
import { objectStoreSettings } from './object-store-settings.js';

describe('objectStoreSettings', () => {
  it('keeps the data directory unless SLIPWAY_OBJECT_STORE_URL is set, whatever AWS_* says', () => {
    expect(objectStoreSettings({ AWS_ENDPOINT_URL: 'http://x:1', AWS_ACCESS_KEY_ID: 'k' })).toEqual({ kind: 'directory' });
    expect(objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: '  ' })).toEqual({ kind: 'directory' });
  });

  it('reads bucket and prefix, the S3-specific endpoint before the global one, and path style with an endpoint', () => {
    const s = objectStoreSettings({
      SLIPWAY_OBJECT_STORE_URL: 's3://data-bkt//team/slipway//',
      AWS_ENDPOINT_URL_S3: 'http://minio:9000',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:7447',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      SLIPWAY_OBJECT_STORE_TIMEOUT_SECONDS: '2',
    });
    expect(s).toEqual({
      kind: 's3',
      url: 's3://data-bkt//team/slipway//',
      bucket: 'data-bkt',
      prefix: 'team/slipway/',
      region: 'eu-central-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'token' },
      connectTimeoutMs: 2000,
      requestTimeoutMs: 2000,
      sweepGraceMs: 86_400_000,
    });
  });

  it('uses AWS S3 with virtual-hosted addressing and the SDK chain when no endpoint or keys are given', () => {
    const s = objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3://bkt' });
    expect(s).toMatchObject({ kind: 's3', bucket: 'bkt', prefix: '', region: 'us-east-1', forcePathStyle: false });
    expect(s).not.toHaveProperty('endpoint');
    expect(s).not.toHaveProperty('credentials');
    expect(objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3://bkt', AWS_ENDPOINT_URL: 'http://s:1', SLIPWAY_OBJECT_STORE_ADDRESSING: 'virtual' })).toMatchObject({
      forcePathStyle: false,
    });
  });

  it('refuses what it cannot use, naming the variable', () => {
    expect(() => objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 'https://bkt/p' })).toThrow(/SLIPWAY_OBJECT_STORE_URL must look like s3:\/\/bucket/);
    expect(() => objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3:///p' })).toThrow(/must look like/);
    expect(() => objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3://bkt', AWS_SECRET_ACCESS_KEY: 's' })).toThrow(/set both/);
    expect(() => objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3://bkt', AWS_ENDPOINT_URL_S3: 'minio:9000' })).toThrow(/must be an http\(s\) URL/);
    expect(() => objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3://bkt', SLIPWAY_OBJECT_STORE_ADDRESSING: 'dns' })).toThrow(/path or virtual/);
    expect(() => objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3://bkt', SLIPWAY_OBJECT_STORE_TIMEOUT_SECONDS: '0' })).toThrow(/TIMEOUT_SECONDS/);
    expect(() => objectStoreSettings({ SLIPWAY_OBJECT_STORE_URL: 's3://bkt', SLIPWAY_OBJECT_STORE_SWEEP_GRACE_SECONDS: '-1' })).toThrow(/SWEEP_GRACE_SECONDS/);
  });
});
