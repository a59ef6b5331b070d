/**
 * Fuzz suite, S3 (REST-XML): the S3 operations Slipway routes, with the model-driven mutations of
 * their URI, query-string and header members, malformed XML bodies (entity expansion included),
 * bad bucket names and keys, broken digests and chunking, and HTTP-level edges. Every answer is a
 * typed `<Error><Code>` 4xx (or S3's documented 501 NotImplemented) or a success; a refused
 * CreateBucket / PutObject / CopyObject / CreateMultipartUpload leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { loadAwsModel } from './aws-model.js';
import { fuzzRestOperation, type OpFixture } from './op-suite.js';
import { FuzzSession } from './runner.js';
import { s3Client, s3Extra, s3Fixtures, setUp } from './s3-fixtures.js';
import { closeSession, defineOperationSweep } from './sweep.js';
import { closeConnections } from './wire.js';

const model = await loadAwsModel('s3');
/**
 * The operations src/services/s3/index.ts routes to a handler (the sub-resources it accepts and
 * ignores, or answers NotImplemented, are S3 conformance work: issue #18).
 */
const ROUTED = [
  'ListBuckets', 'CreateBucket', 'HeadBucket', 'GetBucketLocation', 'GetBucketVersioning', 'GetBucketAcl',
  'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads', 'PutObject', 'GetObject',
  'HeadObject', 'GetObjectTagging', 'CopyObject', 'DeleteObjects', 'CreateMultipartUpload', 'UploadPart',
  'UploadPartCopy', 'ListParts', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'DeleteObject', 'DeleteBucket',
];
const session = new FuzzSession('s3', 'rest-xml', 20_000);

describe('fuzz: S3 (REST-XML)', () => {
  let server: TestServer;
  let table: Record<string, OpFixture>;

  beforeAll(async () => {
    server = await startTestServer();
    const s3 = s3Client(server.url);
    table = s3Fixtures(s3);
    await setUp(s3);
  });

  afterAll(async () => {
    closeSession(session);
    closeConnections();
    await server?.cleanup();
  });

  it('has a fixture for every fuzzed operation, and every one is in the official model', () => {
    expect(ROUTED.filter((op) => !model.operations[op])).toEqual([]);
    expect(ROUTED.filter((op) => !s3Fixtures(async () => ({ status: 0, text: '' }))[op])).toEqual([]);
  });

  defineOperationSweep({
    session,
    ops: ROUTED,
    claim: 'every mutation answers a typed 4xx or succeeds, and a refusal leaves nothing behind',
    fuzz: (op, i) => {
      const extra = s3Extra(op);
      return fuzzRestOperation({
        session,
        base: server.url,
        protocol: 'rest-xml',
        model,
        op,
        fixture: table[op]!,
        index: i + 1,
        opsLeft: ROUTED.length - i,
        cap: 80,
        ...(extra ? { extra } : {}),
        ...(op === 'ListObjectsV2' ? { edges: true } : {}),
      });
    },
  });
});
