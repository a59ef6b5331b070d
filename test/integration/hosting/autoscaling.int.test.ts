/**
 * Application Auto Scaling on endpoint variants (issue #16 item 3), through boto3's
 * `application-autoscaling` client and real serve containers, with a 1 s evaluation interval:
 * a bounded load raises the instance count within MaxCapacity, low traffic and idle lower it to
 * MinCapacity, a client invoking steadily during scale-in sees no failed call, targets and policies
 * survive a restart, a custom CloudWatch metric drives a policy, bad input is typed and leaves
 * nothing behind, and deleting the endpoint deregisters its target. The tests run in order on one
 * endpoint (each starts from the capacity the previous one left).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, clients, containersOf, deleteAllEndpoints, deploySimple, python, waitForStatus } from './helpers.js';

let server: TestServer;
let c: ReturnType<typeof clients>;
let endpoint: string;
let resourceId: string;
let targetArn: string;

const start = () => startTestServer({ autoscalingIntervalSeconds: 1 });

beforeAll(async () => {
  await buildModelServer();
  server = await start();
  c = clients(server.url);
  endpoint = (await deploySimple(c.sm, { env: { FIXTURE_QUIET: '1' } })).endpoint;
  resourceId = `endpoint/${endpoint}/variant/AllTraffic`;
});

afterAll(async () => {
  if (!server) return;
  await deleteAllEndpoints(c.sm, server.home);
  await server.cleanup();
});

const PRELUDE = `
import boto3, json, time, threading
aas = boto3.client('application-autoscaling')
sm = boto3.client('sagemaker')
rt = boto3.client('sagemaker-runtime')
def variant(name):
    d = sm.describe_endpoint(EndpointName=name)
    return d['EndpointStatus'], d['ProductionVariants'][0]
`;

/** Polls DescribeEndpoint until the variant serves `count` with nothing pending. */
async function waitForCount(count: number, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await c.sm.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    const v = d.ProductionVariants![0]!;
    if (d.EndpointStatus === 'InService' && v.CurrentInstanceCount === count && v.DesiredInstanceCount === count) return d;
    if (Date.now() > deadline) throw new Error(`still ${d.EndpointStatus} ${v.CurrentInstanceCount}/${v.DesiredInstanceCount}, want ${count}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Application Auto Scaling for endpoint variants', () => {
  it('registers a target and a target-tracking policy and describes them', async () => {
    const out = JSON.parse(
      await python(
        server.url,
        `${PRELUDE}
r = aas.register_scalable_target(ServiceNamespace='sagemaker', ResourceId='${resourceId}',
    ScalableDimension='sagemaker:variant:DesiredInstanceCount', MinCapacity=1, MaxCapacity=3)
p = aas.put_scaling_policy(PolicyName='invocations', ServiceNamespace='sagemaker', ResourceId='${resourceId}',
    ScalableDimension='sagemaker:variant:DesiredInstanceCount', PolicyType='TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration={'TargetValue': 600.0,
        'PredefinedMetricSpecification': {'PredefinedMetricType': 'SageMakerVariantInvocationsPerInstance'},
        'ScaleOutCooldown': 0, 'ScaleInCooldown': 0})
t = aas.describe_scalable_targets(ServiceNamespace='sagemaker', ResourceIds=['${resourceId}'])['ScalableTargets']
ps = aas.describe_scaling_policies(ServiceNamespace='sagemaker', ResourceId='${resourceId}')['ScalingPolicies']
print(json.dumps({'arn': r['ScalableTargetARN'], 'policy': p['PolicyARN'], 'alarms': len(p['Alarms']), 'targets': t, 'policies': ps}, default=str))
`,
      ),
    );
    expect(out.arn).toMatch(/^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target\//);
    expect(out.policy).toContain(`:resource/sagemaker/${resourceId}:policyName/invocations`);
    expect(out.alarms).toBe(2);
    expect(out.targets).toHaveLength(1);
    expect(out.targets[0]).toMatchObject({ ResourceId: resourceId, MinCapacity: 1, MaxCapacity: 3, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' });
    expect(out.policies).toHaveLength(1);
    expect(out.policies[0]).toMatchObject({
      PolicyName: 'invocations',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 600, ScaleOutCooldown: 0, ScaleInCooldown: 0 },
    });
  });

  it('a bounded load raises the instance count, never above MaxCapacity', async () => {
    // Loopback only; three client threads (enough rate on a busy 2-core host: 3 instances need
    // over 20 calls/s); stops at 3 serving instances, 4000 calls or 60 s, whichever comes first.
    const out = JSON.parse(
      await python(
        server.url,
        `${PRELUDE}
stop = threading.Event(); lock = threading.Lock(); stats = {'calls': 0, 'failures': 0}
def load():
    c = boto3.client('sagemaker-runtime')
    while not stop.is_set():
        with lock:
            if stats['calls'] >= 4000: return
            stats['calls'] += 1
        try:
            c.invoke_endpoint(EndpointName='${endpoint}', Body=b'{}', ContentType='application/json')['Body'].read()
        except Exception:
            with lock: stats['failures'] += 1
threads = [threading.Thread(target=load) for _ in range(3)]
for t in threads: t.start()
t0 = time.time(); peak = 0; reached = False
while time.time() - t0 < 60 and any(t.is_alive() for t in threads):
    status, v = variant('${endpoint}')
    peak = max(peak, v['DesiredInstanceCount'], v.get('CurrentInstanceCount', 0))
    if status == 'InService' and v.get('CurrentInstanceCount') == 3:
        reached = True
        break
    time.sleep(0.2)
stop.set()
for t in threads: t.join()
print(json.dumps({**stats, 'peak': peak, 'reached': reached, 'seconds': time.time() - t0}))
`,
      ),
    );
    expect(out.failures).toBe(0);
    expect(out.reached).toBe(true);
    expect(out.peak).toBe(3);
    const act = JSON.parse(
      await python(server.url, `${PRELUDE}
print(json.dumps(aas.describe_scaling_activities(ServiceNamespace='sagemaker', ResourceId='${resourceId}')['ScalingActivities'], default=str))`),
    );
    expect(act.length).toBeGreaterThanOrEqual(1);
    expect(act.map((a: { Description: string }) => a.Description)).toContain('Setting desired instance count to 3.');
    expect(act[0].Cause).toMatch(/^monitor alarm TargetTracking-.*-AlarmHigh-.* in state ALARM triggered policy invocations$/);
  });

  it('low traffic lowers it to MinCapacity, and a client invoking steadily during the scale-in sees no failed call', async () => {
    // Two threads of 0.3 s requests (~6/s, far below the target): requests are in flight on the
    // instances being removed. Bounded by 1500 calls and 90 s; stops 3 s after the count reached 1.
    const out = JSON.parse(
      await python(
        server.url,
        `${PRELUDE}
stop = threading.Event(); lock = threading.Lock(); stats = {'calls': 0, 'failures': 0, 'errors': []}
def client():
    c = boto3.client('sagemaker-runtime')
    while not stop.is_set():
        with lock:
            if stats['calls'] >= 1500: return
            stats['calls'] += 1
        try:
            r = c.invoke_endpoint(EndpointName='${endpoint}', Body=b'0.3', ContentType='application/x-sleep')
            r['Body'].read()
        except Exception as e:
            with lock:
                stats['failures'] += 1; stats['errors'].append(repr(e)[:300])
threads = [threading.Thread(target=client) for _ in range(2)]
for t in threads: t.start()
t0 = time.time(); done_at = None; counts = []
while time.time() - t0 < 90:
    status, v = variant('${endpoint}')
    counts.append(v.get('CurrentInstanceCount'))
    if done_at is None and status == 'InService' and v.get('CurrentInstanceCount') == 1 and v['DesiredInstanceCount'] == 1:
        done_at = time.time()
    if done_at is not None and time.time() - done_at > 3: break
    time.sleep(0.5)
stop.set()
for t in threads: t.join()
print(json.dumps({**stats, 'reached': done_at is not None, 'seconds': time.time() - t0, 'min': min(c for c in counts if c is not None)}))
`,
        {},
        150_000,
      ),
    );
    expect(out.errors).toEqual([]);
    expect(out.failures).toBe(0);
    expect(out.calls).toBeGreaterThan(20);
    expect(out.reached).toBe(true);
    expect(out.min).toBe(1);
    // The retired containers are gone, not just unrouted.
    const deadline = Date.now() + 60_000;
    while ((await containersOf(server.home, endpoint)).length !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await containersOf(server.home, endpoint)).toHaveLength(1);
  }, 180_000);

  it('idle lowers a manually raised count back to MinCapacity', async () => {
    await c.sm.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: endpoint, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 2 }] }),
    );
    await waitForStatus(c.sm, endpoint, ['InService']);
    await waitForCount(1);
    const act = JSON.parse(
      await python(server.url, `${PRELUDE}
print(json.dumps(aas.describe_scaling_activities(ServiceNamespace='sagemaker', ResourceId='${resourceId}', MaxResults=1)['ScalingActivities'], default=str))`),
    );
    expect(act[0]).toMatchObject({ Description: 'Setting desired instance count to 1.', StatusCode: expect.stringMatching(/InProgress|Successful/) });
    expect(act[0].Cause).toMatch(/AlarmLow/);
  }, 120_000);

  it('keeps targets and policies across a restart, and the driver runs again (a raised MinCapacity applies)', async () => {
    server = await server.restart();
    c = clients(server.url);
    await waitForStatus(c.sm, endpoint, ['InService']);
    const out = JSON.parse(
      await python(
        server.url,
        `${PRELUDE}
t = aas.describe_scalable_targets(ServiceNamespace='sagemaker')['ScalableTargets']
ps = aas.describe_scaling_policies(ServiceNamespace='sagemaker')['ScalingPolicies']
aas.register_scalable_target(ServiceNamespace='sagemaker', ResourceId='${resourceId}',
    ScalableDimension='sagemaker:variant:DesiredInstanceCount', MinCapacity=2)
t2 = aas.describe_scalable_targets(ServiceNamespace='sagemaker')['ScalableTargets']
print(json.dumps({'targets': t, 'policies': ps, 'after': t2}, default=str))
`,
      ),
    );
    expect(out.targets.map((t: { ResourceId: string }) => t.ResourceId)).toEqual([resourceId]);
    expect(out.policies.map((p: { PolicyName: string }) => p.PolicyName)).toEqual(['invocations']);
    // An update keeps what it does not name (MaxCapacity stays 3).
    expect(out.after[0]).toMatchObject({ MinCapacity: 2, MaxCapacity: 3 });
    await waitForCount(2);
    const act = JSON.parse(
      await python(server.url, `${PRELUDE}
print(json.dumps(aas.describe_scaling_activities(ServiceNamespace='sagemaker', ResourceId='${resourceId}', MaxResults=1)['ScalingActivities'], default=str))`),
    );
    expect(act[0]).toMatchObject({ Description: 'Setting desired instance count to 2.', Cause: 'minimum capacity was set to 2' });
  }, 120_000);

  it('scales on a CustomizedMetricSpecification read from the CloudWatch metric store', async () => {
    const out = JSON.parse(
      await python(
        server.url,
        `${PRELUDE}
cw = boto3.client('cloudwatch')
aas.delete_scaling_policy(PolicyName='invocations', ServiceNamespace='sagemaker', ResourceId='${resourceId}',
    ScalableDimension='sagemaker:variant:DesiredInstanceCount')
dims = [{'Name': 'EndpointName', 'Value': '${endpoint}'}]
cw.put_metric_data(Namespace='Custom/Queue', MetricData=[{'MetricName': 'Backlog', 'Dimensions': dims, 'Value': 250.0}])
aas.put_scaling_policy(PolicyName='backlog', ServiceNamespace='sagemaker', ResourceId='${resourceId}',
    ScalableDimension='sagemaker:variant:DesiredInstanceCount', PolicyType='TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration={'TargetValue': 100.0, 'DisableScaleIn': True,
        'CustomizedMetricSpecification': {'MetricName': 'Backlog', 'Namespace': 'Custom/Queue', 'Dimensions': dims, 'Statistic': 'Average'},
        'ScaleOutCooldown': 0})
print(json.dumps([p['PolicyName'] for p in aas.describe_scaling_policies(ServiceNamespace='sagemaker')['ScalingPolicies']]))
`,
      ),
    );
    expect(out).toEqual(['backlog']);
    // ceil(2 × 250 / 100) = 5, clamped to MaxCapacity 3.
    await waitForCount(3);
  }, 120_000);

  it('answers bad input with typed errors and creates nothing', async () => {
    const out = JSON.parse(
      await python(
        server.url,
        `${PRELUDE}
D = 'sagemaker:variant:DesiredInstanceCount'
def err(f, **kw):
    try:
        f(**kw); return None
    except aas.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
res = {
  'namespace': err(aas.register_scalable_target, ServiceNamespace='ecs', ResourceId='service/c/s', ScalableDimension='ecs:service:DesiredCount', MinCapacity=1, MaxCapacity=2),
  'dimension': err(aas.register_scalable_target, ServiceNamespace='sagemaker', ResourceId='${resourceId}', ScalableDimension='sagemaker:variant:DesiredProvisionedConcurrency', MinCapacity=1, MaxCapacity=2),
  'resource': err(aas.register_scalable_target, ServiceNamespace='sagemaker', ResourceId='endpoint/${endpoint}', ScalableDimension=D, MinCapacity=1, MaxCapacity=2),
  'endpoint': err(aas.register_scalable_target, ServiceNamespace='sagemaker', ResourceId='endpoint/nope-nope/variant/AllTraffic', ScalableDimension=D, MinCapacity=1, MaxCapacity=2),
  'variant': err(aas.register_scalable_target, ServiceNamespace='sagemaker', ResourceId='endpoint/${endpoint}/variant/Nope', ScalableDimension=D, MinCapacity=1, MaxCapacity=2),
  'minmax': err(aas.register_scalable_target, ServiceNamespace='sagemaker', ResourceId='endpoint/nope-nope/variant/AllTraffic', ScalableDimension=D, MinCapacity=3, MaxCapacity=2),
  'model': err(aas.put_scaling_policy, PolicyName='x' * 300, ServiceNamespace='sagemaker', ResourceId='${resourceId}', ScalableDimension=D, PolicyType='TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration={'TargetValue': 1.0, 'PredefinedMetricSpecification': {'PredefinedMetricType': 'SageMakerVariantInvocationsPerInstance'}}),
  'step': err(aas.put_scaling_policy, PolicyName='step', ServiceNamespace='sagemaker', ResourceId='${resourceId}', ScalableDimension=D, PolicyType='StepScaling',
      StepScalingPolicyConfiguration={'AdjustmentType': 'ChangeInCapacity', 'StepAdjustments': [{'MetricIntervalLowerBound': 0, 'ScalingAdjustment': 1}]}),
  'metric': err(aas.put_scaling_policy, PolicyName='cpu', ServiceNamespace='sagemaker', ResourceId='${resourceId}', ScalableDimension=D, PolicyType='TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration={'TargetValue': 50.0, 'PredefinedMetricSpecification': {'PredefinedMetricType': 'ECSServiceAverageCPUUtilization'}}),
  'unregistered': err(aas.put_scaling_policy, PolicyName='p', ServiceNamespace='sagemaker', ResourceId='endpoint/nope-nope/variant/AllTraffic', ScalableDimension=D, PolicyType='TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration={'TargetValue': 5.0, 'PredefinedMetricSpecification': {'PredefinedMetricType': 'SageMakerVariantInvocationsPerInstance'}}),
  'deregister': err(aas.deregister_scalable_target, ServiceNamespace='sagemaker', ResourceId='endpoint/nope-nope/variant/AllTraffic', ScalableDimension=D),
  'deletePolicy': err(aas.delete_scaling_policy, PolicyName='nope', ServiceNamespace='sagemaker', ResourceId='${resourceId}', ScalableDimension=D),
  'token': err(aas.describe_scalable_targets, ServiceNamespace='sagemaker', NextToken='garbage'),
}
res['targets'] = [t['ResourceId'] for t in aas.describe_scalable_targets(ServiceNamespace='sagemaker')['ScalableTargets']]
res['policies'] = [p['PolicyName'] for p in aas.describe_scaling_policies(ServiceNamespace='sagemaker')['ScalingPolicies']]
res['ecs'] = aas.describe_scalable_targets(ServiceNamespace='ecs')['ScalableTargets']
print(json.dumps(res))
`,
      ),
    );
    expect(out.namespace[0]).toBe('ValidationException');
    expect(out.namespace[1]).toMatch(/supports only SageMaker endpoint variants/);
    expect(out.dimension[0]).toBe('ValidationException');
    expect(out.resource).toEqual(['ValidationException', expect.stringContaining('endpoint/<endpoint-name>/variant/<variant-name>')]);
    expect(out.endpoint).toEqual(['ValidationException', expect.stringContaining('Could not find endpoint')]);
    expect(out.variant).toEqual(['ValidationException', expect.stringContaining('"Nope" is not present')]);
    expect(out.minmax[0]).toBe('ValidationException');
    expect(out.model).toEqual(['ValidationException', expect.stringMatching(/^1 validation error detected: Value .* at 'policyName' failed to satisfy constraint/)]);
    expect(out.step).toEqual(['ValidationException', expect.stringContaining('StepScaling is not supported')]);
    expect(out.metric).toEqual(['ValidationException', expect.stringContaining('only supports the following predefined metric types: SageMakerVariantInvocationsPerInstance')]);
    expect(out.unregistered).toEqual(['ObjectNotFoundException', expect.stringContaining('No scalable target registered for service namespace: sagemaker')]);
    expect(out.deregister[0]).toBe('ObjectNotFoundException');
    expect(out.deletePolicy).toEqual(['ObjectNotFoundException', expect.stringContaining('No scaling policy found')]);
    expect(out.token[0]).toBe('InvalidNextTokenException');
    // Nothing half-created: still the one target and its one policy.
    expect(out.targets).toEqual([resourceId]);
    expect(out.policies).toEqual(['backlog']);
    expect(out.ecs).toEqual([]);
  });

  it('tags a scalable target (TagResource, UntagResource, ListTagsForResource, Tags on registration)', async () => {
    const out = JSON.parse(
      await python(
        server.url,
        `${PRELUDE}
D = 'sagemaker:variant:DesiredInstanceCount'
arn = aas.register_scalable_target(ServiceNamespace='sagemaker', ResourceId='${resourceId}', ScalableDimension=D, Tags={'team': 'ml'})['ScalableTargetARN']
first = aas.list_tags_for_resource(ResourceARN=arn)['Tags']
aas.tag_resource(ResourceARN=arn, Tags={'env': 'dev', 'team': 'search'})
second = aas.list_tags_for_resource(ResourceARN=arn)['Tags']
aas.untag_resource(ResourceARN=arn, TagKeys=['env'])
third = aas.list_tags_for_resource(ResourceARN=arn)['Tags']
def err(f, **kw):
    try:
        f(**kw); return None
    except aas.exceptions.ClientError as e:
        return e.response['Error']['Code']
too_many = err(aas.tag_resource, ResourceARN=arn, Tags={f'k{i}': 'v' for i in range(50)})
unknown = err(aas.list_tags_for_resource, ResourceARN=arn + 'x')
reserved = err(aas.tag_resource, ResourceARN=arn, Tags={'aws:owner': 'me'})
after = aas.list_tags_for_resource(ResourceARN=arn)['Tags']
print(json.dumps({'arn': arn, 'first': first, 'second': second, 'third': third, 'too_many': too_many, 'unknown': unknown, 'reserved': reserved, 'after': after}))
`,
      ),
    );
    expect(out.first).toEqual({ team: 'ml' });
    expect(out.second).toEqual({ team: 'search', env: 'dev' });
    expect(out.third).toEqual({ team: 'search' });
    expect(out.too_many).toBe('TooManyTagsException');
    expect(out.unknown).toBe('ResourceNotFoundException');
    expect(out.reserved).toBe('ValidationException');
    // Refused calls changed nothing.
    expect(out.after).toEqual({ team: 'search' });
    targetArn = out.arn;
  });

  it('deregisters the target when the endpoint is deleted', async () => {
    await deleteAllEndpoints(c.sm, server.home);
    const deadline = Date.now() + 30_000;
    let left: unknown[] = [];
    while (Date.now() < deadline) {
      left = JSON.parse(await python(server.url, `${PRELUDE}
print(json.dumps(aas.describe_scalable_targets(ServiceNamespace='sagemaker')['ScalableTargets'], default=str))`));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(left).toEqual([]);
    // Its tags went with it.
    const code = await python(server.url, `${PRELUDE}
try:
    aas.list_tags_for_resource(ResourceARN='${targetArn}'); print('listed')
except aas.exceptions.ResourceNotFoundException:
    print('gone')`);
    expect(code.trim()).toBe('gone');
  });
});

describe('Application Auto Scaling with authentication on', () => {
  it('accepts requests signed for application-autoscaling and refuses a credential scoped to another service', async () => {
    const authed = await startTestServer({ credentials: { AKIDAUTOSCALING: 'secret-autoscaling' } });
    try {
      const out = JSON.parse(
        await python(
          authed.url,
          `
import boto3, json, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
ok = boto3.client('application-autoscaling').describe_scalable_targets(ServiceNamespace='sagemaker')['ScalableTargets']
req = AWSRequest(method='POST', url='${authed.url}/', data=b'{"ServiceNamespace":"sagemaker"}',
    headers={'X-Amz-Target': 'AnyScaleFrontendService.DescribeScalableTargets', 'Content-Type': 'application/x-amz-json-1.1'})
SigV4Auth(Credentials('AKIDAUTOSCALING', 'secret-autoscaling'), 'sagemaker', 'us-east-1').add_auth(req)
try:
    urllib.request.urlopen(urllib.request.Request(req.url, data=req.body, headers=dict(req.headers), method='POST'))
    wrong = None
except urllib.error.HTTPError as e:
    wrong = [e.code, json.loads(e.read())]
print(json.dumps({'ok': ok, 'wrong': wrong}))
`,
          { AWS_ACCESS_KEY_ID: 'AKIDAUTOSCALING', AWS_SECRET_ACCESS_KEY: 'secret-autoscaling' },
        ),
      );
      expect(out.ok).toEqual([]);
      expect(out.wrong[0]).toBe(403);
      expect(JSON.stringify(out.wrong[1])).toMatch(/application-autoscaling/);
    } finally {
      await authed.cleanup();
    }
  });
});
