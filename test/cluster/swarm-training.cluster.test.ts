/**
 * @module test/cluster/swarm-training.cluster.test — training jobs on a real three-node Swarm
 * (test/helpers/cluster) through Slipway with SLIPWAY_RUNTIME=swarm and the JS SDK: each host's
 * data staged on the node the scheduler chose (docs/cluster.md), two hosts on two nodes reaching
 * each other as algo-1/algo-2, model.tar.gz back in S3, a failure file read into FailureReason,
 * checkpoints restored on the node and synced back while the job runs (Pipe mode: swarm-pipe.cluster.test.ts).
 * Gated by SLIPWAY_CLUSTER_TESTS=1; the helper runs cluster files one after another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import type { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { jobLeftNothing, startSlipwayOnSwarm, type SlipwayOnSwarm } from '../helpers/cluster/slipway-on-swarm.js';
import { LABELS } from '../../src/runtime/container-runtime.js';
import { BASE_IMAGE } from '../integration/runtime/test-image.js';
import { CLUSTER_TESTS_ENABLED, startCluster, type Cluster } from '../helpers/cluster/swarm-cluster.js';
import { baseJob, clients, createJob, getBytes, makeBucket, putText, uniq, untar, waitFor } from '../integration/training/helpers.js';

/** algo-1 listens, algo-2 connects across nodes; each writes what it saw into /opt/ml/model. */
const TRAIN = String.raw`
import json, os, socket, sys, time
rc = json.load(open('/opt/ml/input/config/resourceconfig.json'))
hp = json.load(open('/opt/ml/input/config/hyperparameters.json'))
me = rc['current_host']
data = open('/opt/ml/input/data/train/part/data.csv').read()
if hp.get('ckpt') == 'yes':
    # Resume from the restored checkpoint; write one, live long enough for a sync to carry it, then another.
    resumed = open('/opt/ml/checkpoints/start.txt').read()
    open('/opt/ml/checkpoints/step-1.txt', 'w').write('one')
    time.sleep(20)
    open('/opt/ml/checkpoints/step-2.txt', 'w').write('two')
    json.dump({'resumed': resumed}, open('/opt/ml/model/ckpt.json', 'w'))
    sys.exit(0)
if hp.get('fail') == 'yes':
    open('/opt/ml/output/failure', 'w').write('custom failure: the data of ' + me + ' is bad')
    sys.exit(2)
seen = ''
if len(rc['hosts']) > 1:
    if me == 'algo-1':
        srv = socket.create_server(('0.0.0.0', 7070))
        srv.settimeout(120)
        conn, _ = srv.accept()
        seen = conn.recv(100).decode()
        conn.sendall(b'hello algo-2')
        conn.close()
    else:
        deadline = time.time() + 120
        while True:
            try:
                c = socket.create_connection(('algo-1', 7070), timeout=5)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        c.sendall(b'hello from ' + me.encode())
        seen = c.recv(100).decode()
    time.sleep(3)
print('train_loss=0.25', flush=True)
with open('/opt/ml/model/' + me + '.json', 'w') as f:
    json.dump({'host': me, 'hosts': rc['hosts'], 'data': data, 'seen': seen, 'peer': socket.gethostbyname(rc['hosts'][-1])}, f)
open('/opt/ml/output/data/' + me + '.txt', 'w').write('out ' + me)
`;

describe.skipIf(!CLUSTER_TESTS_ENABLED)('training jobs on a three-node Swarm (SLIPWAY_RUNTIME=swarm)', () => {
  let cluster: Cluster;
  let slipway: SlipwayOnSwarm;
  let swarm: SwarmRuntime;

  beforeAll(async () => {
    cluster = await startCluster({ workers: 2, images: [BASE_IMAGE], slot: 2 });
    // Read when the controller is built: a short checkpoint sync for the checkpoint case.
    process.env.SLIPWAY_CHECKPOINT_SYNC_SECONDS = '2';
    slipway = await startSlipwayOnSwarm(cluster);
    delete process.env.SLIPWAY_CHECKPOINT_SYNC_SECONDS;
    swarm = slipway.swarm;
  }, 900_000);

  afterAll(async () => {
    await slipway?.close();
    cluster?.down();
  }, 180_000);

  const url = () => slipway.url;

  async function setup(): Promise<{ bucket: string; c: ReturnType<typeof clients> }> {
    const c = clients(url());
    const bucket = await makeBucket(c.s3);
    await putText(c.s3, bucket, 'code/train.py', TRAIN);
    await putText(c.s3, bucket, 'train/part/data.csv', '1,2,3\n');
    return { bucket, c };
  }

  function job(name: string, bucket: string, count: number, hyper: Record<string, string> = {}) {
    return baseJob(name, BASE_IMAGE, bucket, {
      AlgorithmSpecification: {
        TrainingImage: BASE_IMAGE,
        TrainingInputMode: 'File',
        ContainerEntrypoint: ['python3', '/opt/ml/input/data/code/train.py'],
        MetricDefinitions: [{ Name: 'train:loss', Regex: 'train_loss=([0-9.]+)' }],
      },
      HyperParameters: hyper,
      // 2 vCPUs: a node of this harness (2 CPUs each) holds one host at a time.
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: count, VolumeSizeInGB: 1 },
      InputDataConfig: [
        { ChannelName: 'code', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/code/`, S3DataDistributionType: 'FullyReplicated' } } },
        { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/train/`, S3DataDistributionType: 'FullyReplicated' } } },
      ],
    });
  }

  it('runs a two-host job with one host per node: algo-1/algo-2 talk across nodes, model.tar.gz comes back', async () => {
    const { bucket, c } = await setup();
    const name = uniq('swarm-2h');
    const started = Date.now();
    await createJob(c.sm, job(name, bucket, 2));
    // While it trains, the two hosts' tasks are on two different nodes.
    const nodes = new Set<string>();
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const running = await swarm.listContainers({ [LABELS.name]: name });
      for (const r of running) if (r.node) nodes.add(r.node);
      const d = await waitFor(c.sm, name, { until: () => true });
      if (d.TrainingJobStatus !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(nodes.size).toBe(2);
    const model = await untar(await getBytes(c.s3, bucket, `output/${name}/output/model.tar.gz`));
    const a1 = JSON.parse(model['algo-1.json']!.toString()) as Record<string, unknown>;
    const a2 = JSON.parse(model['algo-2.json']!.toString()) as Record<string, unknown>;
    expect(a1.seen).toBe('hello from algo-2');
    expect(a2.seen).toBe('hello algo-2');
    expect(a1.hosts).toEqual(['algo-1', 'algo-2']);
    expect(a1.data).toBe('1,2,3\n');
    const output = await untar(await getBytes(c.s3, bucket, `output/${name}/output/output.tar.gz`));
    expect(Object.keys(output).sort()).toEqual(['algo-1.txt', 'algo-2.txt']);
    expect(d.FinalMetricDataList?.find((m) => m.MetricName === 'train:loss')?.Value).toBeCloseTo(0.25);
    console.log(`two-host swarm job: ${Date.now() - started} ms from create to Completed`);
    // Nothing of the job is left on the cluster (clean-up follows the final status): services,
    // stagers, uploaders, volumes.
    await jobLeftNothing(cluster, swarm, name);
  }, 600_000);

  it('reads the failure file from the node into FailureReason', async () => {
    const { bucket, c } = await setup();
    const name = uniq('swarm-fail');
    await createJob(c.sm, job(name, bucket, 1, { fail: 'yes' }));
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toContain('custom failure: the data of algo-1 is bad');
  }, 300_000);

  it('restores checkpoints on the node, syncs new ones to S3 while the job runs, and the last ones after it', async () => {
    const { bucket, c } = await setup();
    const name = uniq('swarm-ckpt');
    await putText(c.s3, bucket, `ckpt/${name}/start.txt`, 'epoch=3');
    const input = job(name, bucket, 1, { ckpt: 'yes' });
    input.CheckpointConfig = { S3Uri: `s3://${bucket}/ckpt/${name}/` };
    await createJob(c.sm, input);
    // step-1 reaches S3 while the job still runs (SLIPWAY_CHECKPOINT_SYNC_SECONDS=2 here).
    const during = await until(
      'step-1.txt in S3',
      async () => {
        const d = await waitFor(c.sm, name, { until: () => true });
        const got = await getBytes(c.s3, bucket, `ckpt/${name}/step-1.txt`).catch(() => undefined);
        if (got) return { status: d.TrainingJobStatus, body: got.toString() };
        expect(d.TrainingJobStatus).toBe('InProgress');
        return undefined;
      },
      { timeoutMs: 240_000, everyMs: 500 },
    );
    expect(during).toEqual({ status: 'InProgress', body: 'one' });
    const d = await waitFor(c.sm, name, { timeoutMs: 240_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect((await getBytes(c.s3, bucket, `ckpt/${name}/step-2.txt`)).toString()).toBe('two');
    const model = await untar(await getBytes(c.s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(JSON.parse(model['ckpt.json']!.toString())).toEqual({ resumed: 'epoch=3' });
  }, 400_000);
});
