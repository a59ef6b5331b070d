/**
 * @module test/integration/fuzz/s3-fixtures — seeds, state checks and extra cases for the S3
 * operations Slipway routes (src/services/s3/index.ts). Seeds name a base bucket and object made
 * in set-up; operations that consume what they act on (an upload, a bucket) get their own and
 * send the seed after the mutations.
 */
import { createHash } from 'node:crypto';
import { TOKEN } from './doc-cases.js';
import type { OpFixture } from './op-suite.js';
import type { FuzzCase } from './runner.js';
import type { Doc } from './seed-values.js';
import type { WireRequest } from './wire.js';

export const BUCKET = 'fzs3-base';
export const OBJECT = 'obj.txt';
const HELLO = Buffer.from('hello fuzz').toString('base64');

export interface S3Client {
  (method: string, path: string, init?: { body?: string | Buffer; headers?: Record<string, string> }): Promise<{ status: number; text: string }>;
}

export function s3Client(base: string): S3Client {
  return async (method, path, init = {}) => {
    const r = await fetch(`${base}${path}`, { method, ...(init.body !== undefined ? { body: init.body } : {}), headers: init.headers ?? {}, signal: AbortSignal.timeout(15_000) });
    return { status: r.status, text: await r.text() };
  };
}

async function must(s3: S3Client, method: string, path: string, body?: string): Promise<string> {
  const r = await s3(method, path, body !== undefined ? { body } : {});
  if (r.status >= 300) throw new Error(`S3 ${method} ${path} failed in fixture set-up: ${r.status} ${r.text.slice(0, 200)}`);
  return r.text;
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';

async function newUpload(s3: S3Client, key: string): Promise<string> {
  return tag(await must(s3, 'POST', `/${BUCKET}/${key}?uploads`), 'UploadId');
}

export async function setUp(s3: S3Client): Promise<void> {
  await must(s3, 'PUT', `/${BUCKET}`);
  await must(s3, 'PUT', `/${BUCKET}/${OBJECT}`, 'hello fuzz');
}

/** One fixture per fuzzed S3 operation. */
export function s3Fixtures(s3: S3Client): Record<string, OpFixture> {
  const objectGone = async (key: string): Promise<string[]> => ((await s3('HEAD', `/${BUCKET}/${key}`)).status === 404 ? [] : [`object ${key} exists after the refusal`]);
  const objectHooks = {
    accepted: async (t: string) => void (await s3('DELETE', `/${BUCKET}/${t}`)),
    refused: objectGone,
  };
  let uploadId = '';
  let completeId = '';
  let completeEtag = '';
  let abortId = '';
  return {
    ListBuckets: { seed: () => ({}) },
    CreateBucket: {
      seed: () => ({ Bucket: TOKEN }),
      hooks: {
        accepted: async (t) => void (await s3('DELETE', `/${t}`)),
        refused: async (t) => {
          const problems: string[] = [];
          if ((await s3('HEAD', `/${t}`)).status !== 404) problems.push(`bucket ${t} exists after the refusal`);
          if ((await s3('GET', '/')).text.includes(`<Name>${t}</Name>`)) problems.push(`ListBuckets lists ${t} after the refusal`);
          return problems;
        },
      },
    },
    HeadBucket: { seed: () => ({ Bucket: BUCKET }) },
    GetBucketLocation: { seed: () => ({ Bucket: BUCKET }) },
    GetBucketVersioning: { seed: () => ({ Bucket: BUCKET }) },
    GetBucketAcl: { seed: () => ({ Bucket: BUCKET }) },
    ListObjects: { seed: () => ({ Bucket: BUCKET }) },
    ListObjectsV2: { seed: () => ({ Bucket: BUCKET }) },
    ListObjectVersions: { seed: () => ({ Bucket: BUCKET }) },
    ListMultipartUploads: { seed: () => ({ Bucket: BUCKET }) },
    DeleteBucket: {
      prepare: async () => void (await must(s3, 'PUT', '/fzs3-deleted')),
      seed: () => ({ Bucket: 'fzs3-deleted' }),
      seedLast: true,
    },
    PutObject: { seed: () => ({ Bucket: BUCKET, Key: TOKEN, Body: HELLO }), hooks: objectHooks },
    GetObject: { seed: () => ({ Bucket: BUCKET, Key: OBJECT }) },
    HeadObject: { seed: () => ({ Bucket: BUCKET, Key: OBJECT }) },
    GetObjectTagging: { seed: () => ({ Bucket: BUCKET, Key: OBJECT }) },
    DeleteObject: {
      prepare: async () => void (await must(s3, 'PUT', `/${BUCKET}/deleted.txt`, 'x')),
      seed: () => ({ Bucket: BUCKET, Key: 'deleted.txt' }),
      seedLast: true,
    },
    CopyObject: { seed: () => ({ Bucket: BUCKET, Key: TOKEN, CopySource: `${BUCKET}/${OBJECT}` }), hooks: objectHooks },
    DeleteObjects: { seed: () => ({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'not-there.txt' }] } }) },
    CreateMultipartUpload: {
      seed: () => ({ Bucket: BUCKET, Key: TOKEN }),
      hooks: {
        accepted: async (t) => {
          const id = tag((await s3('GET', `/${BUCKET}?uploads&prefix=${t}`)).text, 'UploadId');
          if (id) await s3('DELETE', `/${BUCKET}/${t}?uploadId=${encodeURIComponent(id)}`);
        },
        refused: async (t) => ((await s3('GET', `/${BUCKET}?uploads&prefix=${t}`)).text.includes('<UploadId>') ? [`an upload of ${t} exists after the refusal`] : []),
      },
    },
    UploadPart: {
      prepare: async () => void (uploadId = await newUpload(s3, 'mpu-parts')),
      seed: () => ({ Bucket: BUCKET, Key: 'mpu-parts', UploadId: uploadId, PartNumber: 1, Body: HELLO }),
    },
    UploadPartCopy: {
      seed: () => ({ Bucket: BUCKET, Key: 'mpu-parts', UploadId: uploadId, PartNumber: 2, CopySource: `${BUCKET}/${OBJECT}` }),
    },
    ListParts: { seed: () => ({ Bucket: BUCKET, Key: 'mpu-parts', UploadId: uploadId }) },
    CompleteMultipartUpload: {
      prepare: async () => {
        completeId = await newUpload(s3, 'mpu-complete');
        const put = await s3('PUT', `/${BUCKET}/mpu-complete?partNumber=1&uploadId=${encodeURIComponent(completeId)}`, { body: 'part one' });
        if (put.status !== 200) throw new Error(`UploadPart failed in set-up: ${put.status}`);
        completeEtag = `"${createHash('md5').update('part one').digest('hex')}"`;
      },
      seed: () => ({ Bucket: BUCKET, Key: 'mpu-complete', UploadId: completeId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: completeEtag }] } }),
      seedLast: true,
    },
    AbortMultipartUpload: {
      prepare: async () => void (abortId = await newUpload(s3, 'mpu-abort')),
      seed: () => ({ Bucket: BUCKET, Key: 'mpu-abort', UploadId: abortId }),
      seedLast: true,
    },
  };
}

type Mk = (kind: string, where: string, detail: string, expect: 'reject' | 'any', doc: Doc) => FuzzCase;

const raw = (c: FuzzCase, patch: Partial<WireRequest>, kind: string, detail: string, expect: 'reject' | 'any'): FuzzCase => ({
  ...c,
  kind,
  detail,
  expect,
  request: { ...c.request, ...patch, headers: { ...c.request.headers, ...(patch.headers ?? {}) } },
  fresh: true,
});

/** XML payloads: not XML, truncated, the wrong root, entity expansion, deep nesting, invalid UTF-8, too big. */
function xmlBodyCases(c: FuzzCase, emptyOk: boolean): FuzzCase[] {
  const valid = c.request.body ?? Buffer.alloc(0);
  const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 8 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]><Delete><Object><Key>&i;</Key></Object></Delete>`;
  return [
    raw(c, { body: Buffer.from('this is not xml') }, 'not-xml', 'plain text', 'reject'),
    raw(c, { body: valid.subarray(0, valid.length >> 1) }, 'truncated', 'the XML cut in half', 'reject'),
    raw(c, { body: Buffer.from('<?xml version="1.0"?><Wrong><X>1</X></Wrong>') }, 'wrong-root', 'another root element', 'reject'),
    raw(c, { body: Buffer.from(laughs) }, 'entity-expansion', 'nested entities (10^9 characters if expanded)', 'reject'),
    raw(c, { body: Buffer.from(`${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}`) }, 'deep-nesting', '20,000 nested elements', 'reject'),
    raw(c, { body: Buffer.concat([Buffer.from('<?xml version="1.0"?><Delete><Object><Key>'), Buffer.from([0xc3, 0x28]), Buffer.from('</Key></Object></Delete>')]) }, 'invalid-utf8', 'bytes C3 28 in an element', 'reject'),
    raw(c, { body: Buffer.alloc(0) }, 'empty-body', 'no body', emptyOk ? 'any' : 'reject'),
    raw(c, { body: Buffer.alloc(9 * 1024 * 1024, 0x20) }, 'huge-body', '9 MiB of spaces', 'reject'),
  ];
}

/** Cases beside the member mutations, per operation. */
export function s3Extra(op: string): ((seed: Doc, mk: Mk) => FuzzCase[]) | undefined {
  switch (op) {
    case 'CreateBucket':
      return (seed, mk) => [
        ...['ab', 'UPPERCASE', 'a'.repeat(64), 'a..b', '-leading', '192.168.5.4', 'xn--punycode', 'has_underscore', 'trailing-s3alias'].map((name) =>
          mk('bucket-name', 'Bucket', JSON.stringify(name), 'reject', { ...(seed as Record<string, Doc>), Bucket: name }),
        ),
        ...xmlBodyCases(mk('xml', 'CreateBucketConfiguration', 'a configuration', 'any', { ...(seed as Record<string, Doc>), CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }), true),
      ];
    case 'DeleteObjects':
      return (seed, mk) => xmlBodyCases(mk('xml', 'Delete', '', 'any', seed), false);
    case 'CompleteMultipartUpload':
      return (seed, mk) => xmlBodyCases(mk('xml', 'MultipartUpload', '', 'any', seed), false);
    case 'PutObject':
      return (seed, mk) => {
        const c = mk('x', '', '', 'any', seed);
        return [
          mk('key-too-long', 'Key', '1025-byte key', 'reject', { ...(seed as Record<string, Doc>), Key: 'k'.repeat(1025) }),
          raw(c, { path: `/${BUCKET}/%zz${c.token}` }, 'bad-percent-encoding', 'a key with a broken %-escape', 'reject'),
          raw(c, { headers: { 'content-md5': 'not base64!' } }, 'bad-digest', 'Content-MD5 that is not base64', 'reject'),
          raw(c, { headers: { 'content-md5': Buffer.alloc(16).toString('base64') } }, 'bad-digest', 'Content-MD5 of other bytes', 'reject'),
          raw(c, { headers: { 'x-amz-content-sha256': '0'.repeat(64) } }, 'bad-digest', 'x-amz-content-sha256 of other bytes', 'reject'),
          raw(c, { headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '10' } }, 'bad-chunking', 'aws-chunked framing that is not there', 'reject'),
          raw(c, { headers: { 'x-amz-meta-big': 'm'.repeat(3000) } }, 'metadata-too-large', '3000 bytes of user metadata (S3 allows 2 KB)', 'reject'),
        ];
      };
    case 'GetObject':
      return (seed, mk) =>
        ['bytes=abc', 'bytes=5-1', 'bytes=99999-', 'bytes=-0', 'bytes=0-0,2-3,5-', 'items=0-1'].map((range) =>
          mk('range', 'Range', JSON.stringify(range), 'any', { ...(seed as Record<string, Doc>), Range: range }),
        );
    default:
      return undefined;
  }
}
