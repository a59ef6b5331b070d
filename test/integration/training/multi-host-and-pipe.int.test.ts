/**
 * Two-instance jobs (host names, ShardedByS3Key, merged model) and Pipe input mode (FIFOs per
 * epoch, Gzip) with real Docker (issue 3, acceptance 5 and 7), plus checkpoints.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseJob, clients, createJob, getBytes, makeBucket, putText, shellJob, uniq, untar, waitFor } from './helpers.js';

// Checkpoint and TensorBoard folders sync every second here (default 30 s), so a test sees a periodic sync.
process.env.SLIPWAY_CHECKPOINT_SYNC_SECONDS = '1';

let srv: TestServer;
let sm: SageMakerClient;
let s3: S3Client;
let bucket: string;
let inspector: string;
let entrypoint: string;

beforeAll(async () => {
  [inspector, entrypoint] = await Promise.all([buildFixtureImage('inspector'), buildFixtureImage('entrypoint')]);
  srv = await startTestServer();
  ({ sm, s3 } = clients(srv.url));
  bucket = await makeBucket(s3);
});
afterAll(async () => {
  await srv?.cleanup();
});

describe('multi-host training', () => {
  it('runs two hosts that see each other by name and splits ShardedByS3Key input', async () => {
    const name = uniq('two');
    for (const k of ['s/p0.csv', 's/p1.csv', 's/p2.csv', 's/p3.csv']) await putText(s3, bucket, k, k);
    await putText(s3, bucket, 'full/all.csv', 'all');
    await createJob(
      sm,
      // Each host records into its own folder so the merged model keeps both, and stays up a
      // little so its peer can still resolve it (an exited container leaves the network).
      shellJob(name, inspector, bucket, 'INSPECTOR_OUT=/opt/ml/model/$(cat /etc/hostname) /opt/program/train && sleep 4', {
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 1 },
        HyperParameters: { resolve_timeout: '20' },
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/s/`, S3DataDistributionType: 'ShardedByS3Key' } } },
          { ChannelName: 'full', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/full/` } } },
        ],
      }),
    );
    const d = await waitFor(sm, name, { timeoutMs: 120_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    const json = (f: string) => JSON.parse(files[f]!.toString()) as Record<string, unknown>;
    const shards: string[][] = [];
    for (const host of ['algo-1', 'algo-2']) {
      const rc = json(`${host}/resourceconfig.json`);
      expect(rc).toMatchObject({ current_host: host, hosts: ['algo-1', 'algo-2'] });
      const resolved = json(`${host}/hosts.json`);
      expect(resolved['algo-1'], JSON.stringify({ host, resolved })).toBeTruthy();
      expect(resolved['algo-2'], JSON.stringify({ host, resolved })).toBeTruthy();
      const listing = json(`${host}/data-listing.json`) as unknown as { path: string; type: string }[];
      const files = listing.filter((e) => e.type === 'file').map((e) => e.path);
      expect(files).toContain('full/all.csv');
      shards.push(files.filter((f) => f.startsWith('train/')));
    }
    expect(shards[0]!.length).toBe(2);
    expect(shards[1]!.length).toBe(2);
    expect([...shards[0]!, ...shards[1]!].sort()).toEqual(['train/p0.csv', 'train/p1.csv', 'train/p2.csv', 'train/p3.csv']);
  });
});

describe('Pipe input mode', () => {
  it('feeds two epochs through FIFOs, one per open, decompressing Gzip channels', async () => {
    const name = uniq('pipe');
    await putText(s3, bucket, 'pipe/a.txt', 'alpha\n');
    await putText(s3, bucket, 'pipe/b.txt', 'beta\n');
    await putText(s3, bucket, 'pipegz/c.txt.gz', gzipSync(Buffer.from('gamma\n')));
    // Readers retry until the next FIFO appears (contract §3.2); ContainerEntrypoint items are one line ≤ 256 chars.
    const script =
      'cd /opt/ml/input/data; for f in train_0 train_1 gz_0; do until [ -p $f ]; do sleep 0.1; done; cat $f > /opt/ml/model/$f.txt; done';
    await createJob(
      sm,
      baseJob(name, entrypoint, bucket, {
        AlgorithmSpecification: { TrainingImage: entrypoint, TrainingInputMode: 'Pipe', ContainerEntrypoint: ['sh', '-c', script] },
        StoppingCondition: { MaxRuntimeInSeconds: 60 },
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/pipe/` } } },
          { ChannelName: 'gz', CompressionType: 'Gzip', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/pipegz/` } } },
        ],
      }),
    );
    const d = await waitFor(sm, name, { timeoutMs: 90_000 });
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(files['train_0.txt']!.toString()).toBe('alpha\nbeta\n');
    expect(files['train_1.txt']!.toString()).toBe('alpha\nbeta\n');
    expect(files['gz_0.txt']!.toString()).toBe('gamma\n');
  });
});

describe('checkpoints', () => {
  it('restores checkpoints before the start and uploads them at the end', async () => {
    const name = uniq('ckpt');
    await putText(s3, bucket, `ckpt/${name}/step-1.bin`, 'one');
    await createJob(
      sm,
      shellJob(name, entrypoint, bucket, 'cp /opt/ml/checkpoints/step-1.bin /opt/ml/model/restored.bin && echo two > /opt/ml/checkpoints/step-2.bin', {
        CheckpointConfig: { S3Uri: `s3://${bucket}/ckpt/${name}` },
      }),
    );
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const files = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(files['restored.bin']!.toString()).toBe('one');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `ckpt/${name}/` }));
    expect(listed.Contents!.map((o) => o.Key).sort()).toEqual([`ckpt/${name}/step-1.bin`, `ckpt/${name}/step-2.bin`]);
    expect((await getBytes(s3, bucket, `ckpt/${name}/step-2.bin`)).toString()).toBe('two\n');
  });
});

describe('TensorBoard output', () => {
  it('syncs the TensorBoard folder while the job runs and at the end, next to checkpoints', async () => {
    const name = uniq('tb');
    // Writes one event file, waits long enough for a periodic sync, then writes a second one.
    await createJob(
      sm,
      shellJob(
        name,
        entrypoint,
        bucket,
        'mkdir -p /opt/ml/output/tensorboard/run1 && echo e1 > /opt/ml/output/tensorboard/run1/events.1 && echo c > /opt/ml/checkpoints/c.bin && sleep 3 && echo e2 > /opt/ml/output/tensorboard/run1/events.2',
        {
          CheckpointConfig: { S3Uri: `s3://${bucket}/tbckpt/${name}` },
          TensorBoardOutputConfig: { S3OutputPath: `s3://${bucket}/tb/${name}` },
        },
      ),
    );
    // The first event file arrives before the job ends (periodic sync).
    let early: string[] = [];
    for (let i = 0; i < 60 && early.length === 0; i++) {
      const l = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `tb/${name}/` }));
      early = (l.Contents ?? []).map((o) => o.Key!);
      if (early.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(early).toContain(`tb/${name}/run1/events.1`);
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.TensorBoardOutputConfig).toEqual({ S3OutputPath: `s3://${bucket}/tb/${name}` });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `tb/${name}/` }));
    expect(listed.Contents!.map((o) => o.Key).sort()).toEqual([`tb/${name}/run1/events.1`, `tb/${name}/run1/events.2`]);
    expect((await getBytes(s3, bucket, `tb/${name}/run1/events.2`)).toString()).toBe('e2\n');
    expect((await getBytes(s3, bucket, `tbckpt/${name}/c.bin`)).toString()).toBe('c\n');
  });
});
