/**
 * Serverless endpoints (issue #16 item 2) through boto3 and real serve containers, with a 2 s
 * idle period: ServerlessConfig validated as SageMaker does (nothing created on a refusal); an
 * idle endpoint has no container (engine containers by label); a request waits for the cold start
 * and succeeds; concurrent requests during a cold start share it; memory is the container's limit
 * with CPUs in proportion; MaxConcurrency 1 with two concurrent slow requests throttles one with
 * ThrottlingException (429); ProvisionedConcurrency keeps containers warm; ModelSetupTime is in
 * CloudWatch; a container not ready within the cold-start timeout gives ModelNotReadyException,
 * one that exits at start a ModelError at once; UpdateEndpoint moves serverless to instances but not
 * back; the SageMaker Python SDK deploys with ServerlessInferenceConfig and predicts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEndpointCommand, DescribeEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../../helpers/poll.js';
import { limitsOf } from '../../helpers/cluster/test-cluster.js';
import { MODEL_SERVER_IMAGE, buildModelServer, clients, containersOf, createConfig, createModel, deleteAllEndpoints, python, rnd, variant, waitForStatus } from './helpers.js';

const COLD_START_TIMEOUT_S = 15;

let server: TestServer;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  await buildModelServer();
  server = await startTestServer({ serverless: { idleSeconds: 2, coldStartTimeoutSeconds: COLD_START_TIMEOUT_S } });
  c = clients(server.url);
});

afterAll(async () => {
  if (!server) return;
  await deleteAllEndpoints(c.sm, server.home);
  await server.cleanup();
});

type Serverless = { MemorySizeInMB: number; MaxConcurrency: number; ProvisionedConcurrency?: number };

/** A serverless endpoint of the fixture model; resolves when InService. */
async function deployServerless(serverless: Serverless, env: Record<string, string> = { FIXTURE_QUIET: '1' }) {
  const model = rnd('m');
  const endpoint = rnd('e');
  await createModel(c.sm, model, { env });
  const config = await serverlessConfig(model, serverless);
  await c.sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  await waitForStatus(c.sm, endpoint, ['InService']);
  return endpoint;
}

/** A serverless endpoint config of `model` (through boto3); its name. */
async function serverlessConfig(model: string, serverless: Serverless) {
  const config = rnd('c');
  const out = await python(
    server.url,
    `
import boto3
boto3.client('sagemaker').create_endpoint_config(EndpointConfigName='${config}', ProductionVariants=[
    {'VariantName': 'AllTraffic', 'ModelName': '${model}', 'ServerlessConfig': ${JSON.stringify(serverless)}}])
print('ok')
`,
  );
  expect(out.trim()).toBe('ok');
  return config;
}

/** The body the fixture echoed back (undefined for an error). */
const echoed = (r: { ok?: string }) => (r.ok === undefined ? undefined : (JSON.parse(r.ok) as { body: string }).body);

const running = async (endpoint: string) => (await containersOf(server.home, endpoint)).length;

/** Waits until the endpoint has `n` containers (by label), as scale-to-zero / provisioned leave it. */
const waitForContainers = (endpoint: string, n: number) =>
  until(`${n} containers for ${endpoint}`, async () => ((await running(endpoint)) === n ? true : undefined), { timeoutMs: 60_000 });

const RT = `
import boto3, json, time, threading
from botocore.config import Config
rt = boto3.client('sagemaker-runtime', config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'}, read_timeout=120))
def call(name, body='{"x": 1}', ctype='application/json'):
    t = time.time()
    try:
        r = rt.invoke_endpoint(EndpointName=name, Body=body, ContentType=ctype)
        return {'ok': r['Body'].read().decode(), 'variant': r['InvokedProductionVariant'], 's': time.time() - t}
    except rt.exceptions.ClientError as e:
        return {'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'message': e.response['Error']['Message'], 's': time.time() - t}
def concurrently(n, *args):
    out = [None] * n
    def run(i):
        out[i] = call(*args)
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts: t.start()
    for t in ts: t.join()
    return out
`;

describe('serverless endpoints', () => {
  it('refuses bad ServerlessConfig with typed errors and creates nothing', async () => {
    const model = rnd('m');
    await createModel(c.sm, model);
    const out = JSON.parse(
      await python(
        server.url,
        `
import boto3, json
from botocore.config import Config
# The range cases must reach the server: botocore would refuse them itself.
sm = boto3.client('sagemaker', config=Config(parameter_validation=False))
def v(name='AllTraffic', **extra):
    return dict({'VariantName': name, 'ModelName': '${model}'}, **extra)
cases = {
  'memory-step': [v(ServerlessConfig={'MemorySizeInMB': 1500, 'MaxConcurrency': 1})],
  'memory-range': [v(ServerlessConfig={'MemorySizeInMB': 512, 'MaxConcurrency': 1})],
  'concurrency-range': [v(ServerlessConfig={'MemorySizeInMB': 1024, 'MaxConcurrency': 201})],
  'provisioned-over-max': [v(ServerlessConfig={'MemorySizeInMB': 1024, 'MaxConcurrency': 2, 'ProvisionedConcurrency': 3})],
  'with-instance-type': [v(InstanceType='ml.t2.medium', ServerlessConfig={'MemorySizeInMB': 1024, 'MaxConcurrency': 1})],
  'with-count': [v(InitialInstanceCount=1, ServerlessConfig={'MemorySizeInMB': 1024, 'MaxConcurrency': 1})],
  'two-variants': [v(ServerlessConfig={'MemorySizeInMB': 1024, 'MaxConcurrency': 1}), v('B', InstanceType='ml.t2.medium', InitialInstanceCount=1)],
}
out = {}
for name, variants in cases.items():
    try:
        sm.create_endpoint_config(EndpointConfigName='bad-' + name, ProductionVariants=variants)
        out[name] = 'created'
    except sm.exceptions.ClientError as e:
        out[name] = [e.response['Error']['Code'], e.response['Error']['Message']]
try:
    sm.create_endpoint_config(EndpointConfigName='bad-capture', ProductionVariants=[v(ServerlessConfig={'MemorySizeInMB': 1024, 'MaxConcurrency': 1})],
        DataCaptureConfig={'InitialSamplingPercentage': 100, 'DestinationS3Uri': 's3://b/p', 'CaptureOptions': [{'CaptureMode': 'Input'}]})
    out['capture'] = 'created'
except sm.exceptions.ClientError as e:
    out['capture'] = [e.response['Error']['Code'], e.response['Error']['Message']]
out['left'] = [c['EndpointConfigName'] for c in sm.list_endpoint_configs(NameContains='bad-')['EndpointConfigs']]
print(json.dumps(out))
`,
      ),
    );
    expect(out['memory-step']).toEqual(['ValidationException', expect.stringMatching(/MemorySizeInMB 1500 .* 1024, 2048/)]);
    expect(out['memory-range'][0]).toBe('ValidationException');
    expect(out['concurrency-range'][0]).toBe('ValidationException');
    expect(out['provisioned-over-max']).toEqual(['ValidationException', expect.stringMatching(/ProvisionedConcurrency \(3\) must be less than or equal to MaxConcurrency \(2\)/)]);
    expect(out['with-instance-type']).toEqual(['ValidationException', expect.stringMatching(/InstanceType and ServerlessConfig/)]);
    expect(out['with-count']).toEqual(['ValidationException', expect.stringMatching(/InitialInstanceCount and ServerlessConfig/)]);
    expect(out['two-variants']).toEqual(['ValidationException', expect.stringMatching(/exactly 1 variant/)]);
    expect(out.capture).toEqual(['ValidationException', expect.stringMatching(/DataCaptureConfig/)]);
    expect(out.left).toEqual([]);
  }, 60_000);

  it('scales an idle endpoint to zero containers; the next request waits for the cold start and succeeds', async () => {
    const endpoint = await deployServerless({ MemorySizeInMB: 2048, MaxConcurrency: 3 });
    const d = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    const pv = d.ProductionVariants![0]!;
    expect(pv.CurrentServerlessConfig).toEqual({ MemorySizeInMB: 2048, MaxConcurrency: 3 });
    expect(pv.DesiredServerlessConfig).toEqual({ MemorySizeInMB: 2048, MaxConcurrency: 3 });
    expect(pv.CurrentInstanceCount).toBeUndefined();
    expect(await running(endpoint)).toBe(0);

    // Three concurrent requests on a cold endpoint: all wait for the cold start and succeed.
    const cold = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(concurrently(3, '${endpoint}')))`));
    for (const r of cold) expect(echoed(r), JSON.stringify(r)).toBe('{"x": 1}');
    expect(await running(endpoint)).toBeGreaterThanOrEqual(1);

    // The memory size is the container's memory limit, CPUs in proportion (1769 MB per vCPU, within the host).
    const [id] = await containersOf(server.home, endpoint);
    const { memory, nanoCpus } = await limitsOf(id!);
    expect(memory).toBe(2048 * 1024 ** 2);
    expect(nanoCpus).toBeGreaterThan(0);
    expect(nanoCpus).toBeLessThanOrEqual(Math.round((2048 / 1769) * 1e9));

    // Idle for 2 s: back to zero containers.
    await waitForContainers(endpoint, 0);
    const again = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(call('${endpoint}')))`));
    expect(echoed(again), JSON.stringify(again)).toBe('{"x": 1}');
    expect(again.variant).toBe('AllTraffic');

    // The cold starts are reported as ModelSetupTime (AWS/SageMaker, per variant).
    const setup = JSON.parse(
      await python(
        server.url,
        `
import boto3, datetime, json
cw = boto3.client('cloudwatch')
now = datetime.datetime.now(datetime.timezone.utc)
r = cw.get_metric_statistics(Namespace='AWS/SageMaker', MetricName='ModelSetupTime', Dimensions=[{'Name': 'EndpointName', 'Value': '${endpoint}'}, {'Name': 'VariantName', 'Value': 'AllTraffic'}],
    StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1), Period=600, Statistics=['SampleCount', 'Maximum'], Unit='Microseconds')
print(json.dumps({'count': sum(p['SampleCount'] for p in r['Datapoints']), 'max': max([p['Maximum'] for p in r['Datapoints']] or [0])}))
`,
      ),
    );
    expect(setup.count).toBeGreaterThanOrEqual(2);
    expect(setup.max).toBeGreaterThan(0);
  }, 180_000);

  it('throttles requests above MaxConcurrency with ThrottlingException (429)', async () => {
    const endpoint = await deployServerless({ MemorySizeInMB: 1024, MaxConcurrency: 1 });
    const out = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(concurrently(2, '${endpoint}', '3', 'application/x-sleep')))`));
    const ok = out.filter((r: { ok?: string }) => r.ok !== undefined);
    const throttled = out.filter((r: { code?: string }) => r.code !== undefined);
    expect(ok, JSON.stringify(out)).toHaveLength(1);
    expect(ok[0].ok).toBe('slept');
    expect(throttled, JSON.stringify(out)).toHaveLength(1);
    expect(throttled[0]).toMatchObject({ code: 'ThrottlingException', status: 429 });
    expect(throttled[0].message).toMatch(/MaxConcurrency of 1/);
    // Once the first finished, the endpoint serves again.
    const after = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(call('${endpoint}')))`));
    expect(echoed(after), JSON.stringify(after)).toBe('{"x": 1}');
  }, 180_000);

  it('keeps ProvisionedConcurrency containers warm when idle', async () => {
    const endpoint = await deployServerless({ MemorySizeInMB: 1024, MaxConcurrency: 2, ProvisionedConcurrency: 1 });
    // InService only once the provisioned container serves.
    expect(await running(endpoint)).toBe(1);
    const out = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(concurrently(2, '${endpoint}', '1', 'application/x-sleep')))`));
    for (const r of out) expect(r.ok, JSON.stringify(r)).toBe('slept');
    await waitForContainers(endpoint, 1);
    // And it stays: well past the idle period there is still one.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await running(endpoint)).toBe(1);
    const d = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(d.ProductionVariants![0]!.CurrentServerlessConfig).toEqual({ MemorySizeInMB: 1024, MaxConcurrency: 2, ProvisionedConcurrency: 1 });

    // Instance counts do not apply to a serverless variant: refused, not stored and ignored.
    const refused = JSON.parse(
      await python(
        server.url,
        `
import boto3, json
out = {}
try:
    boto3.client('sagemaker').update_endpoint_weights_and_capacities(EndpointName='${endpoint}', DesiredWeightsAndCapacities=[{'VariantName': 'AllTraffic', 'DesiredInstanceCount': 3}])
    out['capacity'] = 'accepted'
except Exception as e:
    out['capacity'] = [e.response['Error']['Code'], e.response['Error']['Message']]
aas = boto3.client('application-autoscaling')
try:
    aas.register_scalable_target(ServiceNamespace='sagemaker', ResourceId='endpoint/${endpoint}/variant/AllTraffic',
        ScalableDimension='sagemaker:variant:DesiredInstanceCount', MinCapacity=1, MaxCapacity=3)
    out['target'] = 'accepted'
except Exception as e:
    out['target'] = [e.response['Error']['Code'], e.response['Error']['Message']]
out['targets'] = len(aas.describe_scalable_targets(ServiceNamespace='sagemaker')['ScalableTargets'])
out['status'] = boto3.client('sagemaker').describe_endpoint(EndpointName='${endpoint}')['EndpointStatus']
print(json.dumps(out))
`,
      ),
    );
    expect(refused.capacity).toEqual(['ValidationException', expect.stringMatching(/serverless/)]);
    expect(refused.target).toEqual(['ValidationException', expect.stringMatching(/serverless/)]);
    expect(refused.targets).toBe(0);
    expect(refused.status).toBe('InService');
  }, 180_000);

  it('answers ModelNotReadyException when no container is ready within the cold-start timeout', async () => {
    const endpoint = await deployServerless({ MemorySizeInMB: 1024, MaxConcurrency: 2 }, { FIXTURE_QUIET: '1', FIXTURE_PING_DELAY: String(COLD_START_TIMEOUT_S * 3) });
    const out = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(call('${endpoint}')))`));
    expect(out, JSON.stringify(out)).toMatchObject({ code: 'ModelNotReadyException', status: 429 });
    expect(out.s).toBeGreaterThanOrEqual(COLD_START_TIMEOUT_S - 1);
    expect(out.s).toBeLessThan(COLD_START_TIMEOUT_S + 10);
  }, 120_000);

  it('fails a request at once with ModelError when its cold-start container cannot start', async () => {
    const endpoint = await deployServerless({ MemorySizeInMB: 1024, MaxConcurrency: 2 }, { FIXTURE_MODE: 'crash' });
    const out = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(call('${endpoint}')))`));
    expect(out, JSON.stringify(out)).toMatchObject({ code: 'ModelError', status: 424 });
    expect(out.message).toMatch(/did not pass the ping health check/);
    expect(out.message).toMatch(/could not load the model/);
    expect(out.s).toBeLessThan(COLD_START_TIMEOUT_S - 5);
  }, 120_000);

  it('updates a serverless endpoint to instances, and refuses the reverse as SageMaker does', async () => {
    const endpoint = await deployServerless({ MemorySizeInMB: 1024, MaxConcurrency: 2 });
    const model = rnd('m');
    await createModel(c.sm, model, { env: { FIXTURE_QUIET: '1' } });
    const instances = rnd('c');
    await createConfig(c.sm, instances, [variant('AllTraffic', model)]);
    await c.sm.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: instances }));
    await waitForStatus(c.sm, endpoint, ['InService']);
    const d = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(d.ProductionVariants![0]).toMatchObject({ CurrentInstanceCount: 1, DesiredInstanceCount: 1 });
    expect(d.ProductionVariants![0]!.CurrentServerlessConfig).toBeUndefined();
    const r = JSON.parse(await python(server.url, `${RT}\nprint(json.dumps(call('${endpoint}')))`));
    expect(echoed(r), JSON.stringify(r)).toBe('{"x": 1}');

    const serverless = await serverlessConfig(model, { MemorySizeInMB: 1024, MaxConcurrency: 2 });
    const err = await c.sm.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: serverless })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('ValidationException');
    expect((err as Error).message).toMatch(/instance-based: it cannot be updated to a serverless/);
    expect((await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointStatus).toBe('InService');
  }, 180_000);

  it('deploys through the SageMaker Python SDK with ServerlessInferenceConfig and predicts', async () => {
    const name = rnd('sdk');
    // The SDK prints INFO lines and the waiter's progress marks (-, !) to stdout: the answer is the JSON at the end.
    const lastLine = (text: string) => text.slice(text.lastIndexOf('{"body"'));
    const out = JSON.parse(
      lastLine(await python(
        server.url,
        `
import json, sagemaker
from sagemaker.model import Model
from sagemaker.serverless import ServerlessInferenceConfig
from sagemaker.predictor import Predictor
from sagemaker.serializers import JSONSerializer
from sagemaker.deserializers import JSONDeserializer
sess = sagemaker.Session(default_bucket='unused')
model = Model(image_uri='${MODEL_SERVER_IMAGE}', role='arn:aws:iam::000000000000:role/slipway', name='${name}', sagemaker_session=sess)
model.deploy(serverless_inference_config=ServerlessInferenceConfig(memory_size_in_mb=1024, max_concurrency=2), endpoint_name='${name}', wait=False)
sess.wait_for_endpoint('${name}', poll=1)
p = Predictor('${name}', sagemaker_session=sess, serializer=JSONSerializer(), deserializer=JSONDeserializer())
r = p.predict({'x': 7})
cfg = sess.sagemaker_client.describe_endpoint_config(EndpointConfigName='${name}')['ProductionVariants'][0]
print(json.dumps({'body': r['body'], 'serverless': cfg.get('ServerlessConfig'), 'instanceType': cfg.get('InstanceType')}))
`,
      )),
    );
    expect(out.body).toBe('{"x": 7}');
    expect(out.serverless).toEqual({ MemorySizeInMB: 1024, MaxConcurrency: 2 });
    expect(out.instanceType).toBeNull();
  }, 180_000);
});
