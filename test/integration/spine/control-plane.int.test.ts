import { describe, expect, it } from 'vitest';
import { ListTrainingJobsCommand, SageMakerClient, CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { awsEnv, python, sdkClientConfig, useTestServer } from '../../helpers/server.js';

const server = useTestServer();
const boto3 = (script: string) => python(server().url, script);

const BOTO_PRELUDE = `
import json, boto3, botocore
sm = boto3.client('sagemaker', endpoint_url=__import__('os').environ['AWS_ENDPOINT_URL'])
def err(fn):
    try:
        fn(); return None
    except botocore.exceptions.ClientError as e:
        return {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'], 'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'rid': e.response['ResponseMetadata'].get('RequestId')}
`;

describe('SageMaker control plane over JSON 1.1', () => {
  it('answers health with version, uptime and Docker reachability', async () => {
    const r = await fetch(`${server().url}/_slipway/health`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { version: string; uptimeSeconds: number; docker: { reachable: boolean } };
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.uptimeSeconds).toBe('number');
    expect(body.docker.reachable).toBe(true);
    expect(r.headers.get('x-amzn-requestid')).toBeTruthy();
  });

  it('lists no training jobs on a fresh server (boto3)', async () => {
    const out = await boto3(`${BOTO_PRELUDE}
r = sm.list_training_jobs()
print(json.dumps({'summaries': r['TrainingJobSummaries'], 'keys': sorted(k for k in r if k != 'ResponseMetadata'), 'rid': r['ResponseMetadata']['RequestId']}))`);
    expect(out).toMatchObject({ summaries: [], keys: ['TrainingJobSummaries'] });
    expect((out as { rid: string }).rid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects an invalid job name with a ValidationException naming member and constraint (boto3)', async () => {
    const out = (await boto3(`${BOTO_PRELUDE}
print(json.dumps(err(lambda: sm.create_training_job(
    TrainingJobName='bad_name!', RoleArn='arn:aws:iam::123456789012:role/r',
    AlgorithmSpecification={'TrainingImage': 'x:latest', 'TrainingInputMode': 'File'},
    OutputDataConfig={'S3OutputPath': 's3://b/out'},
    ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
    StoppingCondition={'MaxRuntimeInSeconds': 60}))))`)) as { code: string; message: string; status: number };
    expect(out.code).toBe('ValidationException');
    expect(out.status).toBe(400);
    expect(out.message).toMatch(/^1 validation error detected: Value 'bad_name!' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: /);
  });

  it('answers UnknownOperationException for an operation it does not serve', async () => {
    const r = await fetch(server().url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'SageMaker.DescribeNoSuchThing', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(((await r.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  it('answers SerializationException for malformed JSON', async () => {
    const r = await fetch(server().url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'SageMaker.ListTrainingJobs', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{"MaxResults": ',
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('SerializationException');
  });

  it('gives the JS SDK typed exceptions and empty lists', async () => {
    const sm = new SageMakerClient(sdkClientConfig(server().url));
    const list = await sm.send(new ListTrainingJobsCommand({}));
    expect(list.TrainingJobSummaries).toEqual([]);
    const err = await sm
      .send(
        new CreateTrainingJobCommand({
          TrainingJobName: 'x',
          RoleArn: 'arn:aws:iam::123456789012:role/r',
          OutputDataConfig: { S3OutputPath: 's3://b/out' },
          AlgorithmSpecification: { TrainingImage: 'x', TrainingInputMode: 'Bogus' as never },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
          StoppingCondition: { MaxRuntimeInSeconds: 60 },
        }),
      )
      .catch((e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode: number } });
    expect(err).toMatchObject({ name: 'ValidationException' });
    expect((err as { message: string }).message).toMatch(/algorithmSpecification\.trainingInputMode.*enum value set/);
    sm.destroy();
  });

  it('answers ValidationException, not an internal error, for a NextToken it did not issue', async () => {
    for (const op of ['ListTrainingJobs', 'ListModels', 'ListEndpointConfigs', 'ListEndpoints', 'ListProcessingJobs', 'ListTransformJobs']) {
      const r = await fetch(server().url, {
        method: 'POST',
        headers: { 'X-Amz-Target': `SageMaker.${op}`, 'Content-Type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ NextToken: 'not-a-token' }),
      });
      expect(r.status, op).toBe(400);
      expect(r.headers.get('x-amzn-errortype'), op).toBe('ValidationException');
    }
  });

  it('refuses endpoint-config features it does not run instead of storing them (boto3)', async () => {
    const out = (await boto3(`${BOTO_PRELUDE}
sm.create_model(ModelName='refuse-m', ExecutionRoleArn='arn:aws:iam::000000000000:role/r', PrimaryContainer={'Image': 'x:latest'})
v = [{'VariantName': 'A', 'ModelName': 'refuse-m', 'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}]
print(json.dumps({
  'explainer': err(lambda: sm.create_endpoint_config(EndpointConfigName='refuse-2', ProductionVariants=v, ExplainerConfig={'ClarifyExplainerConfig': {'ShapConfig': {'ShapBaselineConfig': {'MimeType': 'text/csv'}}}})),
  'left': [c['EndpointConfigName'] for c in sm.list_endpoint_configs()['EndpointConfigs']]}))`)) as Record<string, any>;
    // ShadowProductionVariants and ServerlessConfig are served since issue 16 (test/integration/hosting/shadow.int.test.ts, serverless.int.test.ts).
    for (const k of ['explainer']) {
      expect(out[k].code, k).toBe('ValidationException');
      expect(out[k].message, k).toMatch(/not supported by Slipway/);
    }
    expect(out.left).toEqual([]);
  });

  it('answers sts get-caller-identity with the account Slipway acts as, as its default role assumed (boto3, aws CLI)', async () => {
    const out = (await boto3(`${BOTO_PRELUDE}
sts = boto3.client('sts', endpoint_url=__import__('os').environ['AWS_ENDPOINT_URL'])
r = sts.get_caller_identity()
print(json.dumps({k: r[k] for k in ('Account', 'Arn', 'UserId')}))`)) as Record<string, string>;
    expect(out).toEqual({ Account: '000000000000', Arn: 'arn:aws:sts::000000000000:assumed-role/SlipwayExecutionRole/slipway', UserId: expect.stringMatching(/^AROA\w+:slipway$/) });
    const { stdout } = await promisify(execFile)('aws', ['sts', 'get-caller-identity', '--endpoint-url', server().url, '--output', 'json'], { env: awsEnv(server().url) });
    expect(JSON.parse(stdout).Account).toBe('000000000000');
  });
});
