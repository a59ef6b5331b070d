/**
 * Admission by host capacity (issue 12, item 7) with a real server, Docker and SDK clients. Jobs
 * and endpoints ask for ml.m5.24xlarge (96 vCPUs, 384 GiB): more than this host admits even with
 * the default overcommit, so each needs the whole host and they must take turns. Before, all of
 * them ran at once. Checked: jobs wait in Starting with a message saying what they wait for and
 * start in creation order as capacity frees; a waiting job still waits after a restart, then runs;
 * an endpoint waits while a job holds the capacity and fails with SageMaker's insufficient-capacity
 * reason while another endpoint does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEndpointCommand, DeleteEndpointCommand, DescribeEndpointCommand, type DescribeTrainingJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer, createConfig, createModel, rnd, variant, waitForStatus } from '../hosting/helpers.js';
import { baseJob, clients, createJob, describe as describeJob, makeBucket, uniq, waitFor } from './helpers.js';

const BIG = 'ml.m5.24xlarge';
let srv: TestServer;
let sleeper: string;
let bucket: string;

beforeAll(async () => {
  [sleeper] = await Promise.all([buildFixtureImage('sleeper'), buildModelServer()]);
  srv = await startTestServer();
  bucket = await makeBucket(clients(srv.url).s3);
});
afterAll(async () => {
  await srv?.cleanup();
});

async function bigJob(seconds: number): Promise<string> {
  const name = uniq('adm');
  await createJob(
    clients(srv.url).sm,
    baseJob(name, sleeper, bucket, {
      HyperParameters: { seconds: String(seconds) },
      ResourceConfig: { InstanceType: BIG, InstanceCount: 1, VolumeSizeInGB: 1 },
    }),
  );
  return name;
}

const lastMessage = (d: DescribeTrainingJobCommandOutput) => d.SecondaryStatusTransitions?.at(-1)?.StatusMessage ?? '';
const isWaiting = (d: DescribeTrainingJobCommandOutput) => d.TrainingJobStatus === 'InProgress' && d.SecondaryStatus === 'Starting' && /^Waiting for capacity on this host/.test(lastMessage(d));
const training = (d: DescribeTrainingJobCommandOutput) => d.SecondaryStatus === 'Training';
const done = (name: string) => waitFor(clients(srv.url).sm, name, { timeoutMs: 150_000 });

describe('training jobs', () => {
  it('wait in Starting with the reason, then run one at a time in creation order as capacity frees', async () => {
    const sm = clients(srv.url).sm;
    // b and c are created once a holds the host: asked earlier, while a still resolved its image,
    // b would first see a waiting ahead of it, and a changed reason is shown at most every 10 s.
    const a = await bigJob(8);
    await waitFor(sm, a, { until: training });
    const b = await bigJob(1);
    const c = await bigJob(1);
    const [db, dc] = await Promise.all([waitFor(sm, b, { until: isWaiting }), waitFor(sm, c, { until: isWaiting })]);
    expect(lastMessage(db)).toMatch(/the job needs 32 vCPUs, .* GiB \(1 x ml\.m5\.24xlarge\); 0 vCPUs, 0\.0 GiB free/);
    expect(lastMessage(dc)).toMatch(/1 earlier job\(s\) or endpoint\(s\) wait first\.$/);
    expect(db.TrainingStartTime).toBeUndefined();

    const [fa, fb, fc] = [await done(a), await done(b), await done(c)];
    for (const d of [fa, fb, fc]) expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    // Never two at once, and in creation order.
    expect(fb.TrainingStartTime!.getTime()).toBeGreaterThanOrEqual(fa.TrainingEndTime!.getTime());
    expect(fc.TrainingStartTime!.getTime()).toBeGreaterThanOrEqual(fb.TrainingEndTime!.getTime());
    // The wait is in the job's history.
    expect(fb.SecondaryStatusTransitions?.[0]).toMatchObject({ Status: 'Starting', StatusMessage: expect.stringMatching(/^Waiting for capacity/) });
  }, 180_000);

  it('still waits after a server restart, then runs once the running job ends', async () => {
    const d = await bigJob(8);
    const e = await bigJob(1);
    await waitFor(clients(srv.url).sm, d, { until: training });
    await waitFor(clients(srv.url).sm, e, { until: isWaiting });
    srv = await srv.restart();
    const sm = clients(srv.url).sm;
    // The running job is adopted and keeps its share: for as long as it runs, the other waits
    // (read the waiting job first: it can only start after the running one is Completed).
    let checks = 0;
    for (;;) {
      const xe = await describeJob(sm, e);
      const xd = await describeJob(sm, d);
      if (xd.TrainingJobStatus !== 'InProgress') break;
      expect(isWaiting(xe), JSON.stringify(xe.SecondaryStatusTransitions)).toBe(true);
      checks++;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(checks).toBeGreaterThan(0);
    const [fd, fe] = [await done(d), await done(e)];
    expect(fd.TrainingJobStatus, fd.FailureReason).toBe('Completed');
    expect(fe.TrainingJobStatus, fe.FailureReason).toBe('Completed');
    expect(fe.TrainingStartTime!.getTime()).toBeGreaterThanOrEqual(fd.TrainingEndTime!.getTime());
  }, 180_000);
});

describe('endpoints', () => {
  async function bigEndpoint(): Promise<string> {
    const sm = clients(srv.url).sm;
    const model = rnd('m');
    const config = rnd('c');
    const endpoint = rnd('e');
    await createModel(sm, model);
    await createConfig(sm, config, [variant('AllTraffic', model, 1, 1, { InstanceType: BIG })]);
    await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
    return endpoint;
  }

  it('waits in Creating while a job holds the capacity, and fails while another endpoint does', async () => {
    const sm = clients(srv.url).sm;
    const job = await bigJob(5);
    await waitFor(sm, job, { until: training });
    const first = await bigEndpoint();
    // Creating, with the reason on the variant.
    const deadline = Date.now() + 30_000;
    let d = await sm.send(new DescribeEndpointCommand({ EndpointName: first }));
    while (!d.ProductionVariants?.[0]?.VariantStatus?.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      d = await sm.send(new DescribeEndpointCommand({ EndpointName: first }));
    }
    expect(d.EndpointStatus).toBe('Creating');
    expect(d.ProductionVariants?.[0]?.VariantStatus?.[0]).toMatchObject({ Status: 'Creating', StatusMessage: expect.stringMatching(/^Waiting for capacity on this host: the endpoint needs 32 vCPUs/) });
    expect((await done(job)).TrainingJobStatus).toBe('Completed');
    const up = await waitForStatus(sm, first, ['InService'], 120_000);
    expect(up.ProductionVariants?.[0]?.VariantStatus).toBeUndefined();

    const second = await bigEndpoint();
    const failed = await waitForStatus(sm, second, ['Failed'], 60_000).catch(() => sm.send(new DescribeEndpointCommand({ EndpointName: second })));
    expect(failed.EndpointStatus).toBe('Failed');
    expect(failed.FailureReason).toMatch(/^Unable to provision requested ML compute capacity: the endpoint needs 32 vCPUs, .*other endpoints hold 96 vCPUs/);
    await sm.send(new DeleteEndpointCommand({ EndpointName: first }));
    await sm.send(new DeleteEndpointCommand({ EndpointName: second }));
  }, 180_000);
});
