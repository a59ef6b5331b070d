/** The S3 surface driven by boto3 and the AWS CLI (python3 subprocesses), as users will. */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, startTestServer, type TestServer } from '../../helpers/server.js';

const run = promisify(execFile);
let server: TestServer;
let scratch: string;

beforeAll(async () => {
  server = await startTestServer();
  scratch = mkdtempSync(join(tmpdir(), 's3-py-'));
});
afterAll(async () => {
  await server?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function python(script: string, args: string[] = []): Promise<string> {
  const { stdout } = await run('python3', ['-c', script, ...args], { env: awsEnv(server.url), maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function aws(args: string[]): Promise<string> {
  const { stdout } = await run('python3', ['-m', 'awscli', ...args, '--endpoint-url', server.url], {
    env: awsEnv(server.url),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = sha(p);
    }
  };
  walk(dir);
  return out;
}

const bucketName = () => `py-${randomBytes(5).toString('hex')}`;

describe('boto3', () => {
  it('uploads 50 MB with upload_file (multipart), lists it and downloads it identical', async () => {
    const src = join(scratch, 'boto-src.bin');
    const dst = join(scratch, 'boto-dst.bin');
    writeFileSync(src, randomBytes(50 * 1024 * 1024));
    const out = await python(
      `
import sys, json, boto3
from boto3.s3.transfer import TransferConfig
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
b = sys.argv[2]
s3.create_bucket(Bucket=b)
s3.upload_file(sys.argv[3], b, 'data/big.bin', Config=TransferConfig(multipart_threshold=8*1024*1024, multipart_chunksize=8*1024*1024))
s3.put_object(Bucket=b, Key='data/small.txt', Body=b'hello', Metadata={'k': 'v'})
lst = s3.list_objects_v2(Bucket=b, Prefix='data/')
head = s3.head_object(Bucket=b, Key='data/big.bin')
small = s3.get_object(Bucket=b, Key='data/small.txt', ChecksumMode='ENABLED')
s3.download_file(b, 'data/big.bin', sys.argv[4])
print(json.dumps({'keys': [c['Key'] for c in lst['Contents']], 'count': lst['KeyCount'], 'etag': head['ETag'],
  'size': head['ContentLength'], 'small': small['Body'].read().decode(), 'meta': small['Metadata']}))
`,
      [server.url, bucketName(), src, dst],
    );
    const r = JSON.parse(out) as { keys: string[]; count: number; etag: string; size: number; small: string; meta: Record<string, string> };
    expect(r.keys).toEqual(['data/big.bin', 'data/small.txt']);
    expect(r.count).toBe(2);
    expect(r.etag).toMatch(/^"[0-9a-f]{32}-7"$/);
    expect(r.size).toBe(50 * 1024 * 1024);
    expect(r.small).toBe('hello');
    expect(r.meta).toEqual({ k: 'v' });
    expect(sha(dst)).toBe(sha(src));
  });

  it('maps S3 error codes to ClientError codes', async () => {
    const out = await python(
      `
import sys, json, boto3, botocore
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
b = sys.argv[2]
codes = {}
def code(name, f):
    try:
        f(); codes[name] = 'ok'
    except botocore.exceptions.ClientError as e:
        codes[name] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
code('missing_bucket', lambda: s3.list_objects_v2(Bucket=b))
s3.create_bucket(Bucket=b)
code('recreate', lambda: s3.create_bucket(Bucket=b))
code('missing_key', lambda: s3.get_object(Bucket=b, Key='nope'))
code('head_missing', lambda: s3.head_object(Bucket=b, Key='nope'))
s3.put_object(Bucket=b, Key='k', Body=b'0123456789')
code('bad_range', lambda: s3.get_object(Bucket=b, Key='k', Range='bytes=50-60'))
code('not_empty', lambda: s3.delete_bucket(Bucket=b))
code('no_upload', lambda: s3.list_parts(Bucket=b, Key='k', UploadId='nope'))
code('key_too_long', lambda: s3.put_object(Bucket=b, Key='k' * 1025, Body=b'x'))
code('bad_md5', lambda: s3.put_object(Bucket=b, Key='k', Body=b'x', ContentMD5='nope'))
print(json.dumps(codes))
`,
      [server.url, bucketName()],
    );
    expect(JSON.parse(out)).toEqual({
      missing_bucket: ['NoSuchBucket', 404],
      recreate: 'ok',
      missing_key: ['NoSuchKey', 404],
      head_missing: ['404', 404],
      bad_range: ['InvalidRange', 416],
      not_empty: ['BucketNotEmpty', 409],
      no_upload: ['NoSuchUpload', 404],
      key_too_long: ['KeyTooLongError', 400],
      bad_md5: ['InvalidDigest', 400],
    });
  });

  it('creates a bucket with an object-only canned ACL, which S3 ignores on a bucket (MLflow’s SageMaker deployment sends bucket-owner-full-control)', async () => {
    const out = await python(
      `
import sys, json, boto3, botocore
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
made, refused = [], None
for i, acl in enumerate(['bucket-owner-full-control', 'bucket-owner-read', 'private']):
    s3.create_bucket(Bucket=f'{sys.argv[2]}-{i}', ACL=acl)
    made.append(acl)
try:
    s3.create_bucket(Bucket=sys.argv[2] + '-x', ACL='fake-acl')
except botocore.exceptions.ClientError as e:
    refused = e.response['Error']['Code']
names = [b['Name'] for b in s3.list_buckets()['Buckets'] if b['Name'].startswith(sys.argv[2])]
print(json.dumps({'made': made, 'refused': refused, 'names': sorted(names)}))
`,
      [server.url, 'acl-' + bucketName()],
    );
    const r = JSON.parse(out) as { made: string[]; refused: string; names: string[] };
    expect(r.made).toHaveLength(3);
    expect(r.refused).toBe('InvalidArgument');
    expect(r.names).toHaveLength(3);
  });
});

describe('aws CLI', () => {
  it('syncs a folder of 100 files up and back identical', async () => {
    const b = bucketName();
    const up = join(scratch, 'sync-up');
    const down = join(scratch, 'sync-down');
    for (let i = 0; i < 100; i++) {
      const dir = join(up, `d${i % 7}`, i % 2 ? 'odd' : 'even');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `file ${i}+x.bin`), randomBytes(100 + i * 997));
    }
    await aws(['s3', 'mb', `s3://${b}`]);
    await aws(['s3', 'sync', up, `s3://${b}/prefix/`]);
    const ls = await aws(['s3', 'ls', `s3://${b}/prefix/`, '--recursive']);
    expect(ls.trim().split('\n')).toHaveLength(100);
    await aws(['s3', 'sync', `s3://${b}/prefix/`, down]);
    expect(treeOf(down)).toEqual(treeOf(up));
    // A second sync finds nothing to do.
    expect((await aws(['s3', 'sync', up, `s3://${b}/prefix/`])).trim()).toBe('');
    await aws(['s3', 'rb', `s3://${b}`, '--force']);
    const buckets = await aws(['s3', 'ls']);
    expect(buckets).not.toContain(b);
  });

  it('copies, moves and removes objects with s3 cp / mv / rm', async () => {
    const b = bucketName();
    const f = join(scratch, 'cli.txt');
    writeFileSync(f, 'cli content');
    await aws(['s3', 'mb', `s3://${b}`]);
    await aws(['s3', 'cp', f, `s3://${b}/a/b c.txt`]);
    await aws(['s3', 'cp', `s3://${b}/a/b c.txt`, `s3://${b}/copy.txt`]);
    await aws(['s3', 'mv', `s3://${b}/copy.txt`, `s3://${b}/moved.txt`]);
    const ls = await aws(['s3api', 'list-objects-v2', '--bucket', b]);
    expect((JSON.parse(ls) as { Contents: { Key: string }[] }).Contents.map((c) => c.Key)).toEqual(['a/b c.txt', 'moved.txt']);
    const out = join(scratch, 'cli-back.txt');
    await aws(['s3', 'cp', `s3://${b}/moved.txt`, out]);
    expect(readFileSync(out, 'utf8')).toBe('cli content');
    await aws(['s3', 'rm', `s3://${b}`, '--recursive']);
    await aws(['s3', 'rb', `s3://${b}`]);
  });
});
