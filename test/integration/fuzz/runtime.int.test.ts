/**
 * Fuzz suite, SageMaker Runtime (REST-JSON): InvokeEndpoint, InvokeEndpointWithResponseStream and
 * InvokeEndpointAsync against one real InService endpoint (the hosting suite's tiny model server,
 * configured for async too), with the model-driven header and path mutations, an oversized body,
 * unknown endpoints, other methods and HTTP-level edges. Every answer is a typed 4xx
 * (X-Amzn-ErrorType, a JSON message, a request id) or a success.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer } from '../hosting/helpers.js';
import { loadAwsModel } from './aws-model.js';
import { fuzzRestOperation, type OpFixture } from './op-suite.js';
import { restRequest } from './rest-cases.js';
import { FuzzSession, type FuzzCase } from './runner.js';
import type { Doc } from './seed-values.js';
import { jsonCall, mustCall, waitFor } from './state.js';
import { closeSession, defineOperationSweep } from './sweep.js';
import { closeConnections } from './wire.js';

const model = await loadAwsModel('sagemaker-runtime');
/** The runtime surface routes these three paths (src/dataplane/index.ts). */
const ROUTED = ['InvokeEndpoint', 'InvokeEndpointWithResponseStream', 'InvokeEndpointAsync'];
const session = new FuzzSession('runtime', 'rest-json', 10_000);
const ENDPOINT = 'fzrt-live';
const BUCKET = 'fuzz-runtime';
const body = Buffer.from('{"fuzz":1}').toString('base64');

const FIXTURES: Record<string, OpFixture> = {
  InvokeEndpoint: { seed: () => ({ EndpointName: ENDPOINT, Body: body, ContentType: 'application/json' }) },
  InvokeEndpointWithResponseStream: { seed: () => ({ EndpointName: ENDPOINT, Body: body, ContentType: 'application/json' }) },
  InvokeEndpointAsync: { seed: () => ({ EndpointName: ENDPOINT, InputLocation: `s3://${BUCKET}/in.json`, ContentType: 'application/json' }) },
};

/** Cases beside the member mutations: an endpoint that does not exist, other methods on the path. */
function extra(op: string): (seed: Doc) => FuzzCase[] {
  return (seed) => {
    const valid = restRequest(model, op, seed);
    const missing = restRequest(model, op, { ...(seed as Record<string, Doc>), EndpointName: 'fzrt-no-such-endpoint' });
    return [
      { op, kind: 'unknown-endpoint', where: 'EndpointName', detail: 'a valid name that no endpoint has', expect: 'reject', request: missing },
      ...['GET', 'PUT', 'DELETE'].map((method): FuzzCase => ({ op, kind: 'wrong-method', where: '', detail: method, expect: 'reject', request: { ...valid, method, headers: {}, body: Buffer.alloc(0) } })),
    ];
  };
}

describe('fuzz: SageMaker Runtime (REST-JSON)', () => {
  let server: TestServer;

  beforeAll(async () => {
    const image = await buildModelServer();
    server = await startTestServer();
    const base = server.url;
    for (const [method, path, data] of [['PUT', `/${BUCKET}`, ''], ['PUT', `/${BUCKET}/in.json`, '{"fuzz":1}']] as const) {
      const r = await fetch(`${base}${path}`, { method, body: data });
      if (!r.ok) throw new Error(`S3 ${method} ${path} failed in set-up: ${r.status}`);
    }
    const sm = (op: string, b: unknown) => mustCall(base, `SageMaker.${op}`, b);
    await sm('CreateModel', { ModelName: 'fzrt-model', ExecutionRoleArn: 'arn:aws:iam::000000000000:role/fuzz', PrimaryContainer: { Image: image, Environment: { FIXTURE_QUIET: '1' } } });
    await sm('CreateEndpointConfig', {
      EndpointConfigName: 'fzrt-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'fzrt-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: `s3://${BUCKET}/async-out` } },
    });
    await sm('CreateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: 'fzrt-config' });
    await waitFor('the runtime fuzz endpoint to be InService', async () => {
      const d = await jsonCall(base, 'SageMaker.DescribeEndpoint', { EndpointName: ENDPOINT });
      if (d.body.EndpointStatus === 'Failed') throw new Error(`endpoint failed: ${String(d.body.FailureReason)}`);
      return d.body.EndpointStatus === 'InService';
    });
  });

  afterAll(async () => {
    closeSession(session);
    closeConnections();
    if (server) {
      await jsonCall(server.url, 'SageMaker.DeleteEndpoint', { EndpointName: ENDPOINT }).catch(() => undefined);
      await waitFor('the endpoint to be deleted', async () => (await jsonCall(server.url, 'SageMaker.DescribeEndpoint', { EndpointName: ENDPOINT })).status !== 200).catch(() => undefined);
      await server.cleanup();
    }
  });

  it('fuzzes only operations of the official model', () => {
    expect(ROUTED.filter((op) => !model.operations[op])).toEqual([]);
  });

  defineOperationSweep({
    session,
    ops: ROUTED,
    claim: 'every mutation answers a typed 4xx or succeeds',
    fuzz: (op, i) =>
      fuzzRestOperation({
        session,
        base: server.url,
        protocol: 'rest-json',
        model,
        op,
        fixture: FIXTURES[op]!,
        index: i + 1,
        opsLeft: ROUTED.length - i,
        cap: 80,
        extra: extra(op),
        ...(i === 0 ? { edges: true } : {}),
      }),
  });
});
