/**
 * Containers whose program cannot start (the image has no `train` / `serve`): the training job
 * fails at once and its FailureReason names the program in the image's terms; the endpoint's
 * FailureReason does the same. Neither ever shows the container engine's internals (runc, shim,
 * OCI, overlay paths) — issue #14. Driven by boto3 against real Docker with the bare base image.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, ensureBaseImage } from '../../fixtures/images/build.js';
import { clients, deleteAllEndpoints } from '../hosting/helpers.js';
import { python, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const INTERNALS = /runc|OCI|shim|overlay|containerd|\(HTTP code|\/var\/lib\/docker/i;

beforeAll(async () => {
  await ensureBaseImage();
  server = await startTestServer();
});

afterAll(async () => {
  if (!server) return;
  await deleteAllEndpoints(clients(server.url).sm, server.home);
  await server.cleanup();
});

describe('a program that cannot start', () => {
  it('fails a training job at once with a reason naming the missing program', async () => {
    const out = await python(
      server.url,
      `
import boto3, json, time
sm = boto3.client('sagemaker'); s3 = boto3.client('s3')
s3.create_bucket(Bucket='start-fail')
t0 = time.time()
sm.create_training_job(TrainingJobName='no-train', RoleArn='arn:aws:iam::000000000000:role/SlipwayExecutionRole',
    AlgorithmSpecification={'TrainingImage': '${BASE_IMAGE}', 'TrainingInputMode': 'File'},
    OutputDataConfig={'S3OutputPath': 's3://start-fail/out'},
    ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
    StoppingCondition={'MaxRuntimeInSeconds': 120})
try:
    sm.get_waiter('training_job_completed_or_stopped').wait(TrainingJobName='no-train', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
except Exception:
    pass  # the waiter raises on Failed
d = sm.describe_training_job(TrainingJobName='no-train')
print(json.dumps({'status': d['TrainingJobStatus'], 'reason': d.get('FailureReason', ''), 'seconds': time.time() - t0}))`,
    );
    expect(out.status).toBe('Failed');
    expect(out.reason).toBe(
      'ClientError: The container could not start: the program "train" is not on the image\'s PATH (check the command, entrypoint or ContainerEntrypoint).',
    );
    expect(out.reason).not.toMatch(INTERNALS);
    // No retries with backoff (about 16 s before): the image is at fault, trying again cannot help.
    expect(out.seconds).toBeLessThan(10);
  });

  it('fails an endpoint whose image has no serve with a reason naming it', async () => {
    const out = await python(
      server.url,
      `
import boto3, json
sm = boto3.client('sagemaker')
sm.create_model(ModelName='no-serve', ExecutionRoleArn='arn:aws:iam::000000000000:role/SlipwayExecutionRole', PrimaryContainer={'Image': '${BASE_IMAGE}'})
sm.create_endpoint_config(EndpointConfigName='no-serve', ProductionVariants=[{'VariantName': 'AllTraffic', 'ModelName': 'no-serve', 'InitialInstanceCount': 1, 'InstanceType': 'ml.t2.medium'}])
sm.create_endpoint(EndpointName='no-serve', EndpointConfigName='no-serve')
try:
    sm.get_waiter('endpoint_in_service').wait(EndpointName='no-serve', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
except Exception:
    pass
d = sm.describe_endpoint(EndpointName='no-serve')
print(json.dumps({'status': d['EndpointStatus'], 'reason': d.get('FailureReason', '')}))`,
    );
    expect(out.status).toBe('Failed');
    expect(out.reason).toMatch(/could not start: the program "serve" is not on the image's PATH/);
    expect(out.reason).not.toMatch(INTERNALS);
  });
});
