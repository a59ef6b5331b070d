/**
 * @module test/cluster/swarm-outputs.cluster.test — what a job writes while it runs reaches S3
 * while it runs, on a real three-node Swarm (test/helpers/cluster) through Slipway with
 * SLIPWAY_RUNTIME=swarm and the JS SDK (issue 15, docs/cluster.md "Training checkpoints"):
 * TensorBoard event files and checkpoints under LocalPaths outside /opt/ml (a node-local volume of
 * their own), pulled from the node by uploader tasks and synced while the job is InProgress, the
 * last ones after; TensorBoard at its default path kept out of output.tar.gz; a processing job's
 * Continuous output in S3 before the job completes (its EndOfJob output only after); hostile
 * LocalPaths refused with a ValidationException. Prints how long after a file is written it is in S3.
 * Gated by SLIPWAY_CLUSTER_TESTS=1; the helper runs cluster files one after another.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateProcessingJobCommand, DescribeProcessingJobCommand, DescribeTrainingJobCommand, type DescribeProcessingJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE } from '../integration/runtime/test-image.js';
import { CLUSTER_TESTS_ENABLED, startCluster, type Cluster } from '../helpers/cluster/swarm-cluster.js';
import { jobLeftNothing, startSlipwayOnSwarm, type SlipwayOnSwarm } from '../helpers/cluster/slipway-on-swarm.js';
import { until } from '../helpers/poll.js';
import { baseJob, clients, createJob, getBytes, makeBucket, putText, ROLE, uniq, untar, waitFor } from '../integration/training/helpers.js';

const run = promisify(execFile);
const CKPT = '/ckpt/run';
const TB = '/logs/tb';

/**
 * Resumes from the restored checkpoint, writes a checkpoint and a TensorBoard event file (each
 * with its write time), lives long enough for pulls to carry them, then writes the last ones.
 */
const TRAIN = String.raw`
import json, os, sys, time
hp = json.load(open('/opt/ml/input/config/hyperparameters.json'))
stamp = lambda: json.dumps({'written': time.time()})
if hp.get('mode') == 'default-tb':
    open('/opt/ml/output/tensorboard/events.out.tfevents.0.algo-1', 'w').write(stamp())
    open('/opt/ml/output/data/result.txt', 'w').write('result')
    open('/opt/ml/model/m.txt', 'w').write('m')
    time.sleep(3)
    sys.exit(0)
cfg = json.load(open('/opt/ml/input/config/checkpointconfig.json'))
resumed = open('${CKPT}/start.txt').read()
open('${CKPT}/step-1.txt', 'w').write(stamp())
open('${TB}/events.out.tfevents.1.algo-1', 'w').write(stamp())
time.sleep(25)
open('${CKPT}/step-2.txt', 'w').write('two')
open('${TB}/events.out.tfevents.2.algo-1', 'w').write('last')
json.dump({'resumed': resumed, 'cfg': cfg, 'ckpt_mode': oct(os.stat('${CKPT}').st_mode & 0o777)}, open('/opt/ml/model/m.json', 'w'))
`;

/** Three parts of a Continuous output, 6 s apart, each with its write time; an EndOfJob file; then a while more. */
const PROCESS = String.raw`
import json, os, time
for i in range(3):
    open('/opt/ml/processing/stream/part-%d.json' % i, 'w').write(json.dumps({'i': i, 'written': time.time()}))
    time.sleep(6)
open('/opt/ml/processing/final/summary.txt', 'w').write('at the end')
time.sleep(12)
`;

describe.skipIf(!CLUSTER_TESTS_ENABLED)('outputs while a job runs on a three-node Swarm (SLIPWAY_RUNTIME=swarm)', () => {
  let cluster: Cluster;
  let slipway: SlipwayOnSwarm;

  beforeAll(async () => {
    cluster = await startCluster({ workers: 2, images: [BASE_IMAGE], slot: 2 });
    // Read when the controllers are built: short pull intervals for these cases.
    process.env.SLIPWAY_CHECKPOINT_SYNC_SECONDS = '2';
    process.env.SLIPWAY_CONTINUOUS_PULL_SECONDS = '2';
    try {
      slipway = await startSlipwayOnSwarm(cluster);
    } finally {
      delete process.env.SLIPWAY_CHECKPOINT_SYNC_SECONDS;
      delete process.env.SLIPWAY_CONTINUOUS_PULL_SECONDS;
    }
  }, 900_000);

  afterAll(async () => {
    await slipway?.close();
    cluster?.down();
  }, 180_000);

  /** Exited uploader containers on the nodes (each pull's is removed right after it); asynchronous, so vitest's worker link stays alive. */
  async function leftUploaders(): Promise<number> {
    const lists = await Promise.all(
      cluster.nodes.map(async (n) => (await run('docker', ['-H', n.dockerHost, 'ps', '-a', '-q', '--filter', 'status=exited', '--filter', 'name=collect'], { timeout: 30_000 })).stdout),
    );
    return lists.join('\n').split('\n').filter(Boolean).length;
  }

  async function setup() {
    const c = clients(slipway.url);
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/train.py', TRAIN);
    return { c, bucket };
  }

  function trainingJob(name: string, bucket: string, hyper: Record<string, string> = {}) {
    return baseJob(name, BASE_IMAGE, bucket, {
      AlgorithmSpecification: { TrainingImage: BASE_IMAGE, TrainingInputMode: 'File', ContainerEntrypoint: ['python3', '/opt/ml/input/data/code/train.py'] },
      HyperParameters: hyper,
      InputDataConfig: [{ ChannelName: 'code', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/code/`, S3DataDistributionType: 'FullyReplicated' } } }],
    });
  }

  it('syncs checkpoints and TensorBoard files under LocalPaths outside /opt/ml to S3 while the job runs, and the last ones after', async () => {
    const { c, bucket } = await setup();
    const name = uniq('swo-ckpt');
    await putText(c.s3, bucket, `ckpt/${name}/start.txt`, 'epoch=3');
    const input = trainingJob(name, bucket);
    input.CheckpointConfig = { S3Uri: `s3://${bucket}/ckpt/${name}/`, LocalPath: `${CKPT}/` };
    input.TensorBoardOutputConfig = { S3OutputPath: `s3://${bucket}/tb/${name}/`, LocalPath: TB };
    await createJob(c.sm, input);
    // Both first files reach S3 while the job is still InProgress; how long after their writing.
    const seen = await until(
      'step-1.txt and the first event file in S3',
      async () => {
        const d = await waitFor(c.sm, name, { until: () => true });
        const ck = await getBytes(c.s3, bucket, `ckpt/${name}/step-1.txt`).catch(() => undefined);
        const tb = await getBytes(c.s3, bucket, `tb/${name}/events.out.tfevents.1.algo-1`).catch(() => undefined);
        const now = Date.now() / 1000;
        if (ck && tb) return { status: d.TrainingJobStatus, ckLag: now - (JSON.parse(ck.toString()) as { written: number }).written, tbLag: now - (JSON.parse(tb.toString()) as { written: number }).written };
        expect(d.TrainingJobStatus, d.FailureReason).toBe('InProgress');
        return undefined;
      },
      { timeoutMs: 240_000, everyMs: 250 },
    );
    expect(seen.status).toBe('InProgress');
    console.log(`checkpoint in S3 ${seen.ckLag.toFixed(1)} s and TensorBoard file ${seen.tbLag.toFixed(1)} s after the job wrote them (sync every 2 s)`);
    // The last ones are not there yet: they are written later, and uploaded at the latest after exit.
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect((await getBytes(c.s3, bucket, `ckpt/${name}/step-2.txt`)).toString()).toBe('two');
    expect((await getBytes(c.s3, bucket, `tb/${name}/events.out.tfevents.2.algo-1`)).toString()).toBe('last');
    const model = await untar(await getBytes(c.s3, bucket, `output/${name}/output/model.tar.gz`));
    // Restored into the LocalPath on the node; checkpointconfig.json names it; writable for any user.
    expect(JSON.parse(model['m.json']!.toString())).toEqual({ resumed: 'epoch=3', cfg: { LocalPath: `${CKPT}/`, S3Uri: `s3://${bucket}/ckpt/${name}/` }, ckpt_mode: '0o777' });
    await jobLeftNothing(cluster, slipway.swarm, name);
  }, 400_000);

  it('keeps TensorBoard data at its default path out of output.tar.gz and uploads it', async () => {
    const { c, bucket } = await setup();
    const name = uniq('swo-tbdef');
    const input = trainingJob(name, bucket, { mode: 'default-tb' });
    input.TensorBoardOutputConfig = { S3OutputPath: `s3://${bucket}/tb/${name}` };
    await createJob(c.sm, input);
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect((await getBytes(c.s3, bucket, `tb/${name}/events.out.tfevents.0.algo-1`)).length).toBeGreaterThan(0);
    const output = await untar(await getBytes(c.s3, bucket, `output/${name}/output/output.tar.gz`));
    expect(Object.keys(output)).toEqual(['result.txt']);
    await jobLeftNothing(cluster, slipway.swarm, name);
  }, 300_000);

  it('refuses a LocalPath that leaves its folder with a ValidationException, creating nothing', async () => {
    const { c, bucket } = await setup();
    const name = uniq('swo-bad');
    const input = trainingJob(name, bucket);
    input.CheckpointConfig = { S3Uri: `s3://${bucket}/ckpt/`, LocalPath: '/opt/ml/../../etc' };
    await expect(createJob(c.sm, input)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/CheckpointConfig.LocalPath must be a plain path/) as unknown });
    // SageMaker answers a Describe of an unknown job with ValidationException "Requested resource not found".
    await expect(c.sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }))).rejects.toMatchObject({ message: expect.stringMatching(/not found/) as unknown });
  }, 60_000);

  it('uploads a Continuous processing output from the node while the job runs, EndOfJob outputs after', async () => {
    const c = clients(slipway.url);
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/process.py', PROCESS);
    const name = uniq('swo-cont');
    await c.sm.send(
      new CreateProcessingJobCommand({
        ProcessingJobName: name,
        RoleArn: ROLE,
        AppSpecification: { ImageUri: BASE_IMAGE, ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/process.py'] },
        ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        ProcessingInputs: [{ InputName: 'code', S3Input: { S3Uri: `s3://${bucket}/code/`, LocalPath: '/opt/ml/processing/input/code', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
        ProcessingOutputConfig: {
          Outputs: [
            { OutputName: 'stream', S3Output: { S3Uri: `s3://${bucket}/out/${name}/stream`, LocalPath: '/opt/ml/processing/stream', S3UploadMode: 'Continuous' } },
            { OutputName: 'final', S3Output: { S3Uri: `s3://${bucket}/out/${name}/final`, LocalPath: '/opt/ml/processing/final', S3UploadMode: 'EndOfJob' } },
          ],
        },
      }),
    );
    const describe = () => c.sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
    // Each part reaches S3 while the job is InProgress; the EndOfJob file does not.
    const lags: number[] = [];
    let maxLeft = 0;
    for (const i of [0, 1, 2]) {
      const lag = await until(
        `part-${i}.json in S3`,
        async () => {
          const d = await describe();
          const got = await getBytes(c.s3, bucket, `out/${name}/stream/part-${i}.json`).catch(() => undefined);
          maxLeft = Math.max(maxLeft, await leftUploaders());
          if (got) {
            expect(d.ProcessingJobStatus, d.FailureReason).toBe('InProgress');
            return Date.now() / 1000 - (JSON.parse(got.toString()) as { written: number }).written;
          }
          expect(d.ProcessingJobStatus, d.FailureReason).toBe('InProgress');
          return undefined;
        },
        { timeoutMs: 240_000, everyMs: 400 },
      );
      lags.push(lag);
    }
    await expect(getBytes(c.s3, bucket, `out/${name}/final/summary.txt`)).rejects.toThrow();
    console.log(`Continuous output parts in S3 ${lags.map((l) => l.toFixed(1)).join(', ')} s after the job wrote them (pull every 2 s)`);
    // Each pull's uploader container is removed from its node right after it.
    expect(maxLeft).toBeLessThanOrEqual(1);
    const d = await until(
      `${name} ended`,
      async (): Promise<DescribeProcessingJobCommandOutput | false> => {
        const r = await describe();
        return ['Completed', 'Failed', 'Stopped'].includes(r.ProcessingJobStatus ?? '') && r;
      },
      { timeoutMs: 240_000, everyMs: 300 },
    );
    expect(d.ProcessingJobStatus, d.FailureReason).toBe('Completed');
    expect((await getBytes(c.s3, bucket, `out/${name}/final/summary.txt`)).toString()).toBe('at the end');
    expect(JSON.parse((await getBytes(c.s3, bucket, `out/${name}/stream/part-2.json`)).toString())).toMatchObject({ i: 2 });
    await jobLeftNothing(cluster, slipway.swarm, name);
  }, 400_000);
});
