import { describe, expect, it } from 'vitest';
import type { TrainingJobDoc } from '../../resources/training-job.js';
import type { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { StagingManifest, StagingSessions } from '../staging/staging-sessions.js';
import { relocatedFolders, syncedPaths, trainingStagingPlan } from './remote-staging.js';
import type { PipeFeeds } from '../staging/remote-feeds.js';

/** No Pipe channels here: the feeds are never used. */
const noFeeds: PipeFeeds = { signal: new AbortController().signal, gzipMaxBytes: 1000, onDataError: () => undefined };

function doc(over: Partial<TrainingJobDoc> = {}): TrainingJobDoc {
  return {
    TrainingJobName: 'j',
    TrainingJobArn: 'arn:aws:sagemaker:us-east-1:000000000000:training-job/j',
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Starting',
    AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
    RoleArn: 'r',
    OutputDataConfig: { S3OutputPath: 's3://b/o' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 60 },
    ModelArtifacts: { S3ModelArtifacts: 's3://b/o/j/output/model.tar.gz' },
    CreationTime: 1000,
    LastModifiedTime: 1000,
    SecondaryStatusTransitions: [],
    ...over,
  };
}

/** No checkpoints to restore: the bucket lists nothing. */
const emptyStore = { bucketExists: async () => true, listAll: async function* () {} } as unknown as ObjectStore;

function sessions(): { s: StagingSessions; manifests: StagingManifest[] } {
  const manifests: StagingManifest[] = [];
  const s = { download: (m: StagingManifest) => (manifests.push(m), { url: 'http://slipway/_slipway/staging/x', outcome: Promise.resolve() }) } as unknown as StagingSessions;
  return { s, manifests };
}

describe('training staging plan: checkpoint and TensorBoard folders on a cluster engine', () => {
  it('keeps default checkpoints in the /opt/ml tree and relocates nothing without TensorBoard', () => {
    expect(relocatedFolders(doc({ CheckpointConfig: { S3Uri: 's3://b/c' } }))).toEqual([]);
    expect(relocatedFolders(doc({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/opt/ml/checkpoints/' } }))).toEqual([]);
    expect(syncedPaths(doc())).toEqual([]);
  });

  it('puts a custom checkpoint LocalPath and the TensorBoard LocalPath (default or not) on folders of their own', () => {
    expect(relocatedFolders(doc({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/data/ckpt/' } }))).toEqual([{ folder: 'checkpoints', containerPath: '/data/ckpt' }]);
    expect(relocatedFolders(doc({ TensorBoardOutputConfig: { S3OutputPath: 's3://b/t' } }))).toEqual([{ folder: 'tensorboard', containerPath: '/opt/ml/output/tensorboard' }]);
    const both = doc({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/ckpt' }, TensorBoardOutputConfig: { S3OutputPath: 's3://b/t', LocalPath: '/logs/tb' } });
    expect(relocatedFolders(both)).toEqual([
      { folder: 'checkpoints', containerPath: '/ckpt' },
      { folder: 'tensorboard', containerPath: '/logs/tb' },
    ]);
    expect(syncedPaths(both)).toEqual(['checkpoints', 'tensorboard']);
  });

  it('stages the folders and checkpointconfig.json with the LocalPath the job gave', async () => {
    const { s, manifests } = sessions();
    const d = doc({ CheckpointConfig: { S3Uri: 's3://b/c', LocalPath: '/ckpt' }, TensorBoardOutputConfig: { S3OutputPath: 's3://b/t' } });
    const plan = await trainingStagingPlan(s, emptyStore, {} as LocalPaths, d, 'algo-1', 0, noFeeds);
    expect(plan.elsewhere?.map((e) => e.folder)).toEqual(['checkpoints', 'tensorboard']);
    const m = manifests[0]!;
    expect(m.dirs).toEqual(expect.arrayContaining(['checkpoints', 'tensorboard']));
    const cfg = JSON.parse(m.inline.find((f) => f.path === 'input/config/checkpointconfig.json')!.content) as unknown;
    expect(cfg).toEqual({ LocalPath: '/ckpt', S3Uri: 's3://b/c' });
  });
});
