/**
 * Hosting acceptance 3: two variants with weights 1:3 (1 and 2 instances) split traffic in exact
 * proportion, TargetVariant overrides the weights, Describe shows counts and weights, and
 * UpdateEndpointWeightsAndCapacities moves traffic and capacity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEndpointCommand, DescribeEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, clients, containersOf, createConfig, createModel, deleteAllEndpoints, python, rnd, variant, waitForStatus } from './helpers.js';

let server: TestServer;
let c: ReturnType<typeof clients>;
const endpoint = rnd('weights');

beforeAll(async () => {
  await buildModelServer();
  server = await startTestServer();
  c = clients(server.url);
  const ma = rnd('ma');
  const mb = rnd('mb');
  await createModel(c.sm, ma, { env: { ECHO_MODEL: 'a', FIXTURE_QUIET: '1' } });
  await createModel(c.sm, mb, { env: { ECHO_MODEL: 'b', FIXTURE_QUIET: '1' } });
  const config = rnd('cfg');
  await createConfig(c.sm, config, [variant('VariantA', ma, 1, 1), variant('VariantB', mb, 2, 3)]);
  await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  // boto3's waiter, as users write it.
  await python(
    server.url,
    `
import boto3
boto3.client('sagemaker').get_waiter('endpoint_in_service').wait(EndpointName='${endpoint}', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
`,
  );
});

afterAll(async () => {
  if (!server) return;
  await deleteAllEndpoints(c.sm, server.home);
  await server.cleanup();
});

const SPLIT_SCRIPT = (endpoint: string, n: number, target = '') => `
import boto3, json, collections
rt = boto3.client('sagemaker-runtime')
variants = collections.Counter(); instances = collections.Counter(); models = collections.Counter()
for i in range(${n}):
    kw = {'TargetVariant': '${target}'} if '${target}' else {}
    r = rt.invoke_endpoint(EndpointName='${endpoint}', Body=b'{}', ContentType='application/json', **kw)
    body = json.loads(r['Body'].read())
    variants[r['InvokedProductionVariant']] += 1
    instances[body['instance']] += 1
    models[r['InvokedProductionVariant'] + '=' + body['env']['ECHO_MODEL']] += 1
print(json.dumps({'variants': variants, 'instances': instances, 'models': models}))
`;

describe('production variants', () => {
  it('describes both variants with weights and instance counts', async () => {
    const d = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    const byName = Object.fromEntries(d.ProductionVariants!.map((v) => [v.VariantName, v]));
    expect(byName.VariantA).toMatchObject({ CurrentWeight: 1, DesiredWeight: 1, CurrentInstanceCount: 1, DesiredInstanceCount: 1 });
    expect(byName.VariantB).toMatchObject({ CurrentWeight: 3, DesiredWeight: 3, CurrentInstanceCount: 2, DesiredInstanceCount: 2 });
    expect(await containersOf(server.home, endpoint)).toHaveLength(3);
  });

  it('splits 400 calls 1:3 within ±5 points and spreads a variant over its instances', async () => {
    const r = JSON.parse(await python(server.url, SPLIT_SCRIPT(endpoint, 400)));
    const shareA = r.variants.VariantA / 400;
    expect(Math.abs(shareA - 0.25)).toBeLessThanOrEqual(0.05);
    expect(r.variants.VariantA + r.variants.VariantB).toBe(400);
    // Each variant runs its own model.
    expect(Object.keys(r.models).sort()).toEqual(['VariantA=a', 'VariantB=b']);
    // Three instances all served; B's two share its traffic.
    const counts = Object.values(r.instances as Record<string, number>).sort((a, b) => a - b);
    expect(counts).toHaveLength(3);
    expect(counts[0]).toBeGreaterThan(50);
  });

  it('honours TargetVariant over the weights', async () => {
    const r = JSON.parse(await python(server.url, SPLIT_SCRIPT(endpoint, 20, 'VariantA')));
    expect(r.variants).toEqual({ VariantA: 20 });
  });

  it('moves weights and capacity with UpdateEndpointWeightsAndCapacities', async () => {
    await c.sm.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: endpoint,
        DesiredWeightsAndCapacities: [
          { VariantName: 'VariantA', DesiredWeight: 1, DesiredInstanceCount: 2 },
          { VariantName: 'VariantB', DesiredWeight: 1, DesiredInstanceCount: 1 },
        ],
      }),
    );
    const d = await waitForStatus(c.sm, endpoint, ['InService']);
    const byName = Object.fromEntries(d.ProductionVariants!.map((v) => [v.VariantName, v]));
    expect(byName.VariantA).toMatchObject({ CurrentWeight: 1, DesiredWeight: 1, CurrentInstanceCount: 2, DesiredInstanceCount: 2 });
    expect(byName.VariantB).toMatchObject({ CurrentWeight: 1, CurrentInstanceCount: 1, DesiredInstanceCount: 1 });
    const r = JSON.parse(await python(server.url, SPLIT_SCRIPT(endpoint, 100)));
    expect(r.variants).toEqual({ VariantA: 50, VariantB: 50 });
    const deadline = Date.now() + 60_000;
    while ((await containersOf(server.home, endpoint)).length !== 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 250));
    expect(await containersOf(server.home, endpoint)).toHaveLength(3);
  });
});
