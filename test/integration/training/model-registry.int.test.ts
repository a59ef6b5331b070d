/**
 * The model registry with boto3 (issue 17, item 2): a model package registered from a finished
 * training job, approved, turned into a model, deployed and invoked; versions per group, List
 * filters, and the errors SageMaker answers (deploying an unapproved version, deleting a group
 * that still has versions, a missing package).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { pythonLastJson } from '../../helpers/python.js';
import { clients } from '../../helpers/clients.js';
import { deleteAllEndpoints } from '../hosting/helpers.js';
import { uniq } from './helpers.js';

const PRELUDE = `
import json, os, time, boto3, botocore
sm = boto3.client('sagemaker', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
rt = boto3.client('sagemaker-runtime', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
s3 = boto3.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
def error_of(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
    return None
`;

describe('model registry (boto3)', () => {
  let srv: TestServer;
  let noop: string;
  beforeAll(async () => {
    noop = await buildFixtureImage('noop');
    srv = await startTestServer();
  });
  afterAll(async () => {
    if (srv) await deleteAllEndpoints(clients(srv.url).sm, srv.home).catch(() => undefined);
    await srv?.cleanup();
  });

  it('registers a package from a training job, approves it, deploys a model from it and invokes it', async () => {
    const job = uniq('reg-train');
    const group = uniq('reg-group');
    const bucket = uniq('reg-bkt');
    const out = await pythonLastJson(
      srv.url,
      `${PRELUDE}
s3.create_bucket(Bucket='${bucket}')
sm.create_training_job(TrainingJobName='${job}', RoleArn='arn:aws:iam::123456789012:role/r',
    AlgorithmSpecification={'TrainingImage': '${noop}', 'TrainingInputMode': 'File'},
    OutputDataConfig={'S3OutputPath': 's3://${bucket}/out'},
    ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
    StoppingCondition={'MaxRuntimeInSeconds': 300})
sm.get_waiter('training_job_completed_or_stopped').wait(TrainingJobName='${job}', WaiterConfig={'Delay': 1, 'MaxAttempts': 180})
tj = sm.describe_training_job(TrainingJobName='${job}')
g = sm.create_model_package_group(ModelPackageGroupName='${group}', ModelPackageGroupDescription='noop models')
dup = error_of(sm.create_model_package_group, ModelPackageGroupName='${group}')
spec = {'Containers': [{'Image': tj['AlgorithmSpecification']['TrainingImage'], 'ModelDataUrl': tj['ModelArtifacts']['S3ModelArtifacts'],
                        'Environment': {'FROM_PACKAGE': '1'}}],
        'SupportedContentTypes': ['text/csv'], 'SupportedResponseMIMETypes': ['text/csv']}
metrics = {'ModelQuality': {'Statistics': {'ContentType': 'application/json', 'S3Uri': 's3://${bucket}/metrics.json'}}}
p1 = sm.create_model_package(ModelPackageGroupName='${group}', ModelPackageDescription='first', InferenceSpecification=spec, ModelMetrics=metrics)
p2 = sm.create_model_package(ModelPackageGroupName=g['ModelPackageGroupArn'], InferenceSpecification=spec, ModelApprovalStatus='Rejected')
d1 = sm.describe_model_package(ModelPackageName=p1['ModelPackageArn'])
unapproved = error_of(sm.create_model, ModelName='${job}-m0', ExecutionRoleArn='arn:aws:iam::123456789012:role/r',
                      PrimaryContainer={'ModelPackageName': p1['ModelPackageArn']})
sm.update_model_package(ModelPackageArn=p1['ModelPackageArn'], ModelApprovalStatus='Approved', ApprovalDescription='looks good')
approved = sm.describe_model_package(ModelPackageName='${group}/1')
sm.create_model(ModelName='${job}-m', ExecutionRoleArn='arn:aws:iam::123456789012:role/r',
                Containers=[{'ModelPackageName': p1['ModelPackageArn']}])
model = sm.describe_model(ModelName='${job}-m')
sm.create_endpoint_config(EndpointConfigName='${job}-c', ProductionVariants=[{'VariantName': 'v', 'ModelName': '${job}-m',
    'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}])
sm.create_endpoint(EndpointName='${job}-e', EndpointConfigName='${job}-c')
sm.get_waiter('endpoint_in_service').wait(EndpointName='${job}-e', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
inv = rt.invoke_endpoint(EndpointName='${job}-e', ContentType='text/csv', Body=b'5.1,3.5')
listed = {
  'group': [(p['ModelPackageVersion'], p['ModelApprovalStatus']) for p in sm.list_model_packages(ModelPackageGroupName='${group}')['ModelPackageSummaryList']],
  'approved': [p['ModelPackageVersion'] for p in sm.list_model_packages(ModelPackageGroupName='${group}', ModelApprovalStatus='Approved')['ModelPackageSummaryList']],
  'desc': [p['ModelPackageVersion'] for p in sm.list_model_packages(ModelPackageGroupName='${group}', SortOrder='Descending')['ModelPackageSummaryList']],
  'unversioned_default': len(sm.list_model_packages(NameContains='${group}')['ModelPackageSummaryList']),
  'groups': [x['ModelPackageGroupName'] for x in sm.list_model_package_groups(NameContains='${group}')['ModelPackageGroupSummaryList']],
}
group_in_use = error_of(sm.delete_model_package_group, ModelPackageGroupName='${group}')
sm.delete_model_package(ModelPackageName=p2['ModelPackageArn'])
p3 = sm.create_model_package(ModelPackageGroupName='${group}', InferenceSpecification=spec)
for p in (p1, p3):
    sm.delete_model_package(ModelPackageName=p['ModelPackageArn'])
missing = error_of(sm.describe_model_package, ModelPackageName=p1['ModelPackageArn'])
sm.delete_model_package_group(ModelPackageGroupName='${group}')
group_gone = error_of(sm.describe_model_package_group, ModelPackageGroupName='${group}')
print(json.dumps({'group_arn': g['ModelPackageGroupArn'], 'dup': dup, 'p1': p1['ModelPackageArn'], 'p2': p2['ModelPackageArn'], 'p3': p3['ModelPackageArn'],
  'd1': {k: d1.get(k) for k in ('ModelPackageName', 'ModelPackageGroupName', 'ModelPackageVersion', 'ModelApprovalStatus', 'ModelPackageStatus', 'ModelPackageDescription')},
  'metrics': d1['ModelMetrics'], 'unapproved': unapproved, 'approved': [approved['ModelApprovalStatus'], approved['ApprovalDescription']],
  'container': model['Containers'][0], 'model_data': tj['ModelArtifacts']['S3ModelArtifacts'],
  'body': inv['Body'].read().decode(), 'listed': listed, 'group_in_use': group_in_use, 'missing': missing, 'group_gone': group_gone}))
`,
      { timeoutMs: 300_000 },
    );
    const arn = (suffix: string) => `arn:aws:sagemaker:us-east-1:000000000000:${suffix}`;
    expect(out.group_arn).toBe(arn(`model-package-group/${group}`));
    expect(out.dup[0]).toBe('ValidationException');
    expect([out.p1, out.p2, out.p3]).toEqual([arn(`model-package/${group}/1`), arn(`model-package/${group}/2`), arn(`model-package/${group}/3`)]);
    expect(out.d1).toEqual({
      ModelPackageName: group,
      ModelPackageGroupName: group,
      ModelPackageVersion: 1,
      ModelApprovalStatus: 'PendingManualApproval',
      ModelPackageStatus: 'Completed',
      ModelPackageDescription: 'first',
    });
    expect(out.metrics.ModelQuality.Statistics.S3Uri).toBe(`s3://${bucket}/metrics.json`);
    expect(out.unapproved[0]).toBe('ValidationException');
    expect(out.unapproved[1]).toMatch(/PendingManualApproval/);
    expect(out.approved).toEqual(['Approved', 'looks good']);
    expect(out.container).toMatchObject({ ModelPackageName: out.p1, Image: noop, ModelDataUrl: out.model_data, Environment: { FROM_PACKAGE: '1' } });
    expect(out.body).toBe('5.1,3.5'); // the noop server echoes: the endpoint runs the package's image
    expect(out.listed).toEqual({ group: [[1, 'Approved'], [2, 'Rejected']], approved: [1], desc: [2, 1], unversioned_default: 0, groups: [group] });
    expect(out.group_in_use[0]).toBe('ConflictException');
    expect(out.missing).toEqual(['ValidationException', `ModelPackage ${out.p1} does not exist.`]);
    expect(out.group_gone[0]).toBe('ValidationException');
  });
});
