/**
 * InvokeEndpointAsync end to end (contract §1.4, §4.6): boto3's invoke_endpoint_async against a
 * real server and the fixture model server in Docker; results are read back from the embedded S3
 * store at the OutputLocation / FailureLocation the call returned. Also: the queue survives
 * kill -9 of the server process.
 */
import { describe, expect, it } from 'vitest';
import { CreateEndpointCommand, CreateEndpointConfigCommand, DescribeEndpointCommand, DescribeEndpointConfigCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkClientConfig } from '../../helpers/server.js';
import { useServerProcesses } from '../../helpers/server-process.js';
import { buildModelServer, clients, createModel, deploySimple, python, rnd, useHostingServer, variant, waitForStatus } from './helpers.js';

const s3Of = (url: string) => new S3Client({ ...sdkClientConfig(url), forcePathStyle: true });

async function deployAsync(sm: SageMakerClient, bucket: string, opts: { failurePath?: boolean; maxConcurrency?: number } = {}): Promise<{ endpoint: string; config: string }> {
  const model = rnd('m');
  const config = rnd('c');
  const endpoint = rnd('async');
  await createModel(sm, model, { env: { FIXTURE_QUIET: '1' } });
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: config,
      ProductionVariants: [variant('AllTraffic', model)],
      AsyncInferenceConfig: {
        ClientConfig: { MaxConcurrentInvocationsPerInstance: opts.maxConcurrency ?? 2 },
        OutputConfig: { S3OutputPath: `s3://${bucket}/out`, ...(opts.failurePath === false ? {} : { S3FailurePath: `s3://${bucket}/failures/` }) },
      },
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(sm, endpoint, ['InService']);
  return { endpoint, config };
}

interface AsyncAnswer {
  InferenceId?: string;
  OutputLocation?: string;
  FailureLocation?: string;
  status?: number;
  error?: { Code: string; Message: string };
}

/** One boto3 invoke_endpoint_async call; kwargs as a JSON object. */
async function invokeAsync(url: string, kwargs: Record<string, unknown>): Promise<AsyncAnswer> {
  const out = await python(
    url,
    `
import json, boto3, botocore
rt = boto3.client('sagemaker-runtime', config=botocore.config.Config(retries={'max_attempts': 1}))
try:
    r = rt.invoke_endpoint_async(**json.loads(${JSON.stringify(JSON.stringify(kwargs))}))
    print(json.dumps({'InferenceId': r['InferenceId'], 'OutputLocation': r.get('OutputLocation'), 'FailureLocation': r.get('FailureLocation'), 'status': r['ResponseMetadata']['HTTPStatusCode']}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({'error': e.response['Error']}))
`,
  );
  return JSON.parse(out.trim().split('\n').pop()!) as AsyncAnswer;
}

function splitS3(uri: string): { Bucket: string; Key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3 uri: ${uri}`);
  return { Bucket: m[1]!, Key: m[2]! };
}

/** The object's text, or undefined when it does not exist. */
async function readObject(s3: S3Client, uri: string): Promise<string | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand(splitS3(uri)));
    return await r.Body!.transformToString();
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

async function waitForObject(s3: S3Client, uri: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readObject(s3, uri);
    if (text !== undefined) return text;
    if (Date.now() > deadline) throw new Error(`${uri} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('InvokeEndpointAsync', () => {
  const suite = useHostingServer();
  const bucket = rnd('async-bucket');
  let endpoint = '';
  let config = '';
  let s3: S3Client;

  it('queues a request and writes the container answer to OutputLocation (boto3)', async () => {
    s3 = s3Of(suite.server.url);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    ({ endpoint, config } = await deployAsync(suite.c.sm, bucket));
    const described = await suite.c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(described.AsyncInferenceConfig?.OutputConfig?.S3OutputPath).toBe(`s3://${bucket}/out`);
    const cfg = await suite.c.sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: config }));
    expect(cfg.AsyncInferenceConfig?.ClientConfig?.MaxConcurrentInvocationsPerInstance).toBe(2);

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/one.json', Body: '{"x": 1}' }));
    const r = await invokeAsync(suite.server.url, {
      EndpointName: endpoint,
      InputLocation: `s3://${bucket}/in/one.json`,
      ContentType: 'application/json',
      Accept: 'application/json',
      CustomAttributes: 'trace=1',
      InferenceId: 'inference-1',
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(202);
    expect(r.InferenceId).toBe('inference-1');
    expect(r.OutputLocation).toBe(`s3://${bucket}/out/inference-1.out`);
    expect(r.FailureLocation).toBe(`s3://${bucket}/failures/inference-1-error.out`);
    const out = JSON.parse(await waitForObject(s3, r.OutputLocation!));
    expect(out.body).toBe('{"x": 1}');
    expect(out.contentType).toBe('application/json');
    expect(out.accept).toBe('application/json');
    expect(await readObject(s3, r.FailureLocation!)).toBeUndefined();
  });

  it('generates an InferenceId when none is given', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/two.json', Body: '{"y": 2}' }));
    const r = await invokeAsync(suite.server.url, { EndpointName: endpoint, InputLocation: `s3://${bucket}/in/two.json`, ContentType: 'application/json' });
    expect(r.InferenceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.OutputLocation).toBe(`s3://${bucket}/out/${r.InferenceId}.out`);
    expect(JSON.parse(await waitForObject(s3, r.OutputLocation!)).body).toBe('{"y": 2}');
  });

  it('hands the container the input object’s Content-Type when the request names none (the SageMaker SDK’s AsyncPredictor)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/rows.csv', Body: '1,2\n', ContentType: 'text/csv' }));
    const r = await invokeAsync(suite.server.url, { EndpointName: endpoint, InputLocation: `s3://${bucket}/in/rows.csv` });
    const out = JSON.parse(await waitForObject(s3, r.OutputLocation!));
    expect([out.body, out.contentType]).toEqual(['1,2\n', 'text/csv']);
  });

  it('writes the container error body to FailureLocation when the container fails', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/fail', Body: '503' }));
    const r = await invokeAsync(suite.server.url, { EndpointName: endpoint, InputLocation: `s3://${bucket}/in/fail`, ContentType: 'application/x-fail' });
    expect(r.status).toBe(202);
    expect(await waitForObject(s3, r.FailureLocation!)).toContain('fixture failure 503');
    expect(await readObject(s3, r.OutputLocation!)).toBeUndefined();
  });

  it('writes a timeout message to FailureLocation after InvocationTimeoutSeconds', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/slow', Body: '10' }));
    const t0 = Date.now();
    const r = await invokeAsync(suite.server.url, {
      EndpointName: endpoint,
      InputLocation: `s3://${bucket}/in/slow`,
      ContentType: 'application/x-sleep',
      InvocationTimeoutSeconds: 1,
    });
    expect(await waitForObject(s3, r.FailureLocation!)).toContain('timed out');
    expect(Date.now() - t0).toBeLessThan(9_000);
    expect(await readObject(s3, r.OutputLocation!)).toBeUndefined();
  });

  it('answers ValidationError when the InputLocation object does not exist', async () => {
    const r = await invokeAsync(suite.server.url, { EndpointName: endpoint, InputLocation: `s3://${bucket}/in/missing.json` });
    expect(r.error?.Code).toBe('ValidationError');
    expect(r.error?.Message).toContain('InputLocation');
  });

  it('answers ValidationError for an endpoint without AsyncInferenceConfig', async () => {
    const plain = await deploySimple(suite.c.sm, { env: { FIXTURE_QUIET: '1' } });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/plain.json', Body: '{}' }));
    const r = await invokeAsync(suite.server.url, { EndpointName: plain.endpoint, InputLocation: `s3://${bucket}/in/plain.json` });
    expect(r.error?.Code).toBe('ValidationError');
    expect(r.error?.Message).toContain('not configured for asynchronous inference');
  });

  it('answers ValidationError for an unknown endpoint and for out-of-range header values', async () => {
    const unknown = await invokeAsync(suite.server.url, { EndpointName: 'no-such-endpoint', InputLocation: `s3://${bucket}/in/one.json` });
    expect(unknown.error?.Code).toBe('ValidationError');
    expect(unknown.error?.Message).toContain('not found');
    // boto3 checks the range itself; the JS SDK sends it, so the server's own check is reached.
    const ttl = await suite.c.rt
      .send(new InvokeEndpointAsyncCommand({ EndpointName: endpoint, InputLocation: `s3://${bucket}/in/one.json`, RequestTTLSeconds: 30 }))
      .then(() => undefined, (err: Error) => err);
    expect(ttl?.name).toBe('ValidationError');
    expect(ttl?.message).toContain('RequestTTLSeconds');
  });
});

describe('InvokeEndpointAsync across a server crash', () => {
  const procs = useServerProcesses('slipway-async-');

  it('finishes a request queued before kill -9 once the server is started again', async () => {
    await buildModelServer();
    procs.newHome();
    let proc = await procs.start();
    const bucket = rnd('crash-bucket');
    let s3 = s3Of(proc.url);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const { endpoint } = await deployAsync(clients(proc.url).sm, bucket, { maxConcurrency: 1 });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/slow', Body: '6' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/after.json', Body: '{"after": true}' }));
    // Two requests on one slot: the first is in flight and the second queued when the server dies.
    const slow = await invokeAsync(proc.url, { EndpointName: endpoint, InputLocation: `s3://${bucket}/in/slow`, ContentType: 'application/x-sleep', InferenceId: 'slow' });
    const after = await invokeAsync(proc.url, { EndpointName: endpoint, InputLocation: `s3://${bucket}/in/after.json`, ContentType: 'application/json', InferenceId: 'after' });
    expect(slow.status).toBe(202);
    expect(after.status).toBe(202);
    expect(await readObject(s3, slow.OutputLocation!)).toBeUndefined();
    await proc.kill9();

    proc = await procs.start();
    s3 = s3Of(proc.url);
    expect(await waitForObject(s3, slow.OutputLocation!, 90_000)).toBe('slept');
    expect(JSON.parse(await waitForObject(s3, after.OutputLocation!, 30_000)).body).toBe('{"after": true}');
  });
});
