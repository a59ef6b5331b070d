/**
 * Hosting acceptance 2 and 9 plus the runtime error contract: a serve-only model (no model data)
 * with Environment, JSON in/out through boto3 and the JS SDK, ModelError for container failures,
 * ValidationError for unknown endpoints and oversize bodies, and the invocation timeout.
 */
import { describe, expect, it } from 'vitest';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, ModelError, ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import { python, useHostingServer } from './helpers.js';

// Short invocation timeout so the "slow container" case runs in seconds (default is 60 s).
process.env.SLIPWAY_INVOCATION_TIMEOUT_MS = '3000';

const h = useHostingServer({ env: { ECHO_GREETING: 'hello', FIXTURE_QUIET: '1' } });

describe('InvokeEndpoint on a serve-only model', () => {
  it('passes Environment to the container and returns its JSON with the invoked variant (boto3)', async () => {
    const out = await python(
      h.server.url,
      `
import boto3, json
rt = boto3.client('sagemaker-runtime')
r = rt.invoke_endpoint(EndpointName='${h.endpoint}', Body=json.dumps({"x": [1, 2]}), ContentType='application/json',
                       Accept='application/json', CustomAttributes='trace=abc')
print(json.dumps({"body": json.loads(r["Body"].read()), "ct": r["ContentType"], "variant": r["InvokedProductionVariant"],
                  "attrs": r.get("CustomAttributes")}))
`,
    );
    const r = JSON.parse(out);
    expect(r.variant).toBe('AllTraffic');
    expect(r.ct).toBe('application/json');
    expect(r.attrs).toBe('trace=abc');
    expect(r.body.env).toEqual({ ECHO_GREETING: 'hello' });
    expect(JSON.parse(r.body.body)).toEqual({ x: [1, 2] });
    expect(r.body.accept).toBe('application/json');
    expect(r.body.model).toEqual({});
  });

  it('describes the endpoint with counts, weights and the resolved image digest', async () => {
    const d = await h.c.sm.send(new DescribeEndpointCommand({ EndpointName: h.endpoint }));
    expect(d.EndpointStatus).toBe('InService');
    const v = d.ProductionVariants![0]!;
    expect(v).toMatchObject({ VariantName: 'AllTraffic', CurrentWeight: 1, DesiredWeight: 1, CurrentInstanceCount: 1, DesiredInstanceCount: 1 });
    expect(v.DeployedImages![0]!.SpecifiedImage).toBe('slipway-test/hosting-model:latest');
    expect(v.DeployedImages![0]!.ResolvedImage).toMatch(/@sha256:[0-9a-f]{64}$/);
    const cfg = await h.c.sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: d.EndpointConfigName! }));
    const model = await h.c.sm.send(new DescribeModelCommand({ ModelName: cfg.ProductionVariants![0]!.ModelName! }));
    expect(model.PrimaryContainer!.Environment).toMatchObject({ ECHO_GREETING: 'hello' });
  });

  it('turns a container 415 into ModelError with OriginalStatusCode, OriginalMessage and LogStreamArn', async () => {
    const out = await python(
      h.server.url,
      `
import boto3, json
rt = boto3.client('sagemaker-runtime')
try:
    rt.invoke_endpoint(EndpointName='${h.endpoint}', Body=b'415', ContentType='application/x-fail')
    print("no error")
except rt.exceptions.ModelError as e:
    print(json.dumps({"code": e.response["Error"]["Code"], "msg": e.response["Error"]["Message"],
                      "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                      "orig": e.response.get("OriginalStatusCode"), "origMsg": e.response.get("OriginalMessage"),
                      "arn": e.response.get("LogStreamArn")}))
`,
    );
    const r = JSON.parse(out);
    expect(r.code).toBe('ModelError');
    expect(r.status).toBe(424);
    expect(r.orig).toBe(415);
    expect(r.origMsg).toBe('fixture failure 415');
    expect(r.msg).toMatch(/^Received client error \(415\) from primary with message "fixture failure 415"\. See https:\/\/.*\/aws\/sagemaker\/Endpoints\//);
    expect(r.arn).toMatch(new RegExp(`^arn:aws:logs:us-east-1:\\d{12}:log-group:/aws/sagemaker/Endpoints/${h.endpoint}:log-stream:AllTraffic/i-[0-9a-f]+$`));
  });

  it('reports a container 500 as a ModelError "server error" to the JS SDK (no retry)', async () => {
    const err = await h.c.rt
      .send(new InvokeEndpointCommand({ EndpointName: h.endpoint, Body: Buffer.from('500'), ContentType: 'application/x-fail' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    const me = err as ModelError;
    expect(me.OriginalStatusCode).toBe(500);
    expect(me.message).toMatch(/^Received server error \(500\) from primary/);
    expect(me.$metadata.attempts).toBe(1);
  });

  it('answers ValidationError for an unknown endpoint with SageMaker message', async () => {
    const err = await h.c.rt.send(new InvokeEndpointCommand({ EndpointName: 'no-such-endpoint', Body: Buffer.from('{}') })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe('Endpoint no-such-endpoint of account 000000000000 not found.');
  });

  it('accepts exactly 6 MiB and rejects 6 MiB + 1 byte with ValidationError (boto3)', async () => {
    const out = await python(
      h.server.url,
      `
import boto3, json
rt = boto3.client('sagemaker-runtime')
ok = rt.invoke_endpoint(EndpointName='${h.endpoint}', Body=b'a' * (6 * 1024 * 1024), ContentType='application/x-sleep-not')
try:
    rt.invoke_endpoint(EndpointName='${h.endpoint}', Body=b'a' * (6 * 1024 * 1024 + 1), ContentType='text/plain')
    print(json.dumps({"rejected": False}))
except rt.exceptions.ValidationError as e:
    print(json.dumps({"rejected": True, "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "msg": e.response["Error"]["Message"],
                      "okStatus": ok["ResponseMetadata"]["HTTPStatusCode"]}))
`,
    );
    const r = JSON.parse(out);
    expect(r).toMatchObject({ rejected: true, status: 400, okStatus: 200 });
    expect(r.msg).toMatch(/^Request .+ has oversize body\.$/);
  });

  it('answers ModelError with OriginalStatusCode 0 when the container exceeds the invocation timeout', async () => {
    const t0 = Date.now();
    const err = await h.c.rt
      .send(new InvokeEndpointCommand({ EndpointName: h.endpoint, Body: Buffer.from('10'), ContentType: 'application/x-sleep' }))
      .catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).OriginalStatusCode).toBe(0);
    expect((err as ModelError).message).toMatch(/^Received server error \(0\) from primary with message "Your invocation timed out/);
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(took).toBeLessThan(9000);
  });
});
