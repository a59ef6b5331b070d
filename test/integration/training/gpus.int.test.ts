/**
 * GPU instance types through the JS SDK with a real server and Docker (issue 16, item 5). This
 * machine has no GPU and its engine no GPU driver, which is exactly what the three settings are
 * checked against:
 * - no GPUs offered (the default): GPU types are refused at creation with SageMaker's
 *   ResourceLimitExceeded and nothing is created — never a silent CPU run;
 * - SLIPWAY_GPU_FALLBACK=cpu: they run on CPUs, with a line in the job's log saying so;
 * - SLIPWAY_GPUS set: the container really asks the engine for the device, and this engine's
 *   refusal fails the job and the endpoint at once with what to install.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateEndpointCommand,
  CreateProcessingJobCommand,
  DescribeTrainingJobCommand,
  ListEndpointsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, createConfig, createModel, rnd, variant, waitForStatus } from '../hosting/helpers.js';
import { ROLE, clients, createJob, makeBucket, shellJob, uniq, waitFor } from './helpers.js';
import { BASE_IMAGE } from '../runtime/test-image.js';

const GPU_TYPE = 'ml.g4dn.xlarge';

/** A server started with `env` set for its configuration only. */
async function serverWith(env: Record<string, string>): Promise<TestServer> {
  Object.assign(process.env, env);
  try {
    return await startTestServer();
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

const gpuJob = (name: string, bucket: string) =>
  shellJob(name, BASE_IMAGE, bucket, 'echo "visible=${NVIDIA_VISIBLE_DEVICES:-none}"', { ResourceConfig: { InstanceType: GPU_TYPE, InstanceCount: 1, VolumeSizeInGB: 1 } });

async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as { name: string; message: string } | undefined;
  expect(err, 'the call should have been refused').toBeDefined();
  return err!;
}

async function gpuEndpoint(sm: SageMakerClient): Promise<string> {
  const [model, config, endpoint] = [rnd('m'), rnd('c'), rnd('e')];
  await createModel(sm, model);
  // An endpoint config only names types; SageMaker checks the quota when the endpoint is created.
  await createConfig(sm, config, [variant('AllTraffic', model, 1, 1, { InstanceType: GPU_TYPE })]);
  await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
  return endpoint;
}

beforeAll(async () => {
  await buildModelServer();
});

describe('a host that offers Slipway no GPUs', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('refuses GPU training, processing and endpoints with ResourceLimitExceeded and creates nothing', async () => {
    const { sm, s3 } = clients(srv.url);
    const bucket = await makeBucket(s3);
    const name = uniq('gpu');
    const err = await errorOf(createJob(sm, gpuJob(name, bucket)));
    expect(err.name).toBe('ResourceLimitExceeded');
    expect(err.message).toMatch(/^The account-level service limit 'ml\.g4dn\.xlarge for training job usage' is 0 Instances/);
    expect(err.message).toMatch(/SLIPWAY_GPUS .* SLIPWAY_GPU_FALLBACK=cpu/);
    expect((await errorOf(sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name })))).name).toBe('ValidationException');

    const processing = await errorOf(
      sm.send(
        new CreateProcessingJobCommand({
          ProcessingJobName: uniq('gpup'),
          RoleArn: ROLE,
          AppSpecification: { ImageUri: BASE_IMAGE, ContainerEntrypoint: ['true'] },
          ProcessingResources: { ClusterConfig: { InstanceType: 'ml.p3.8xlarge', InstanceCount: 2, VolumeSizeInGB: 1 } },
        }),
      ),
    );
    expect(processing).toMatchObject({ name: 'ResourceLimitExceeded', message: expect.stringMatching(/'ml\.p3\.8xlarge for processing job usage' .* a request delta of 2 Instances/) });

    const endpoint = await errorOf(gpuEndpoint(sm));
    expect(endpoint).toMatchObject({ name: 'ResourceLimitExceeded', message: expect.stringMatching(/for endpoint usage/) });
    // Nothing half-created: this server has no endpoint at all (DescribeEndpoint of a made-up name could not tell).
    expect((await sm.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
  });

  it('still runs CPU types', async () => {
    const { sm, s3 } = clients(srv.url);
    const bucket = await makeBucket(s3);
    const name = uniq('cpu');
    await createJob(sm, shellJob(name, BASE_IMAGE, bucket, 'true'));
    expect((await waitFor(sm, name)).TrainingJobStatus).toBe('Completed');
  });
});

describe('SLIPWAY_GPU_FALLBACK=cpu', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serverWith({ SLIPWAY_GPU_FALLBACK: 'cpu' });
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('runs a GPU type on CPUs and says so in the job’s log', async () => {
    const { sm, s3, logs } = clients(srv.url);
    const bucket = await makeBucket(s3);
    const name = uniq('fallback');
    await createJob(sm, gpuJob(name, bucket));
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const events = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: `${name}/` }));
    const lines = (events.events ?? []).map((e) => e.message ?? '');
    expect(lines.some((l) => /ml\.g4dn\.xlarge has 1 GPU\(s\); this host offers Slipway none, so it runs on CPUs alone/.test(l)), lines.join('\n')).toBe(true);
    expect(lines).toContain('visible=none');
  });
});

describe('SLIPWAY_GPUS on an engine without a GPU driver', () => {
  let srv: TestServer;
  beforeAll(async () => {
    // A device id of this run only: which devices are held is read from the whole shared engine.
    srv = await serverWith({ SLIPWAY_GPUS: `GPU-${randomBytes(4).toString('hex')}` });
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('asks the engine for the GPU and fails the job at once with what to install', async () => {
    const { sm, s3 } = clients(srv.url);
    const bucket = await makeBucket(s3);
    const name = uniq('nodriver');
    await createJob(sm, gpuJob(name, bucket));
    const d = await waitFor(sm, name, { timeoutMs: 60_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toMatch(/no GPU driver \(install the NVIDIA Container Toolkit/);
  });

  it('fails a GPU endpoint with the same reason', async () => {
    const sm = clients(srv.url).sm;
    const endpoint = await gpuEndpoint(sm);
    const d = await waitForStatus(sm, endpoint, ['Failed', 'InService'], 90_000);
    expect(d.EndpointStatus).toBe('Failed');
    expect(d.FailureReason).toMatch(/NVIDIA Container Toolkit/);
  });
});
