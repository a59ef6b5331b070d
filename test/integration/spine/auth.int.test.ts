/**
 * SigV4 authentication (server started with credentials): real boto3, aws CLI and JS SDK v3
 * clients with the right key get through; a wrong secret, an unknown key, an unsigned request, a
 * stale clock, an expired or tampered presigned URL are refused in each surface's own format.
 * With authentication off (every other suite), any key is accepted.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { Sha256 } from '@aws-crypto/sha256-js';
import { ListTrainingJobsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, deleteAllEndpoints, deploySimple, python } from '../hosting/helpers.js';
import { ensureConsoleBuilt } from '../../e2e/console/harness.js';
import { presign } from '../../../src/console/web/src/api/sign.js';

const execFileAsync = promisify(execFile);

const KEY = { accessKeyId: 'AKIDSLIPWAYAUTH', secretAccessKey: 'auth-test-secret/1+x' };
const OTHER = { accessKeyId: 'AKIDSECONDUSER', secretAccessKey: 'second-secret' };
const WRONG_SECRET = { accessKeyId: KEY.accessKeyId, secretAccessKey: 'not-the-secret' };
const UNKNOWN = { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'whatever' };

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ credentials: { [KEY.accessKeyId]: KEY.secretAccessKey, [OTHER.accessKeyId]: OTHER.secretAccessKey } });
});
afterAll(async () => {
  await srv?.cleanup();
});

const envFor = (keys: { accessKeyId: string; secretAccessKey: string }) => ({
  AWS_ACCESS_KEY_ID: keys.accessKeyId,
  AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
});

const sdk = (keys: { accessKeyId: string; secretAccessKey: string }) => ({
  endpoint: srv.url,
  region: 'us-east-1',
  credentials: keys,
  maxAttempts: 1,
});

/** boto3 call that prints `ok` or the error code. */
const botoCode = (keys: typeof KEY, body: string) =>
  python(
    srv.url,
    `
import boto3, botocore, json
from botocore.config import Config
cfg = Config(retries={'max_attempts': 1, 'mode': 'standard'})
try:
${body
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
    print(json.dumps({"code": "ok"}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "message": e.response["Error"].get("Message")}))
`,
    envFor(keys),
  ).then((out) => JSON.parse(out) as { code: string; status?: number; message?: string });

describe('SageMaker control plane (JSON 1.1) with authentication on', () => {
  const list = `boto3.client('sagemaker', config=cfg).list_training_jobs()`;

  it('serves boto3 with a configured key, and with a second key from the same server', async () => {
    expect(await botoCode(KEY, list)).toEqual({ code: 'ok' });
    expect(await botoCode(OTHER, list)).toEqual({ code: 'ok' });
  });

  it('answers InvalidSignatureException (403) to a wrong secret', async () => {
    const r = await botoCode(WRONG_SECRET, list);
    expect(r).toMatchObject({ code: 'InvalidSignatureException', status: 403 });
    expect(r.message).toMatch(/^The request signature we calculated does not match the signature you provided/);
  });

  it('answers UnrecognizedClientException (403) to an unknown key', async () => {
    expect(await botoCode(UNKNOWN, list)).toMatchObject({
      code: 'UnrecognizedClientException',
      status: 403,
      message: 'The security token included in the request is invalid.',
    });
  });

  it('answers MissingAuthenticationTokenException to an unsigned request', async () => {
    const res = await fetch(srv.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'SageMaker.ListTrainingJobs', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await res.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('serves the JS SDK v3 and gives it the modelled exception names for bad keys', async () => {
    const ok = await new SageMakerClient(sdk(KEY)).send(new ListTrainingJobsCommand({ MaxResults: 5 }));
    expect(ok.$metadata.httpStatusCode).toBe(200);
    await expect(new SageMakerClient(sdk(WRONG_SECRET)).send(new ListTrainingJobsCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(new SageMakerClient(sdk(UNKNOWN)).send(new ListTrainingJobsCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('serves CloudWatch Logs (JSON 1.1) through the JS SDK, body hashed by the server', async () => {
    const out = await new CloudWatchLogsClient(sdk(KEY)).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/sagemaker/' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it('refuses a request signed 20 minutes ago as expired, which botocore reads as clock skew', async () => {
    const signer = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 'sagemaker', sha256: Sha256 });
    const u = new URL(srv.url);
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: u.hostname,
        port: Number(u.port),
        path: '/',
        headers: { host: u.host, 'x-amz-target': 'SageMaker.ListModels', 'content-type': 'application/x-amz-json-1.1' },
        body: '{}',
      },
      { signingDate: new Date(Date.now() - 20 * 60_000) },
    );
    const { host: _host, ...headers } = signed.headers;
    const res = await fetch(srv.url, { method: 'POST', headers, body: '{}' });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { __type: string; message: string };
    expect(body.__type).toBe('InvalidSignatureException');
    expect(body.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  });
});

describe('S3 (REST-XML) with authentication on', () => {
  const bucket = `auth-${Math.random().toString(36).slice(2, 8)}`;

  it('uploads (multipart) and downloads with boto3 and the right key', async () => {
    const out = await python(
      srv.url,
      `
import boto3, os, hashlib, tempfile, json
from boto3.s3.transfer import TransferConfig
s3 = boto3.client('s3')
s3.create_bucket(Bucket='${bucket}')
d = tempfile.mkdtemp()
src = os.path.join(d, 'in.bin')
data = os.urandom(12 * 1024 * 1024 + 123)
open(src, 'wb').write(data)
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(src, '${bucket}', 'dir/big file.bin', Config=cfg)
dst = os.path.join(d, 'out.bin')
s3.download_file('${bucket}', 'dir/big file.bin', dst, Config=cfg)
head = s3.head_object(Bucket='${bucket}', Key='dir/big file.bin')
print(json.dumps({"same": open(dst, 'rb').read() == data, "etag": head["ETag"]}))
`,
      envFor(KEY),
    );
    const r = JSON.parse(out);
    expect(r.same).toBe(true);
    expect(r.etag).toMatch(/-3"$/); // three parts: the upload really was multipart
  });

  it('answers SignatureDoesNotMatch to a wrong secret and InvalidAccessKeyId to an unknown key', async () => {
    const put = `boto3.client('s3', config=cfg).put_object(Bucket='${bucket}', Key='x.txt', Body=b'hello')`;
    expect(await botoCode(WRONG_SECRET, put)).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(await botoCode(UNKNOWN, put)).toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
    const get = `boto3.client('s3', config=cfg).get_object(Bucket='${bucket}', Key='dir/big file.bin')`;
    expect(await botoCode(WRONG_SECRET, get)).toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('serves the JS SDK v3 (aws-chunked uploads with checksum trailers, multipart) with the right key only', async () => {
    const s3 = new S3Client({ ...sdk(KEY), forcePathStyle: true });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'js/small.txt', Body: 'from js' }));
    const body = Buffer.alloc(11 * 1024 * 1024, 7);
    await new Upload({ client: s3, params: { Bucket: bucket, Key: 'js/big.bin', Body: body }, partSize: 5 * 1024 * 1024 }).done();
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'js/big.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    const small = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'js/small.txt' }));
    expect(await small.Body!.transformToString()).toBe('from js');
    const bad = new S3Client({ ...sdk(WRONG_SECRET), forcePathStyle: true });
    await expect(bad.send(new PutObjectCommand({ Bucket: bucket, Key: 'js/x.txt', Body: 'x' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });

  it('answers AccessDenied in S3 XML to an unsigned request', async () => {
    const res = await fetch(`${srv.url}/${bucket}/dir/big%20file.bin`);
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(res.headers.get('x-amz-request-id')).toBeTruthy();
  });

  it('serves a presigned GET to plain fetch, and refuses it tampered or expired', async () => {
    await botoCode(KEY, `boto3.client('s3').put_object(Bucket='${bucket}', Key='p/hello.txt', Body=b'presigned hello')`);
    const out = await python(
      srv.url,
      `
import boto3, json
from botocore.config import Config
# boto3 presigns S3 URLs with Signature Version 2 unless told otherwise; Slipway verifies SigV4 only.
s3 = boto3.client('s3', config=Config(signature_version='s3v4'))
v2 = boto3.client('s3').generate_presigned_url('get_object', Params={'Bucket': '${bucket}', 'Key': 'p/hello.txt'}, ExpiresIn=600)
print(json.dumps({
  "v2": v2,
  "long": s3.generate_presigned_url('get_object', Params={'Bucket': '${bucket}', 'Key': 'p/hello.txt'}, ExpiresIn=600),
  "short": s3.generate_presigned_url('get_object', Params={'Bucket': '${bucket}', 'Key': 'p/hello.txt'}, ExpiresIn=1),
}))
`,
      envFor(KEY),
    );
    const urls = JSON.parse(out) as { long: string; short: string; v2: string };
    const v2 = await fetch(urls.v2);
    expect(v2.status).toBe(400);
    expect(await v2.text()).toContain('Please use AWS4-HMAC-SHA256.');
    const ok = await fetch(urls.long);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('presigned hello');

    const tampered = await fetch(urls.long.replace('p/hello.txt', 'p/other.txt'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const badSig = await fetch(urls.long.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'));
    expect(badSig.status).toBe(403);
    await badSig.arrayBuffer();

    // The 1-second URL expires; poll with a deadline rather than sleeping a fixed time.
    const deadline = Date.now() + 10_000;
    let last: Response;
    for (;;) {
      last = await fetch(urls.short);
      if (last.status !== 200 || Date.now() > deadline) break;
      await last.arrayBuffer();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(last.status).toBe(403);
    const text = await last.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('<Message>Request has expired</Message>');
  });

  it('serves `aws s3 ls` with the right key and refuses it with a wrong one', async () => {
    const { stdout } = await execFileAsync('aws', ['s3', 'ls'], { env: awsEnv(srv.url, KEY) });
    expect(stdout).toContain(bucket);
    const bad = await execFileAsync('aws', ['s3', 'ls'], { env: awsEnv(srv.url, WRONG_SECRET) }).catch((e: { stderr: string; code: number }) => e);
    expect((bad as { code: number }).code).not.toBe(0);
    expect((bad as { stderr: string }).stderr).toContain('SignatureDoesNotMatch');
  });

  it('answers RequestTimeTooSkewed to a request signed 20 minutes ago', async () => {
    const signer = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
    const u = new URL(srv.url);
    const signed = await signer.sign(
      { method: 'GET', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: `/${bucket}`, headers: { host: u.host } },
      { signingDate: new Date(Date.now() - 20 * 60_000) },
    );
    const { host: _host, ...headers } = signed.headers;
    const res = await fetch(`${srv.url}/${bucket}`, { headers });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>RequestTimeTooSkewed</Code>');
  });
});

describe('CloudWatch metrics and Slipway routes with authentication on', () => {
  it('serves boto3 CloudWatch with the right key and answers InvalidClientTokenId to an unknown one', async () => {
    const call = `boto3.client('cloudwatch', config=cfg).list_metrics(Namespace='AWS/SageMaker')`;
    expect(await botoCode(KEY, call)).toEqual({ code: 'ok' });
    expect(await botoCode(UNKNOWN, call)).toMatchObject({ code: 'InvalidClientTokenId', status: 403 });
    expect(await botoCode(WRONG_SECRET, call)).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  });

  it('serves sts get_caller_identity with the right key, with the key as the session name, and refuses an unknown key', async () => {
    const call = `r = boto3.client('sts', config=cfg).get_caller_identity()\nassert r['UserId'].endswith(':${KEY.accessKeyId}') and r['Arn'].endswith('/SlipwayExecutionRole/${KEY.accessKeyId}'), r`;
    expect(await botoCode(KEY, call)).toEqual({ code: 'ok' });
    expect(await botoCode(UNKNOWN, call)).toMatchObject({ code: 'InvalidClientTokenId', status: 403 });
  });

  it('answers the query and JSON 1.0 protocols in their own error formats', async () => {
    const u = new URL(srv.url);
    const body = 'Action=ListMetrics&Version=2010-08-01';
    const signed = await new SignatureV4({ credentials: WRONG_SECRET, region: 'us-east-1', service: 'monitoring', sha256: Sha256 }).sign({
      method: 'POST',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: '/',
      headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const { host: _h, ...headers } = signed.headers;
    const query = await fetch(srv.url, { method: 'POST', headers, body });
    expect(query.status).toBe(403);
    const xml = await query.text();
    expect(xml).toContain('<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>');

    const json = await fetch(srv.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'GraniteServiceVersion20100801.ListMetrics', 'Content-Type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(json.status).toBe(403);
    expect(json.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await json.json()).toMatchObject({ __type: 'MissingAuthenticationToken' });
  });

  it('keeps /_slipway/health open and asks a signature for /_slipway/metrics (presigned works)', async () => {
    expect((await fetch(`${srv.url}/_slipway/health`)).status).toBe(200);
    const unsigned = await fetch(`${srv.url}/_slipway/metrics`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });

    const u = new URL(srv.url);
    const signer = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 'slipway', sha256: Sha256 });
    const presigned = await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/_slipway/metrics', query: {}, headers: { host: u.host } },
      { expiresIn: 60 },
    );
    const qs = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const res = await fetch(`${srv.url}/_slipway/metrics?${qs}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# HELP');
  });
});

describe('SageMaker Runtime with authentication on', () => {
  let endpoint = '';
  beforeAll(async () => {
    await buildModelServer();
    endpoint = (await deploySimple(new SageMakerClient(sdk(KEY)), { env: { FIXTURE_QUIET: '1' } })).endpoint;
  });
  afterAll(async () => {
    if (srv) await deleteAllEndpoints(new SageMakerClient(sdk(KEY)), srv.home);
  });

  it('passes an InvokeEndpoint signed by boto3 to the container', async () => {
    const out = await python(
      srv.url,
      `
import boto3, json
rt = boto3.client('sagemaker-runtime')
r = rt.invoke_endpoint(EndpointName='${endpoint}', Body=json.dumps({"x": [1, 2]}), ContentType='application/json')
print(json.dumps({"body": json.loads(r["Body"].read()), "variant": r["InvokedProductionVariant"]}))
`,
      envFor(KEY),
    );
    const r = JSON.parse(out);
    expect(r.variant).toBe('AllTraffic');
    expect(JSON.parse(r.body.body)).toEqual({ x: [1, 2] });
  });

  it('passes a JS SDK invocation with a body larger than the coalescing limit intact', async () => {
    const payload = 'y'.repeat(300 * 1024);
    const r = await new SageMakerRuntimeClient(sdk(KEY)).send(
      new InvokeEndpointCommand({ EndpointName: endpoint, Body: new TextEncoder().encode(JSON.stringify({ payload })), ContentType: 'application/json' }),
    );
    const body = JSON.parse(new TextDecoder().decode(r.Body));
    expect(JSON.parse(body.body)).toEqual({ payload });
  });

  it('refuses an unsigned invocation and one signed with a wrong secret, in REST-JSON', async () => {
    const res = await fetch(`${srv.url}/endpoints/${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    await res.arrayBuffer();
    await expect(
      new SageMakerRuntimeClient(sdk(WRONG_SECRET)).send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: new TextEncoder().encode('{}') })),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
  });

  it('answers the runtime oversize error to a signed body over 6 MiB', async () => {
    await expect(
      new SageMakerRuntimeClient(sdk(KEY)).send(
        new InvokeEndpointCommand({ EndpointName: endpoint, Body: new Uint8Array(7 * 1024 * 1024), ContentType: 'application/octet-stream' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/has oversize body/) });
  });

  it('answers a CORS preflight without a signature', async () => {
    const res = await fetch(`${srv.url}/endpoints/${endpoint}/invocations`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(204);
  });

  it('lets a web page read why an unsigned invocation was refused (CORS headers on the 403)', async () => {
    const res = await fetch(`${srv.url}/endpoints/${endpoint}/invocations`, {
      method: 'POST',
      headers: { Origin: 'http://localhost:3000', 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException/);
  });
});

describe('the console with authentication on', () => {
  it('asks for a key pair, then shows data from signed requests, downloads presigned and tails logs', async () => {
    ensureConsoleBuilt();
    await botoCode(KEY, `boto3.client('s3').create_bucket(Bucket='console-auth')\nboto3.client('s3').put_object(Bucket='console-auth', Key='a b/hello.txt', Body=b'hi from s3')`);
    const userDataDir = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      baseURL: srv.url,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto('/_slipway/storage');
      const dialog = page.getByRole('dialog', { name: 'Sign in to Slipway' });
      await dialog.waitFor();
      mkdirSync(join('test-output', 'screenshots'), { recursive: true });
      await page.screenshot({ path: join('test-output', 'screenshots', 'auth-sign-in.png') });
      await dialog.getByLabel('Access key ID').fill(KEY.accessKeyId);
      await dialog.getByLabel('Secret access key').fill('wrong-secret');
      await dialog.getByRole('button', { name: 'Sign in' }).click();
      // The server refuses the wrong secret: the form comes back saying so.
      await page.getByText(/The server refused the key AKIDSLIPWAYAUTH/).waitFor();
      await dialog.getByLabel('Secret access key').fill(KEY.secretAccessKey);
      await dialog.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'console-auth' }).waitFor();
      expect(await dialog.isVisible()).toBe(false);

      // Reading an object is a signed GET; its Download link is a presigned URL that needs no headers.
      await page.getByRole('link', { name: 'console-auth' }).click();
      await page.getByText('a b/').first().click();
      await page.getByText('hello.txt').first().click();
      await page.getByTestId('object-preview').getByText('hi from s3').waitFor().catch(async (e: unknown) => {
        await page.screenshot({ path: join('test-output', 'screenshots', 'auth-preview-fail.png') });
        throw e;
      });
      const href = await page.getByRole('link', { name: 'Download' }).getAttribute('href');
      expect(href).toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
      const download = await fetch(new URL(href!, srv.url));
      expect(await download.text()).toBe('hi from s3');
      const stored = JSON.parse((await page.evaluate<string>('sessionStorage.getItem("slipway.credentials")'))) as unknown;
      expect(stored).toEqual({ accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secretAccessKey });

      // The log tail route takes a presigned EventSource URL (as LogViewer builds it) and refuses an unsigned one.
      const host = new URL(srv.url).host;
      const tail = '/_slipway/logs/stream?endpoint=none&tail=5';
      const opened = (url: string) =>
        page.evaluate(
          (u) =>
            new Promise<string>((resolve) => {
              const es = new EventSource(u);
              es.onopen = () => (es.close(), resolve('open'));
              es.onerror = () => (es.close(), resolve('error'));
            }),
          url,
        );
      expect(await opened(presign(tail, 'slipway', KEY, host, Date.now(), 600))).toBe('open');
      expect(await opened(tail)).toBe('error');
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    }
  });
});
