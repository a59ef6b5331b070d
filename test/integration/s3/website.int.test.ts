/**
 * Static website hosting and bucket policies with authentication on: the JS SDK (signed) and the
 * AWS CLI configure the bucket; anonymous HTTP clients read it through the website address
 * (`<bucket>.s3-website.localhost:PORT` and `/_slipway/website/<bucket>/`) and the S3 surface.
 * Only what the policy grants `"Principal": "*"` is served; every other unsigned request is refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketWebsiteCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketWebsiteCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';

const execFileAsync = promisify(execFile);

let srv: TestServer;
let s3: S3Client;
const rnd = () => Math.random().toString(36).slice(2, 8);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An unsigned request with the Host a browser would send (Node does not resolve *.localhost itself). */
function http(path: string, opts: { host?: string; method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: srv.port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${srv.port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const site = (bucket: string) => `${bucket}.s3-website.localhost:${srv.port}`;

const publicRead = (bucket: string, actions = ['s3:GetObject'], resources = [`arn:aws:s3:::${bucket}/*`]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: actions, Resource: resources }] });

async function put(bucket: string, key: string, body: string, contentType = 'text/html'): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

async function newSite(opts: { policy?: string; errorKey?: string } = {}): Promise<string> {
  const bucket = `site-${rnd()}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await put(bucket, 'index.html', '<h1>home</h1>');
  await put(bucket, 'docs/index.html', '<h1>docs</h1>');
  await put(bucket, 'app.js', 'console.log(1)', 'text/javascript');
  await put(bucket, 'error.html', '<h1>custom error</h1>');
  await s3.send(
    new PutBucketWebsiteCommand({
      Bucket: bucket,
      WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ...(opts.errorKey ? { ErrorDocument: { Key: opts.errorKey } } : {}) },
    }),
  );
  if (opts.policy !== undefined) await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: opts.policy.replaceAll('BUCKET', bucket) }));
  return bucket;
}

beforeAll(async () => {
  srv = await startTestServer({ credentials: { slipway: 'slipway' } });
  s3 = new S3Client({ ...sdkClientConfig(srv.url), forcePathStyle: true, maxAttempts: 1 });
});

afterAll(async () => {
  await srv?.cleanup();
});

describe('bucket website configuration (signed)', () => {
  it('stores, returns and deletes the website configuration', async () => {
    const bucket = await newSite({ errorKey: 'error.html' });
    const got = await s3.send(new GetBucketWebsiteCommand({ Bucket: bucket }));
    expect(got.IndexDocument).toEqual({ Suffix: 'index.html' });
    expect(got.ErrorDocument).toEqual({ Key: 'error.html' });
    await s3.send(new DeleteBucketWebsiteCommand({ Bucket: bucket }));
    await expect(s3.send(new GetBucketWebsiteCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'NoSuchWebsiteConfiguration' });
    const page = await http('/', { host: site(bucket) });
    expect(page.status).toBe(404);
    expect(page.body).toContain('Code: NoSuchWebsiteConfiguration');
  });

  it('refuses an index suffix with a slash (InvalidArgument) and stores nothing', async () => {
    const bucket = `site-${rnd()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await expect(
      s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { IndexDocument: { Suffix: 'a/index.html' } } })),
    ).rejects.toMatchObject({ name: 'InvalidArgument', message: 'The IndexDocument Suffix is not well formed' });
    await expect(s3.send(new GetBucketWebsiteCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'NoSuchWebsiteConfiguration' });
  });
});

describe('bucket policy (signed)', () => {
  it('stores the policy verbatim, returns it and its public status, and deletes it', async () => {
    const bucket = await newSite();
    const text = publicRead(bucket);
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: text }));
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(text);
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus).toEqual({ IsPublic: true });
    const named = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 's3:*', Resource: `arn:aws:s3:::${bucket}/*` }] });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: named }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus).toEqual({ IsPublic: false });
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    await expect(s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'NoSuchBucketPolicy' });
    await expect(s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'NoSuchBucketPolicy' });
  });

  it('refuses malformed policies with MalformedPolicy and keeps the old one', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET') });
    for (const [policy, message] of [
      ['not json', "Policies must be valid JSON and the first byte must be '{'"],
      ['{"Statement": [}', 'This policy contains invalid Json'],
      [publicRead(bucket, ['s3:GetObject'], ['arn:aws:s3:::another-bucket/*']), 'Policy has invalid resource'],
      [JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] }), 'Missing required field Principal'],
    ]) {
      await expect(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }))).rejects.toMatchObject({ name: 'MalformedPolicy', message, $metadata: { httpStatusCode: 400 } });
    }
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(publicRead(bucket));
  });

  it('answers NoSuchBucket for a policy on a missing bucket', async () => {
    await expect(s3.send(new PutBucketPolicyCommand({ Bucket: `gone-${rnd()}`, Policy: publicRead('x') }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});

describe('website endpoint (anonymous)', () => {
  it('refuses every read of a bucket without a public policy (403 HTML), even a signed one', async () => {
    const bucket = await newSite();
    const page = await http('/', { host: site(bucket) });
    expect(page.status).toBe(403);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<li>Code: AccessDenied</li>');
    const signedLooking = await http('/', { host: site(bucket), headers: { authorization: 'AWS4-HMAC-SHA256 Credential=slipway/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' } });
    expect(signedLooking.status).toBe(403);
  });

  it('serves the index document, folders, objects and HEAD under a public-read policy', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET') });
    const home = await http('/', { host: site(bucket) });
    expect(home.status).toBe(200);
    expect(home.body).toBe('<h1>home</h1>');
    expect(home.headers['content-type']).toBe('text/html');
    expect((await http('/docs/', { host: site(bucket) })).body).toBe('<h1>docs</h1>');
    const folder = await http('/docs', { host: site(bucket) });
    expect(folder.status).toBe(302);
    expect(folder.headers.location).toBe('/docs/');
    const js = await http('/app.js', { host: site(bucket) });
    expect(js.headers['content-type']).toBe('text/javascript');
    const head = await http('/app.js', { host: site(bucket), method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String('console.log(1)'.length));
    // Conditional GET through the same code as GetObject.
    const again = await http('/app.js', { host: site(bucket), headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.status).toBe(304);
  });

  it('answers a missing key 403 without s3:ListBucket and 404 with it, through the error document', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET'), errorKey: 'error.html' });
    const denied = await http('/nope.html', { host: site(bucket) });
    expect(denied.status).toBe(403);
    expect(denied.body).toBe('<h1>custom error</h1>');
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: publicRead(bucket, ['s3:GetObject', 's3:ListBucket'], [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]),
      }),
    );
    const missing = await http('/nope.html', { host: site(bucket) });
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('<h1>custom error</h1>');
  });

  it('writes S3\'s HTML error when the error document is missing too', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET', ['s3:GetObject', 's3:ListBucket'], ['arn:aws:s3:::BUCKET', 'arn:aws:s3:::BUCKET/*']), errorKey: 'gone.html' });
    const page = await http('/nope.html', { host: site(bucket) });
    expect(page.status).toBe(404);
    expect(page.body).toContain('<li>Code: NoSuchKey</li>');
    expect(page.body).toContain('An Error Occurred While Attempting to Retrieve a Custom Error Document');
  });

  it('serves only GET and HEAD (405 otherwise) and stores nothing', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET') });
    for (const method of ['PUT', 'POST', 'DELETE']) {
      const r = await http('/new.html', { host: site(bucket), method, body: 'x' });
      expect(r.status, method).toBe(405);
      expect(r.body).toContain('Code: MethodNotAllowed');
    }
    expect((await http('/new.html', { host: site(bucket) })).status).toBe(403);
  });

  it('answers hostile paths with typed HTML errors and never leaves the bucket', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET') });
    const bad = await http('/%zz', { host: site(bucket) });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<li>Code: InvalidURI</li>');
    // `..` is part of an S3 key, not a way out: this bucket has no such key.
    for (const path of ['/../other/index.html', '/docs/../index.html', `/${'a'.repeat(5000)}`]) {
      const r = await http(path, { host: site(bucket) });
      expect(r.status, path).toBe(403);
      expect(r.body).toContain('Code: AccessDenied');
    }
    expect((await http('/index.html', { host: site(bucket) })).status).toBe(200);
  });

  it('answers NoSuchBucket as HTML for an unknown bucket', async () => {
    const page = await http('/', { host: site(`nobody-${rnd()}`) });
    expect(page.status).toBe(404);
    expect(page.body).toContain('<li>Code: NoSuchBucket</li>');
  });

  it('honours the bucket CORS rules: preflight and Access-Control headers', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET') });
    const origin = 'http://app.localhost:3000';
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ['GET'], AllowedHeaders: ['*'] }] } }));
    const pre = await http('/app.js', { host: site(bucket), method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe(origin);
    const get = await http('/app.js', { host: site(bucket), headers: { origin } });
    expect(get.headers['access-control-allow-origin']).toBe(origin);
    const other = await http('/app.js', { host: site(bucket), method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    expect(other.status).toBe(403);
  });

  it('serves the path form in a sandbox and redirects the bare bucket to its folder', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET') });
    const bare = await http(`/_slipway/website/${bucket}`);
    expect(bare.status).toBe(302);
    expect(bare.headers.location).toBe(`/_slipway/website/${bucket}/`);
    const home = await http(`/_slipway/website/${bucket}/`);
    expect(home.status).toBe(200);
    expect(home.body).toBe('<h1>home</h1>');
    expect(home.headers['content-security-policy']).toMatch(/^sandbox /);
    expect(home.headers['content-security-policy']).not.toContain('allow-same-origin');
    expect((await http(`/_slipway/website/${bucket}/docs`)).headers.location).toBe(`/_slipway/website/${bucket}/docs/`);
  });
});

describe('S3 surface, unsigned requests with authentication on', () => {
  it('serves GetObject of a public-read bucket and refuses everything else', async () => {
    const open = await newSite({ policy: publicRead('BUCKET') });
    const closed = await newSite();
    const get = await http(`/${open}/index.html`);
    expect(get.status).toBe(200);
    expect(get.body).toBe('<h1>home</h1>');
    // The S3 surface shares its origin with the console: an object's HTML never runs there as a page.
    expect(get.headers['content-security-policy']).toBe('sandbox');
    expect(get.headers['x-content-type-options']).toBe('nosniff');
    expect((await http(`/${open}/index.html`, { method: 'HEAD' })).status).toBe(200);
    expect((await http('/index.html', { host: `${open}.s3.localhost:${srv.port}` })).status).toBe(200);
    const refused = [
      await http(`/${closed}/index.html`),
      await http(`/${open}/nope.html`), // no s3:ListBucket: 403, not 404
      await http(`/${open}/index.html?tagging`),
      await http(`/${open}/index.html?acl`),
      await http(`/${open}`), // listing needs s3:ListBucket
      await http(`/${open}?policy`),
      await http(`/${open}/index.html`, { method: 'PUT', body: 'overwritten' }),
      await http(`/${open}/index.html`, { method: 'DELETE' }),
      await http('/'),
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.body).toContain('<Code>AccessDenied</Code>');
    }
    expect((await http(`/${open}/index.html`)).body).toBe('<h1>home</h1>');
  });

  it('lists a bucket whose policy grants anonymous s3:ListBucket', async () => {
    const bucket = await newSite({ policy: publicRead('BUCKET', ['s3:ListBucket'], ['arn:aws:s3:::BUCKET']) });
    const list = await http(`/${bucket}?list-type=2`);
    expect(list.status).toBe(200);
    expect(list.body).toContain('<Key>index.html</Key>');
    expect((await http(`/${bucket}/index.html`)).status).toBe(403);
  });

  it('works with the AWS CLI: s3 website and put-bucket-policy signed, then an unsigned copy', async () => {
    const bucket = `cli-${rnd()}`;
    const env = awsEnv(srv.url);
    const aws = (...args: string[]) => execFileAsync('aws', args, { env });
    await aws('s3', 'mb', `s3://${bucket}`);
    const dir = mkdtempSync(join(tmpdir(), 'slipway-website-'));
    writeFileSync(join(dir, 'index.html'), '<p>cli</p>');
    await aws('s3', 'cp', join(dir, 'index.html'), `s3://${bucket}/index.html`, '--content-type', 'text/html');
    rmSync(dir, { recursive: true, force: true });
    await aws('s3', 'website', `s3://${bucket}`, '--index-document', 'index.html', '--error-document', 'error.html');
    await aws('s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', publicRead(bucket));
    const website = JSON.parse((await aws('s3api', 'get-bucket-website', '--bucket', bucket)).stdout);
    expect(website).toEqual({ IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: 'error.html' } });
    const { stdout } = await aws('s3', 'cp', `s3://${bucket}/index.html`, '-', '--no-sign-request');
    expect(stdout).toBe('<p>cli</p>');
    await expect(aws('s3', 'ls', `s3://${bucket}`, '--no-sign-request')).rejects.toMatchObject({ stderr: expect.stringContaining('AccessDenied') });
  });
});
