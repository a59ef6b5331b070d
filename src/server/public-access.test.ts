import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Backend } from '../storage/s3-backend.js';
import { SqlMetadataStore } from '../storage/metadata-store.js';
import { createPublicAccess, PUBLIC_INVOKE_TAG } from './public-access.js';

const ARN = 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/demo';
const req = (method: string, url: string) => ({ method, url, headers: { host: '127.0.0.1:7447' } }) as unknown as IncomingMessage;
const path = (p: string) => new URL(p, 'http://localhost');

describe('public invoke gating', () => {
  let meta: SqlMetadataStore;
  // The S3 side is not asked for runtime requests.
  const objects = {} as S3Backend;

  beforeEach(async () => {
    meta = SqlMetadataStore.openSqlite(':memory:');
    await meta.resources.create({ kind: 'endpoint', name: 'demo', arn: ARN, status: 'InService', creationTime: 0, lastModifiedTime: 0, doc: {} as never, internal: {} as never }); // only existence matters here
  });
  afterEach(() => meta.close());

  const allows = (publicInvoke: string[], method = 'POST', p = '/endpoints/demo/invocations') =>
    createPublicAccess({ objects, resources: meta.resources, tags: meta.tags, publicInvoke })('runtime', req(method, p), path(p));

  it('needs both the operator listing the endpoint and the tag', async () => {
    expect(await allows(['demo'])).toBe(false);
    await meta.tags.put(ARN, [{ Key: PUBLIC_INVOKE_TAG, Value: 'true' }]);
    expect(await allows(['demo'])).toBe(true);
    expect(await allows(['*'])).toBe(true);
    expect(await allows([])).toBe(false);
    expect(await allows(['other'])).toBe(false);
  });

  it('takes only the value true, and only invocations by POST', async () => {
    await meta.tags.put(ARN, [{ Key: PUBLIC_INVOKE_TAG, Value: 'yes' }]);
    expect(await allows(['*'])).toBe(false);
    await meta.tags.put(ARN, [{ Key: PUBLIC_INVOKE_TAG, Value: 'TRUE' }]);
    expect(await allows(['*'])).toBe(true);
    expect(await allows(['*'], 'POST', '/endpoints/demo/invocations-response-stream')).toBe(true);
    expect(await allows(['*'], 'POST', '/endpoints/demo/async-invocations')).toBe(false);
    expect(await allows(['*'], 'GET')).toBe(false);
    expect(await allows(['*'], 'POST', '/endpoints/nobody/invocations')).toBe(false);
  });
});
