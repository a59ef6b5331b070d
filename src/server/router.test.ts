import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createQuerySurface } from '../protocol/query/query-surface.js';
import { createJson11Surface } from '../protocol/json11/json11-surface.js';
import type { Surface } from '../protocol/surface.js';
import { chooseSurface, createRouter } from './router.js';
import type { Surfaces } from './surfaces.js';

function req(method: string, headers: Record<string, string> = {}): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}
const u = (p: string) => new URL(p, 'http://localhost');
const sig = (svc: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/${svc}/aws4_request, SignedHeaders=host, Signature=x`,
});

describe('chooseSurface', () => {
  it('sends SageMaker and Logs targets to their JSON surfaces', () => {
    expect(chooseSurface(req('POST', { ...sig('sagemaker'), 'x-amz-target': 'SageMaker.ListTrainingJobs' }), u('/'))).toBe('sagemaker');
    expect(chooseSurface(req('POST', { ...sig('logs'), 'x-amz-target': 'Logs_20140328.GetLogEvents' }), u('/'))).toBe('logs');
    expect(chooseSurface(req('POST', { 'x-amz-target': 'DynamoDB_20120810.ListTables' }), u('/'))).toBe('unknownTarget');
  });

  it('sends invocation paths to the runtime and everything else to S3', () => {
    expect(chooseSurface(req('POST', sig('sagemaker')), u('/endpoints/ep-1/invocations'))).toBe('runtime');
    expect(chooseSurface(req('POST', sig('sagemaker')), u('/endpoints/ep-1/invocations-response-stream'))).toBe('runtime');
    expect(chooseSurface(req('PUT', sig('s3')), u('/bucket/key'))).toBe('s3');
    // A bucket named "endpoints" stays S3 when the request is signed for s3.
    expect(chooseSurface(req('POST', sig('s3')), u('/endpoints/x/invocations'))).toBe('s3');
    // The runtime answers GET/PUT on its paths itself (UnknownOperationException), not S3.
    expect(chooseSurface(req('GET', sig('sagemaker')), u('/endpoints/x/invocations'))).toBe('runtime');
    expect(chooseSurface(req('PUT'), u('/endpoints/x/invocations'))).toBe('runtime');
    expect(chooseSurface(req('GET'), u('/bucket/key?X-Amz-Credential=AK%2F20261122%2Fus-east-1%2Fs3%2Faws4_request'))).toBe('s3');
  });

  it('sends CloudWatch in any of its three protocols to the cloudwatch surface', () => {
    expect(chooseSurface(req('POST', sig('monitoring')), u('/service/GraniteServiceVersion20100801/operation/GetMetricData'))).toBe('cloudwatch');
    expect(chooseSurface(req('POST', { 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics' }), u('/'))).toBe('cloudwatch');
    expect(chooseSurface(req('POST', sig('monitoring')), u('/'))).toBe('cloudwatch');
  });

  it('sends STS and IAM (query protocol, any region) to their own surfaces', () => {
    expect(chooseSurface(req('POST', sig('sts')), u('/'))).toBe('sts');
    expect(chooseSurface(req('POST', sig('iam')), u('/'))).toBe('iam');
  });

  it('reserves /_slipway for Slipway itself', () => {
    expect(chooseSurface(req('GET', sig('s3')), u('/_slipway/health'))).toBe('slipway');
    expect(chooseSurface(req('GET', { accept: 'text/html' }), u('/'))).toBe('slipway');
  });

  it('sends Application Auto Scaling targets to the autoscaling surface', () => {
    expect(chooseSurface(req('POST', { ...sig('application-autoscaling'), 'x-amz-target': 'AnyScaleFrontendService.DescribeScalableTargets' }), u('/'))).toBe('autoscaling');
  });

  it('sends ECR targets to the ecr surface and unsigned /v2/ paths to the registry', () => {
    expect(chooseSurface(req('POST', { ...sig('ecr'), 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' }), u('/'))).toBe('ecr');
    expect(chooseSurface(req('GET'), u('/v2/'))).toBe('registry');
    expect(chooseSurface(req('GET'), u('/v2'))).toBe('registry');
    expect(chooseSurface(req('PUT', { authorization: 'Basic QVdTOng=' }), u('/v2/team/algo/manifests/latest'))).toBe('registry');
    // A bucket named v2 stays reachable with a signature (header or presigned URL).
    expect(chooseSurface(req('GET', sig('s3')), u('/v2/key'))).toBe('s3');
    expect(chooseSurface(req('GET'), u('/v2/key?X-Amz-Credential=AK%2F20261122%2Fus-east-1%2Fs3%2Faws4_request'))).toBe('s3');
    expect(chooseSurface(req('GET'), u('/v20/key'))).toBe('s3');
  });
});

describe('createRouter', () => {
  it('gives every request the configured account and the signer region', async () => {
    const seen: { accountId: string; region: string }[] = [];
    const capture = async (_req: unknown, _res: unknown, ctx: { accountId: string; region: string }) => {
      seen.push({ accountId: ctx.accountId, region: ctx.region });
    };
    const surfaces = Object.fromEntries(
      ['slipway', 'sagemaker', 'logs', 'runtime', 's3', 'cloudwatch', 'sts', 'unknownTarget'].map((k) => [k, { handle: capture, renderError: () => undefined }]),
    ) as unknown as Parameters<typeof createRouter>[0];
    const route = createRouter(surfaces, { accountId: '123456789012' });
    route({ method: 'POST', url: '/', headers: { ...sig('sagemaker'), 'x-amz-target': 'SageMaker.ListModels' } } as never, {} as never);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([{ accountId: '123456789012', region: 'us-east-1' }]);
  });

  it('hands the very request object to the surface, synchronously, when authentication is off', () => {
    const seen: unknown[] = [];
    const capture = async (req: unknown) => {
      seen.push(req);
    };
    const surfaces = Object.fromEntries(
      ['slipway', 'sagemaker', 'logs', 'runtime', 's3', 'cloudwatch', 'sts', 'unknownTarget'].map((k) => [k, { handle: capture, renderError: () => undefined }]),
    ) as unknown as Parameters<typeof createRouter>[0];
    const incoming = { method: 'POST', url: '/endpoints/e/invocations', headers: { 'content-length': '3' } };
    createRouter(surfaces)(incoming as never, {} as never);
    expect(seen).toEqual([incoming]);
    expect(seen[0]).toBe(incoming);
  });

  it('lets the runtime CORS preflight and /_slipway/health through without a signature when authentication is on', () => {
    const seen: string[] = [];
    const surfaces = Object.fromEntries(
      ['slipway', 'sagemaker', 'logs', 'runtime', 's3', 'cloudwatch', 'sts', 'unknownTarget'].map((k) => [k, { handle: async () => void seen.push(k), renderError: () => undefined }]),
    ) as unknown as Parameters<typeof createRouter>[0];
    const route = createRouter(surfaces, { auth: { credentials: new Map([['K', 'S']]) } });
    route({ method: 'OPTIONS', url: '/endpoints/e/invocations', headers: {} } as never, {} as never);
    route({ method: 'GET', url: '/_slipway/health', headers: {} } as never, {} as never);
    expect(seen).toEqual(['runtime', 'slipway']);
  });

  it('leaves registry requests to the registry surface (its own token check) when authentication is on', () => {
    const seen: string[] = [];
    const surfaces = Object.fromEntries(
      ['slipway', 'sagemaker', 'logs', 'runtime', 's3', 'cloudwatch', 'unknownTarget', 'ecr', 'registry'].map((k) => [k, { handle: async () => void seen.push(k), renderError: () => undefined }]),
    ) as unknown as Parameters<typeof createRouter>[0];
    const route = createRouter(surfaces, { auth: { credentials: new Map([['K', 'S']]) } });
    route({ method: 'GET', url: '/v2/', headers: {} } as never, {} as never);
    expect(seen).toEqual(['registry']);
  });
});

/** Just enough of a ServerResponse for the protocol renderers. */
function fakeResponse() {
  const out = { status: 0, headers: {} as Record<string, unknown>, body: '', headersSent: false };
  const res = {
    get headersSent() {
      return out.headersSent;
    },
    setHeader: (k: string, v: unknown) => void (out.headers[k.toLowerCase()] = v),
    writeHead: (status: number, headers: Record<string, unknown> = {}) => {
      out.status = status;
      for (const [k, v] of Object.entries(headers)) out.headers[k.toLowerCase()] = v;
      out.headersSent = true;
      return res;
    },
    end: (body?: Buffer | string) => void (out.body = body === undefined ? '' : body.toString()),
    destroy: () => undefined,
  };
  return { res, out };
}

describe("the router's answer to a surface that throws", () => {
  const throwing = (renderer: Surface): Surface => ({ handle: () => Promise.reject(new Error('a bug')), renderError: renderer.renderError });
  const surfacesWith = (name: keyof Surfaces, s: Surface) =>
    Object.fromEntries(['slipway', 'sagemaker', 'logs', 'runtime', 's3', 'cloudwatch', 'sts', 'unknownTarget'].map((k) => [k, k === name ? s : throwing(s)])) as unknown as Surfaces;

  it('is InternalFailure in the chosen surface\'s own protocol: query XML for STS', async () => {
    const sts = createQuerySurface({ operations: {}, xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/', numericMembers: new Set() });
    const { res, out } = fakeResponse();
    createRouter(surfacesWith('sts', throwing(sts)))({ method: 'POST', url: '/', headers: sig('sts') } as never, res as never);
    await new Promise((r) => setImmediate(r));
    expect(out.status).toBe(500);
    expect(out.body).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type><Code>InternalFailure</Code>');
  });

  it('is InternalFailure as JSON 1.1 for SageMaker, with X-Amzn-ErrorType', async () => {
    const sagemaker = createJson11Surface({ targetPrefix: 'SageMaker', operations: {} });
    const { res, out } = fakeResponse();
    createRouter(surfacesWith('sagemaker', throwing(sagemaker)))({ method: 'POST', url: '/', headers: { ...sig('sagemaker'), 'x-amz-target': 'SageMaker.ListModels' } } as never, res as never);
    await new Promise((r) => setImmediate(r));
    expect([out.status, out.headers['x-amzn-errortype'], out.headers['content-type']]).toEqual([500, 'InternalFailure', 'application/x-amz-json-1.1']);
    expect(JSON.parse(out.body)).toEqual({ __type: 'InternalFailure', message: 'An internal error occurred.' });
  });
});
