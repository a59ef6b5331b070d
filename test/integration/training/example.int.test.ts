/**
 * The decision-trees example trains to Completed through boto3, exactly as the README's
 * quickstart does on SageMaker (issue 3, acceptance 1), with an ECR-style image name that
 * resolves to the local tag.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, startTestServer, type TestServer } from '../../helpers/server.js';
import { buildTestImage } from '../../fixtures/images/build.js';
import { clients, getBytes, uniq, untar } from './helpers.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
let srv: TestServer;

beforeAll(async () => {
  await buildTestImage(join(ROOT, 'examples/decision-trees'), 'decision-trees:latest');
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.cleanup();
});

describe('examples/decision-trees', () => {
  it('trains to Completed with boto3 and stores the pickled model in model.tar.gz', async () => {
    const bucket = uniq('dt');
    const name = uniq('decision-trees');
    const script = `
import json, os, boto3, botocore
s3 = boto3.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
sm = boto3.client('sagemaker', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
s3.create_bucket(Bucket='${bucket}')
s3.upload_file('${join(ROOT, 'examples/decision-trees/data/iris.csv')}', '${bucket}', 'data/training/iris.csv')
sm.create_training_job(
    TrainingJobName='${name}',
    RoleArn='arn:aws:iam::123456789012:role/SageMakerRole',
    AlgorithmSpecification={'TrainingImage': '123456789012.dkr.ecr.us-east-1.amazonaws.com/decision-trees:latest',
                            'TrainingInputMode': 'File',
                            'MetricDefinitions': [{'Name': 'train:accuracy', 'Regex': 'train:accuracy=([0-9.]+);'}]},
    HyperParameters={'max_leaf_nodes': '5'},
    InputDataConfig=[{'ChannelName': 'training', 'ContentType': 'text/csv',
                      'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://${bucket}/data/training',
                                                      'S3DataDistributionType': 'FullyReplicated'}}}],
    OutputDataConfig={'S3OutputPath': 's3://${bucket}/output'},
    ResourceConfig={'InstanceType': 'ml.c4.2xlarge', 'InstanceCount': 1, 'VolumeSizeInGB': 10},
    StoppingCondition={'MaxRuntimeInSeconds': 3600})
try:
    sm.get_waiter('training_job_completed_or_stopped').wait(TrainingJobName='${name}', WaiterConfig={'Delay': 1, 'MaxAttempts': 300})
except botocore.exceptions.WaiterError:
    pass  # a Failed job: its FailureReason is printed below
d = sm.describe_training_job(TrainingJobName='${name}')
print(json.dumps({'status': d['TrainingJobStatus'], 'reason': d.get('FailureReason'), 'model': d.get('ModelArtifacts', {}).get('S3ModelArtifacts'),
                  'hp': d['HyperParameters'], 'metrics': [[m['MetricName'], m['Value']] for m in d.get('FinalMetricDataList', [])]}))
`;
    const { stdout } = await exec('python3', ['-c', script], { env: awsEnv(srv.url), timeout: 170_000 });
    const out = JSON.parse(stdout) as { status: string; reason?: string; model: string; hp: Record<string, string>; metrics: [string, number][] };
    expect(out.status, out.reason).toBe('Completed');
    expect(out.model).toBe(`s3://${bucket}/output/${name}/output/model.tar.gz`);
    expect(out.hp).toEqual({ max_leaf_nodes: '5' });
    expect(out.metrics[0]![0]).toBe('train:accuracy');
    expect(out.metrics[0]![1]).toBeGreaterThan(0.8);
    const { s3 } = clients(srv.url);
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(Object.keys(files)).toEqual(['decision-tree-model.pkl']);
    expect(files['decision-tree-model.pkl']!.length).toBeGreaterThan(100);
  });
});
