/**
 * Hosting acceptance 1 and 2 with the shipped examples, driven end to end by boto3:
 * - examples/decision-trees: train → create_model from ModelArtifacts → config → endpoint →
 *   invoke text/csv (one prediction per row) → non-CSV is a ModelError carrying 415 → delete.
 * - examples/echo-json: serve-only model configured by Environment, JSON in and out, custom
 *   attributes round-trip.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildTestImage } from '../../fixtures/images/build.js';
import { clients, containersOf, deleteAllEndpoints, python } from './helpers.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');
let server: TestServer;

beforeAll(async () => {
  await buildTestImage(join(EXAMPLES, 'decision-trees'), 'decision-trees:latest');
  await buildTestImage(join(EXAMPLES, 'echo-json'), 'echo-json:latest');
  server = await startTestServer();
});

afterAll(async () => {
  if (!server) return;
  await deleteAllEndpoints(clients(server.url).sm, server.home);
  await server.cleanup();
});

describe('examples', () => {
  it('trains decision-trees, hosts the artifact and predicts one label per CSV row (boto3)', async () => {
    const out = await python(
      server.url,
      `
import boto3, json, uuid
sm = boto3.client('sagemaker'); rt = boto3.client('sagemaker-runtime'); s3 = boto3.client('s3')
n = uuid.uuid4().hex[:8]
bucket = 'dt-' + n
s3.create_bucket(Bucket=bucket)
s3.upload_file('${EXAMPLES}/decision-trees/data/iris.csv', bucket, 'train/iris.csv')
job = 'dt-train-' + n
sm.create_training_job(TrainingJobName=job, RoleArn='arn:aws:iam::000000000000:role/slipway',
    AlgorithmSpecification={'TrainingImage': 'decision-trees', 'TrainingInputMode': 'File'},
    InputDataConfig=[{'ChannelName': 'training', 'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': f's3://{bucket}/train/'}}, 'ContentType': 'text/csv'}],
    OutputDataConfig={'S3OutputPath': f's3://{bucket}/output'},
    ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
    StoppingCondition={'MaxRuntimeInSeconds': 600})
sm.get_waiter('training_job_completed_or_stopped').wait(TrainingJobName=job, WaiterConfig={'Delay': 1, 'MaxAttempts': 300})
artifacts = sm.describe_training_job(TrainingJobName=job)['ModelArtifacts']['S3ModelArtifacts']

sm.create_model(ModelName='dt-' + n, ExecutionRoleArn='arn:aws:iam::000000000000:role/slipway',
                PrimaryContainer={'Image': 'decision-trees', 'ModelDataUrl': artifacts})
sm.create_endpoint_config(EndpointConfigName='dt-' + n, ProductionVariants=[{'VariantName': 'AllTraffic', 'ModelName': 'dt-' + n,
    'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}])
sm.create_endpoint(EndpointName='dt-' + n, EndpointConfigName='dt-' + n)
sm.get_waiter('endpoint_in_service').wait(EndpointName='dt-' + n, WaiterConfig={'Delay': 1, 'MaxAttempts': 180})

payload = open('${EXAMPLES}/decision-trees/payload.csv').read()
r = rt.invoke_endpoint(EndpointName='dt-' + n, ContentType='text/csv', Body=payload)
preds = r['Body'].read().decode().strip().split('\\n')
try:
    rt.invoke_endpoint(EndpointName='dt-' + n, ContentType='application/json', Body='{}')
    err = None
except rt.exceptions.ModelError as e:
    err = {'orig': e.response.get('OriginalStatusCode'), 'msg': e.response['Error']['Message']}
sm.delete_endpoint(EndpointName='dt-' + n)
sm.get_waiter('endpoint_deleted').wait(EndpointName='dt-' + n, WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
print(json.dumps({'rows': len([l for l in payload.splitlines() if l.strip()]), 'preds': preds, 'ct': r['ContentType'], 'err': err, 'endpoint': 'dt-' + n}))
`,
      {},
      170_000,
    );
    const r = JSON.parse(out);
    expect(r.preds).toHaveLength(r.rows);
    for (const p of r.preds) expect(['setosa', 'versicolor', 'virginica']).toContain(p);
    expect(r.ct).toMatch(/^text\/csv/);
    expect(r.err.orig).toBe(415);
    expect(r.err.msg).toMatch(/^Received client error \(415\) from primary with message "This predictor only supports CSV data/);
    expect(await containersOf(server.home, r.endpoint)).toHaveLength(0);
  });

  it('hosts the serve-only echo-json model configured by Environment (boto3)', async () => {
    const out = await python(
      server.url,
      `
import boto3, json, uuid
sm = boto3.client('sagemaker'); rt = boto3.client('sagemaker-runtime')
n = 'echo-' + uuid.uuid4().hex[:8]
sm.create_model(ModelName=n, ExecutionRoleArn='arn:aws:iam::000000000000:role/slipway',
                PrimaryContainer={'Image': 'echo-json', 'Environment': {'SLOPE': '2', 'INTERCEPT': '1', 'MODEL_NAME': n}})
sm.create_endpoint_config(EndpointConfigName=n, ProductionVariants=[{'VariantName': 'AllTraffic', 'ModelName': n,
    'InitialInstanceCount': 1, 'InstanceType': 'ml.t2.medium'}])
sm.create_endpoint(EndpointName=n, EndpointConfigName=n)
sm.get_waiter('endpoint_in_service').wait(EndpointName=n, WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
r = rt.invoke_endpoint(EndpointName=n, ContentType='application/json', Body=json.dumps({'instances': [1, 2, 3]}), CustomAttributes='req-7')
print(json.dumps({'body': json.loads(r['Body'].read()), 'ct': r['ContentType'], 'attrs': r.get('CustomAttributes'), 'name': n}))
`,
    );
    const r = JSON.parse(out);
    expect(r.body).toEqual({ predictions: [3, 5, 7], model: r.name });
    expect(r.ct).toBe('application/json');
    expect(r.attrs).toBe('req-7');
  });
});
