/**
 * Public invoke (the API Gateway + Lambda replacement) with authentication on: an endpoint the
 * operator lists in SLIPWAY_PUBLIC_INVOKE answers unsigned browser-style requests only while it
 * carries the tag `slipway:public-invoke=true`, with CORS for a website origin. Nothing else
 * becomes public: other paths of that endpoint, the control plane, a wrong signature.
 */
import { request } from 'node:http';
import { AddTagsCommand, DeleteTagsCommand, DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, createConfig, createModel, deleteAllEndpoints, rnd, variant, waitForStatus } from './helpers.js';
import { CreateEndpointCommand } from '@aws-sdk/client-sagemaker';

let srv: TestServer;
let sm: SageMakerClient;
const endpoint = rnd('public');
let arn: string;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function unsigned(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const ORIGIN = () => `http://demo.s3-website.localhost:${srv.port}`;
const invoke = (path = `/endpoints/${endpoint}/invocations`) =>
  unsigned(path, { headers: { 'content-type': 'text/csv', origin: ORIGIN() }, body: '5.1,3.5,1.4,0.2\n' });

beforeAll(async () => {
  await buildModelServer();
  srv = await startTestServer({ credentials: { slipway: 'slipway' }, publicInvoke: `${endpoint}, some-other-endpoint` });
  sm = new SageMakerClient(sdkClientConfig(srv.url));
  await createModel(sm, endpoint, { env: { FIXTURE_QUIET: '1' } });
  await createConfig(sm, endpoint, [variant('AllTraffic', endpoint)]);
  arn = (await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: endpoint }))).EndpointArn!;
  await waitForStatus(sm, endpoint, ['InService']);
});

afterAll(async () => {
  if (!srv) return;
  await deleteAllEndpoints(sm, srv.home);
  await srv.cleanup();
});

describe('public invoke', () => {
  it('refuses an unsigned invoke of a listed endpoint without the tag, readably for the page', async () => {
    const r = await invoke();
    expect(r.status).toBe(403);
    expect(r.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    expect(r.headers['access-control-allow-origin']).toBe(ORIGIN());
  });

  it('answers unsigned browser requests once tagged, with the CORS preflight and headers', async () => {
    await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'slipway:public-invoke', Value: 'true' }] }));
    const pre = await unsigned(`/endpoints/${endpoint}/invocations`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN(), 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ORIGIN());
    const r = await invoke();
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(ORIGIN());
    expect(JSON.parse(r.body)).toMatchObject({ body: '5.1,3.5,1.4,0.2\n', contentType: 'text/csv' });
    // Signed callers are unaffected.
    const rt = new SageMakerRuntimeClient({ ...sdkClientConfig(srv.url), maxAttempts: 1 });
    const signed = await rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('{}'), ContentType: 'application/json' }));
    expect(JSON.parse(Buffer.from(signed.Body!).toString())).toMatchObject({ body: '{}' });
  });

  it('keeps everything else signed: async invocations, the control plane, a bad signature', async () => {
    const asyncInvoke = await unsigned(`/endpoints/${endpoint}/async-invocations`, { headers: { 'x-amzn-sagemaker-inputlocation': 's3://b/k' } });
    expect(asyncInvoke.status).toBe(403);
    const describeEp = await unsigned('/', { headers: { 'x-amz-target': 'SageMaker.DescribeEndpoint', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ EndpointName: endpoint }) });
    expect(describeEp.status).toBe(403);
    expect(describeEp.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    const wrong = new SageMakerRuntimeClient({ ...sdkClientConfig(srv.url), credentials: { accessKeyId: 'slipway', secretAccessKey: 'wrong' }, maxAttempts: 1 });
    await expect(wrong.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('{}'), ContentType: 'application/json' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    const bucket = await unsigned('/some-bucket', { method: 'PUT' });
    expect(bucket.status).toBe(403);
    expect((await sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointStatus).toBe('InService');
  });

  it('closes again when the tag is removed', async () => {
    await sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['slipway:public-invoke'] }));
    expect((await invoke()).status).toBe(403);
  });
});
