import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TrainingJobDoc } from '../../resources/training-job.js';
import type { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { PipeSource } from '../job-common/pipe-feeder.js';
import { trainingStagingPlan } from '../training-job/remote-staging.js';
import { FEEDS_LOST, RemoteFeeds } from './remote-feeds.js';
import type { StagingManifest, StagingSessions } from './staging-sessions.js';

describe('RemoteFeeds', () => {
  it('fails a Pipe job on the first data error, or when a host feeds were never opened here (a restart)', () => {
    const woken: string[] = [];
    const feeds = new RemoteFeeds(1000, (job) => woken.push(job));
    expect(feeds.failure(false, 'j', ['algo-1'])).toBeUndefined();
    expect(feeds.failure(true, 'j', ['algo-1'])).toBe(FEEDS_LOST);
    const f1 = feeds.for('j', 'algo-1');
    // algo-2's container was made by an earlier process: its feeder talks to a session gone.
    expect(feeds.failure(true, 'j', ['algo-1', 'algo-2'])).toBe(FEEDS_LOST);
    const f2 = feeds.for('j', 'algo-2');
    expect(f2.signal).toBe(f1.signal);
    expect(feeds.failure(true, 'j', ['algo-1', 'algo-2'])).toBeUndefined();
    f2.onDataError('bad gzip');
    f1.onDataError('later');
    expect(feeds.failure(true, 'j', ['algo-1', 'algo-2'])).toBe('bad gzip');
    expect(woken).toEqual(['j', 'j']);
  });

  it('closes the job feed sessions when it ends', () => {
    const feeds = new RemoteFeeds(1000, () => undefined);
    const f = feeds.for('j', 'algo-1');
    const other = feeds.for('k', 'algo-1');
    feeds.end('j');
    expect(f.signal.aborted).toBe(true);
    expect(other.signal.aborted).toBe(false);
  });
});

describe('training staging plan with Pipe channels', () => {
  const store = {
    bucketExists: async () => true,
    listAll: async function* (_bucket: string, prefix: string) {
      for (const key of ['d/p0', 'd/p1', 'd/p2', 'c/run.py'].filter((k) => k.startsWith(prefix)).sort()) yield { key, size: key.length };
    },
    getObject: async () => ({ body: Readable.from([]) }),
  } as unknown as ObjectStore;

  it('stages File channels, makes epoch-0 FIFOs for Pipe channels and feeds this host share', async () => {
    const manifests: StagingManifest[] = [];
    const opened: PipeSource[][] = [];
    const sessions = {
      download: (m: StagingManifest) => (manifests.push(m), { url: 'http://s/_slipway/staging/x', outcome: Promise.resolve() }),
      feed: (sources: PipeSource[]) => (opened.push(sources), { url: 'http://s/_slipway/staging/f' }),
    } as unknown as StagingSessions;
    const doc = {
      AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'Pipe' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 1 },
      InputDataConfig: [
        { ChannelName: 'code', InputMode: 'File', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/c/' } } },
        { ChannelName: 'train', CompressionType: 'Gzip', RecordWrapperType: 'RecordIO', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/d/', S3DataDistributionType: 'ShardedByS3Key' } } },
      ],
      OutputDataConfig: { S3OutputPath: 's3://b/o' },
    } as unknown as TrainingJobDoc;
    const plan = await trainingStagingPlan(sessions, store, {} as LocalPaths, doc, 'algo-2', 1, { signal: new AbortController().signal, gzipMaxBytes: 77, onDataError: () => undefined });
    const m = manifests[0]!;
    expect(m.objects.map((o) => o.path)).toEqual(['input/data/code/run.py']);
    expect(m.fifos).toEqual(['input/data/train_0']);
    expect(m.dirs).not.toContain('input/data/train');
    expect(plan.feed).toEqual({ url: 'http://s/_slipway/staging/f', fifos: ['input/data/train'] });
    const [src] = opened[0]!;
    expect(src).toMatchObject({ channel: 'train', gzip: true, gzipMaxBytes: 77, recordIO: true });
    expect((await src!.list()).map((o) => o.relPath)).toEqual(['p1']);
  });
});
