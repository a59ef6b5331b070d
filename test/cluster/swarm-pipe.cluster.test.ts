/**
 * @module test/cluster/swarm-pipe.cluster.test — Pipe input mode on a real three-node Swarm
 * (test/helpers/cluster) through Slipway with SLIPWAY_RUNTIME=swarm and the JS SDK: a feeder task
 * on each host's node copies Slipway's streams into the FIFOs of the staged volume
 * (docs/cluster.md, "Pipe mode on a cluster"). Two hosts on two nodes each read their
 * ShardedByS3Key share and a Gzip channel for two epochs; a bad gzip object fails the job with the
 * one-engine reason; a job stopped while its container holds a FIFO ends Stopped with nothing left.
 * Gated by SLIPWAY_CLUSTER_TESTS=1.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateProcessingJobCommand, DescribeProcessingJobCommand, StopTrainingJobCommand, type CreateTrainingJobCommandInput } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import type { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { jobLeftNothing, startSlipwayOnSwarm, type SlipwayOnSwarm } from '../helpers/cluster/slipway-on-swarm.js';
import { LABELS } from '../../src/runtime/container-runtime.js';
import { BASE_IMAGE } from '../integration/runtime/test-image.js';
import { CLUSTER_TESTS_ENABLED, startCluster, type Cluster } from '../helpers/cluster/swarm-cluster.js';
import { baseJob, clients, createJob, getBytes, makeBucket, putText, ROLE, uniq, untar, waitFor } from '../integration/training/helpers.js';

/** Reads train_0, train_1, gz_0, gz_1 in that order, waiting for each next FIFO as SageMaker's readers do. */
const TRAIN = String.raw`
import hashlib, json, os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
rc = json.load(open('/opt/ml/input/config/resourceconfig.json'))
hp = json.load(open('/opt/ml/input/config/hyperparameters.json'))
me = rc['current_host']
d = '/opt/ml/input/data'
at_start = sorted(os.listdir(d))
def fifo(name):
    p = os.path.join(d, name)
    deadline = time.time() + 60
    while not os.path.exists(p):
        if time.time() > deadline:
            raise SystemExit('no FIFO ' + name)
        time.sleep(0.05)
    return p
if hp.get('hold') == 'yes':
    f = open(fifo('train_0'), 'rb')
    f.read(10)
    print('holding the FIFO', flush=True)
    time.sleep(600)
seen = {}
for ch in ['train', 'gz']:
    for e in range(2):
        t0 = time.time()
        b = open(fifo('%s_%d' % (ch, e)), 'rb').read()
        seen['%s_%d' % (ch, e)] = {'len': len(b), 'sha': hashlib.sha256(b).hexdigest(), 'head': b[:12].decode('latin1'), 'secs': time.time() - t0}
json.dump({'at_start': at_start, 'seen': seen, 'config': json.load(open('/opt/ml/input/config/inputdataconfig.json'))}, open('/opt/ml/model/%s.json' % me, 'w'))
# Long enough for the test to see both hosts' tasks on their nodes.
time.sleep(float(hp.get('linger', '0')))
`;

/** A processing host: its Pipe input's FIFOs `<LocalPath>_<epoch>` for two epochs, what it read into its output folder. */
const PROCESS = String.raw`
import json, os, time
rc = json.load(open('/opt/ml/config/resourceconfig.json'))
me = rc['current_host']
d = '/opt/ml/processing/input'
at_start = sorted(os.listdir(d))
got = []
for e in range(2):
    p = '%s/stream_%d' % (d, e)
    deadline = time.time() + 60
    while not os.path.exists(p):
        if time.time() > deadline:
            raise SystemExit('no FIFO ' + p)
        time.sleep(0.05)
    got.append(open(p).read())
os.makedirs('/opt/ml/processing/output', exist_ok=True)
json.dump({'at_start': at_start, 'got': got}, open('/opt/ml/processing/output/%s.json' % me, 'w'))
`;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!CLUSTER_TESTS_ENABLED)('Pipe mode on a three-node Swarm (SLIPWAY_RUNTIME=swarm)', () => {
  let cluster: Cluster;
  let slipway: SlipwayOnSwarm;
  let swarm: SwarmRuntime;

  beforeAll(async () => {
    cluster = await startCluster({ workers: 2, images: [BASE_IMAGE], slot: 3 });
    slipway = await startSlipwayOnSwarm(cluster);
    swarm = slipway.swarm;
  }, 900_000);

  afterAll(async () => {
    await slipway?.close();
    cluster?.down();
  }, 180_000);

  function job(name: string, bucket: string, count: number, channels: NonNullable<CreateTrainingJobCommandInput['InputDataConfig']>, hyper: Record<string, string> = {}) {
    return baseJob(name, BASE_IMAGE, bucket, {
      AlgorithmSpecification: { TrainingImage: BASE_IMAGE, TrainingInputMode: 'Pipe', ContainerEntrypoint: ['python3', '/opt/ml/input/data/code/train.py'] },
      HyperParameters: hyper,
      // 2 vCPUs: a node of this harness holds one host at a time.
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: count, VolumeSizeInGB: 1 },
      InputDataConfig: [{ ChannelName: 'code', InputMode: 'File', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/code/` } } }, ...channels],
    });
  }

  it('two hosts on two nodes read their ShardedByS3Key share and a Gzip channel for two epochs through the node feeders', async () => {
    const c = clients(slipway.url);
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/train.py', TRAIN);
    // Key-sorted p0..p3: algo-1 gets p0 and p2, algo-2 p1 and p3 (index modulo, as on one engine).
    const parts = [Buffer.from('object p0\n'), Buffer.from('object p1\n'), Buffer.alloc(3 * 1024 * 1024, 'a'), Buffer.from('object p3\n')];
    for (const [i, b] of parts.entries()) await putText(c.s3, bucket, `train/p${i}`, b);
    const plain = Buffer.from('gamma,1\ndelta,2\n'.repeat(1000));
    await putText(c.s3, bucket, 'gz/g.csv.gz', gzipSync(plain));
    const name = uniq('swarm-pipe2h');
    const started = Date.now();
    await createJob(
      c.sm,
      job(name, bucket, 2, [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/train/`, S3DataDistributionType: 'ShardedByS3Key' } } },
        { ChannelName: 'gz', CompressionType: 'Gzip', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/gz/` } } },
      ], { linger: '3' }),
    );
    const nodes = new Set<string>();
    let feeders = 0;
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      for (const r of await swarm.listContainers({ [LABELS.name]: name }, { all: true })) if (r.node) nodes.add(r.node);
      // A feeder per host, on no network (the user's task keeps its own networks only).
      const ids = feeders ? [] : cluster.docker(cluster.manager, ['service', 'ls', '-q', '--filter', 'label=slipway.swarm.helper-of']).split('\n').filter(Boolean);
      for (const id of ids) {
        const spec = JSON.parse(cluster.docker(cluster.manager, ['service', 'inspect', id])) as { Spec: { Name: string; TaskTemplate: { Networks?: unknown[]; ContainerSpec: { Command: string[] } } } }[];
        if (!spec[0]!.Spec.Name.includes(name) || spec[0]!.Spec.TaskTemplate.ContainerSpec.Command[3] !== 'feed') continue;
        expect(spec[0]!.Spec.TaskTemplate.Networks ?? []).toEqual([]);
        feeders = Math.max(feeders, 1);
      }
      const d = await waitFor(c.sm, name, { until: () => true });
      if (d.TrainingJobStatus !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    console.log(`two-host swarm Pipe job: ${Date.now() - started} ms from create to Completed`);
    expect(nodes.size).toBe(2);
    expect(feeders).toBe(1);
    const model = await untar(await getBytes(c.s3, bucket, `output/${name}/output/model.tar.gz`));
    type Seen = { len: number; sha: string; head: string; secs: number };
    const share = { 'algo-1': Buffer.concat([parts[0]!, parts[2]!]), 'algo-2': Buffer.concat([parts[1]!, parts[3]!]) };
    for (const host of ['algo-1', 'algo-2'] as const) {
      const got = JSON.parse(model[`${host}.json`]!.toString()) as { at_start: string[]; seen: Record<string, Seen>; config: Record<string, { TrainingInputMode: string; S3DistributionType: string }> };
      // Only epoch 0 exists when the container starts; each next one follows the last one's EOF.
      expect(got.at_start).toEqual(['code', 'gz_0', 'train_0']);
      for (const e of [0, 1]) {
        expect(got.seen[`train_${e}`]).toMatchObject({ len: share[host].length, sha: sha(share[host]) });
        expect(got.seen[`gz_${e}`]).toMatchObject({ len: plain.length, sha: sha(plain), head: 'gamma,1\ndelt' });
      }
      expect(got.config.train).toMatchObject({ TrainingInputMode: 'Pipe', S3DistributionType: 'ShardedByS3Key' });
      expect(got.config.gz).toMatchObject({ TrainingInputMode: 'Pipe' });
      expect(got.config.code).toMatchObject({ TrainingInputMode: 'File' });
    }
    await jobLeftNothing(cluster, swarm, name, { containers: true });
  }, 600_000);

  it('fails a job whose Pipe Gzip channel holds data that is not gzip, with the one-engine reason', async () => {
    const c = clients(slipway.url);
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/train.py', TRAIN);
    await putText(c.s3, bucket, 'notgz/plain.gz', 'this is not gzip');
    const name = uniq('swarm-pipebad');
    await createJob(
      c.sm,
      job(name, bucket, 1, [
        { ChannelName: 'train', CompressionType: 'Gzip', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/notgz/` } } },
        { ChannelName: 'gz', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/code/` } } },
      ]),
    );
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toBe('ClientError: Channel train object plain.gz is not valid gzip data (incorrect header check).');
    await jobLeftNothing(cluster, swarm, name, { containers: true });
  }, 300_000);

  it('stops a job whose container holds its FIFO: Stopped, feeder and all gone from the nodes', async () => {
    const c = clients(slipway.url);
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/train.py', TRAIN);
    // Far more than a pipe buffer: the feeder sits blocked in a write when the stop comes.
    await putText(c.s3, bucket, 'big/blob', Buffer.alloc(8 * 1024 * 1024, 'b'));
    const name = uniq('swarm-pipestop');
    await createJob(c.sm, job(name, bucket, 1, [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/big/` } } }], { hold: 'yes' }));
    await until(
      'the container holds its FIFO',
      async () => {
        const ev = await c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: `${name}/` })).catch(() => undefined);
        return ev?.events?.some((e) => e.message?.includes('holding the FIFO')) ?? false;
      },
      { timeoutMs: 240_000, everyMs: 500 },
    );
    const t0 = Date.now();
    await c.sm.send(new StopTrainingJobCommand({ TrainingJobName: name }));
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus).toBe('Stopped');
    console.log(`Pipe job held on a FIFO: Stopped ${Date.now() - t0} ms after StopTrainingJob`);
    await jobLeftNothing(cluster, swarm, name, { containers: true });
  }, 400_000);

  it('a two-instance processing job reads its sharded Gzip Pipe input through each node feeder, two epochs', async () => {
    const c = clients(slipway.url);
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/process.py', PROCESS);
    for (let i = 0; i < 4; i++) await putText(c.s3, bucket, `data/part-${i}.csv.gz`, gzipSync(Buffer.from(`row ${i}\n`)));
    const name = uniq('swarm-procpipe');
    await c.sm.send(
      new CreateProcessingJobCommand({
        ProcessingJobName: name,
        RoleArn: ROLE,
        AppSpecification: { ImageUri: BASE_IMAGE, ContainerEntrypoint: ['python3', '/opt/ml/processing/code/process.py'] },
        ProcessingResources: { ClusterConfig: { InstanceCount: 2, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        ProcessingInputs: [
          { InputName: 'code', S3Input: { S3Uri: `s3://${bucket}/code/`, LocalPath: '/opt/ml/processing/code', S3DataType: 'S3Prefix', S3InputMode: 'File' } },
          {
            InputName: 'data',
            S3Input: { S3Uri: `s3://${bucket}/data/`, LocalPath: '/opt/ml/processing/input/stream', S3DataType: 'S3Prefix', S3InputMode: 'Pipe', S3DataDistributionType: 'ShardedByS3Key', S3CompressionType: 'Gzip' },
          },
        ],
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'seen', S3Output: { S3Uri: `s3://${bucket}/out/${name}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
      }),
    );
    const d = await until(
      `${name} ended`,
      async () => {
        const r = await c.sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
        return ['Completed', 'Failed', 'Stopped'].includes(r.ProcessingJobStatus ?? '') && r;
      },
      { timeoutMs: 240_000, everyMs: 300 },
    );
    expect(d.ProcessingJobStatus, d.FailureReason).toBe('Completed');
    const a1 = JSON.parse((await getBytes(c.s3, bucket, `out/${name}/algo-1.json`)).toString()) as { at_start: string[]; got: string[] };
    const a2 = JSON.parse((await getBytes(c.s3, bucket, `out/${name}/algo-2.json`)).toString()) as { at_start: string[]; got: string[] };
    expect(a1.at_start).toEqual(['stream_0']);
    expect(a1.got).toEqual(['row 0\nrow 2\n', 'row 0\nrow 2\n']);
    expect(a2.got).toEqual(['row 1\nrow 3\n', 'row 1\nrow 3\n']);
    await jobLeftNothing(cluster, swarm, name, { containers: true });
  }, 300_000);
});
