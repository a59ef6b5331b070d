/**
 * Shadow variants (issue 16, item 4) with a real server, Docker, boto3 and the JS SDK: an endpoint
 * config with ShadowProductionVariants deploys both variants; callers only ever get the production
 * variant's answers; the shadow receives a copy of each sampled request (seen in its own access
 * log and in its own Invocations metric); the shadow's weight relative to production's sets the
 * share copied, live through UpdateEndpointWeightsAndCapacities; the shadow cannot be targeted.
 */
import { describe, expect, it } from 'vitest';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateEndpointConfigCommand, DescribeEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { until } from '../../helpers/poll.js';
import { createModel, python, rnd, useHostingServer, variant, waitForStatus } from './helpers.js';

const s = useHostingServer();

async function invoke(endpoint: string, n: number): Promise<{ roles: Set<string>; variants: Set<string> }> {
  const roles = new Set<string>();
  const variants = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await s.c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: JSON.stringify({ i }) }));
    roles.add((JSON.parse(Buffer.from(r.Body!).toString()) as { env: { ECHO_ROLE: string } }).env.ECHO_ROLE);
    variants.add(r.InvokedProductionVariant!);
  }
  return { roles, variants };
}

/** `POST /invocations` lines in the shadow variant's log streams. */
async function shadowInvocations(endpoint: string): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await s.c.logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/sagemaker/Endpoints/${endpoint}`, logStreamNamePrefix: 'shadow/', ...(nextToken ? { nextToken } : {}) }));
    count += (page.events ?? []).filter((e) => /POST \/invocations/.test(e.message ?? '')).length;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
}

describe('shadow variants', () => {
  it('refuse configs SageMaker refuses: more than one production variant or more than one shadow', async () => {
    const model = rnd('m');
    await createModel(s.c.sm, model);
    const two = s.c.sm.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: rnd('c'), ProductionVariants: [variant('a', model), variant('b', model)], ShadowProductionVariants: [variant('s', model)] }),
    );
    await expect(two).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/exactly 1 variant in ProductionVariants/) });
    const shadows = s.c.sm.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: rnd('c'), ProductionVariants: [variant('a', model)], ShadowProductionVariants: [variant('s1', model), variant('s2', model)] }),
    );
    await expect(shadows).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/at most 1/) });
  });

  it('answer callers from production only, copy sampled requests to the shadow and count them in its own metrics', async () => {
    const [prod, shadow, config, endpoint] = [rnd('prod'), rnd('shadow'), rnd('c'), rnd('e')];
    // Deployed with boto3, as a shadow-test notebook does.
    await python(
      s.server.url,
      `
import boto3
sm = boto3.client("sagemaker")
role = "arn:aws:iam::000000000000:role/slipway"
for name, r in (("${prod}", "production"), ("${shadow}", "shadow")):
    sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": "slipway-test/hosting-model:latest", "Environment": {"ECHO_ROLE": r}})
variant = lambda v, m, w: {"VariantName": v, "ModelName": m, "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium", "InitialVariantWeight": w}
sm.create_endpoint_config(EndpointConfigName="${config}", ProductionVariants=[variant("prod", "${prod}", 1.0)], ShadowProductionVariants=[variant("shadow", "${shadow}", 1.0)])
sm.create_endpoint(EndpointName="${endpoint}", EndpointConfigName="${config}")
`,
    );
    const d = await waitForStatus(s.c.sm, endpoint, ['InService']);
    expect(d.ProductionVariants?.map((v) => v.VariantName)).toEqual(['prod']);
    expect(d.ShadowProductionVariants).toMatchObject([{ VariantName: 'shadow', CurrentInstanceCount: 1, CurrentWeight: 1 }]);

    // Equal weights: every request is copied; callers never see the shadow's answer.
    const all = await invoke(endpoint, 20);
    expect([...all.roles]).toEqual(['production']);
    expect([...all.variants]).toEqual(['prod']);
    await until('the shadow to have received 20 copies', async () => (await shadowInvocations(endpoint)) >= 20, { timeoutMs: 20_000 });
    expect(await shadowInvocations(endpoint)).toBe(20);

    // The shadow's own CloudWatch metrics (VariantName=shadow) count the copies, production's the calls.
    const counted = await python(
      s.server.url,
      `
import boto3, datetime, json
cw = boto3.client("cloudwatch")
now = datetime.datetime.now(datetime.timezone.utc)
out = {}
for v in ("prod", "shadow"):
    r = cw.get_metric_statistics(Namespace="AWS/SageMaker", MetricName="Invocations", Dimensions=[{"Name": "EndpointName", "Value": "${endpoint}"}, {"Name": "VariantName", "Value": v}],
                                 StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"])
    out[v] = sum(p["Sum"] for p in r["Datapoints"])
print(json.dumps(out))
`,
    );
    expect(JSON.parse(counted)).toEqual({ prod: 20, shadow: 20 });

    // The shadow answers no caller directly.
    const targeted = s.c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, TargetVariant: 'shadow', ContentType: 'application/json', Body: '{}' }));
    await expect(targeted).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/Variant shadow not found/) });

    // A quarter of production's weight: about a quarter of the requests are copied (200 calls:
    // expected 50, the bounds are more than 4 standard deviations away).
    await s.c.sm.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: endpoint, DesiredWeightsAndCapacities: [{ VariantName: 'shadow', DesiredWeight: 0.25 }] }));
    await waitForStatus(s.c.sm, endpoint, ['InService']);
    const after = await s.c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(after.ShadowProductionVariants?.[0]?.CurrentWeight).toBe(0.25);
    const before = await shadowInvocations(endpoint);
    const sampled = await invoke(endpoint, 200);
    expect([...sampled.roles]).toEqual(['production']);
    // Copies and their log lines arrive after the answers: wait for the lower bound, then let the rest land.
    await until('the shadow to log more than 20 of the sampled copies', async () => (await shadowInvocations(endpoint)) - before > 20, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    const copies = (await shadowInvocations(endpoint)) - before;
    expect(copies).toBeGreaterThan(20);
    expect(copies).toBeLessThan(90);
  }, 240_000);
});
