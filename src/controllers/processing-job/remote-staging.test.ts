import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ProcessingInputDoc, ProcessingJobDoc } from '../../resources/processing-job.js';
import type { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { StagingManifest, StagingSessions } from '../staging/staging-sessions.js';
import type { PipeSource } from '../job-common/pipe-feeder.js';
import type { PipeFeeds } from '../staging/remote-feeds.js';
import { processingCollectPaths, processingContinuousPaths, processingStagingPlan } from './remote-staging.js';

const input = (InputName: string, LocalPath: string, extra: Partial<NonNullable<ProcessingInputDoc['S3Input']>> = {}): ProcessingInputDoc => ({
  InputName,
  S3Input: { S3Uri: `s3://b/${InputName}/`, LocalPath, S3DataType: 'S3Prefix', S3InputMode: 'File', ...extra },
});

function job(count: number, inputs: ProcessingInputDoc[], outputs: string[], mode: 'EndOfJob' | 'Continuous' = 'EndOfJob'): ProcessingJobDoc {
  return {
    ProcessingJobName: 'j',
    ProcessingJobArn: 'arn',
    ProcessingJobStatus: 'InProgress',
    ProcessingResources: { ClusterConfig: { InstanceCount: count, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
    AppSpecification: { ImageUri: 'i' },
    ProcessingInputs: inputs,
    ProcessingOutputConfig: { Outputs: outputs.map((p, i) => ({ OutputName: `o${i}`, S3Output: { S3Uri: `s3://b/o${i}`, LocalPath: p, S3UploadMode: mode } })) },
    RoleArn: 'r',
    CreationTime: 0,
    LastModifiedTime: 0,
  };
}

/** Keys under each prefix of bucket `b` (listing is the only store call a plan makes). */
function store(keys: string[]): ObjectStore {
  return {
    bucketExists: async () => true,
    listAll: async function* (_bucket: string, prefix: string) {
      for (const key of keys.filter((k) => k.startsWith(prefix)).sort()) yield { key, size: key.length };
    },
    getObject: async () => ({ body: Readable.from([]) }),
  } as unknown as ObjectStore;
}

/** The manifest a plan opens its download session with, and the Pipe sources of its feed session. */
function sessions(): { s: StagingSessions; manifests: StagingManifest[]; feeds: PipeSource[][] } {
  const manifests: StagingManifest[] = [];
  const feeds: PipeSource[][] = [];
  const s = {
    download: (m: StagingManifest) => (manifests.push(m), { url: 'http://slipway/_slipway/staging/x', outcome: Promise.resolve() }),
    feed: (sources: PipeSource[]) => (feeds.push(sources), { url: 'http://slipway/_slipway/staging/f' }),
  } as unknown as StagingSessions;
  return { s, manifests, feeds };
}

const feeds: PipeFeeds = { signal: new AbortController().signal, gzipMaxBytes: 1000, onDataError: () => undefined };

describe('processing staging plan for a cluster engine', () => {
  const keys = ['data/p0', 'data/p1', 'data/p2', 'data/p3', 'data/p4', 'code/run.py'];
  const doc = job(
    2,
    [input('data', '/opt/ml/processing/input/data', { S3DataDistributionType: 'ShardedByS3Key' }), input('code', '/opt/ml/processing/input/code')],
    ['/opt/ml/processing/output/train', '/opt/ml/processing/out2'],
  );

  it('stages each host its ShardedByS3Key share, every FullyReplicated object, the config files and the output folders', async () => {
    const { s, manifests } = sessions();
    const plan1 = await processingStagingPlan(s, store(keys), {} as LocalPaths, doc, 'algo-1', 0, feeds);
    await processingStagingPlan(s, store(keys), {} as LocalPaths, doc, 'algo-2', 1, feeds);
    expect(plan1.mountPath).toBe('/opt/ml');
    const [m1, m2] = manifests;
    expect(m1!.objects.map((o) => o.path)).toEqual(['processing/input/data/p0', 'processing/input/data/p2', 'processing/input/data/p4', 'processing/input/code/run.py']);
    expect(m2!.objects.map((o) => o.path)).toEqual(['processing/input/data/p1', 'processing/input/data/p3', 'processing/input/code/run.py']);
    // Every level of an output folder exists before the entrypoint runs (and is writable for a non-root user).
    expect(m1!.dirs).toEqual(expect.arrayContaining(['config', 'output', 'processing', 'processing/output', 'processing/output/train', 'processing/out2', 'processing/input/data']));
    const rc = JSON.parse(m2!.inline.find((f) => f.path === 'config/resourceconfig.json')!.content) as { current_host: string; hosts: string[] };
    expect(rc).toMatchObject({ current_host: 'algo-2', hosts: ['algo-1', 'algo-2'] });
    const pc = JSON.parse(m1!.inline.find((f) => f.path === 'config/processingjobconfig.json')!.content) as { ProcessingJobName: string };
    expect(pc.ProcessingJobName).toBe('j');
  });

  it('gives a Pipe input its epoch-0 FIFO beside its LocalPath and a feed of this host\'s share, staging none of its objects', async () => {
    const { s, manifests, feeds: opened } = sessions();
    const piped = job(2, [input('data', '/opt/ml/processing/input/stream', { S3InputMode: 'Pipe', S3DataDistributionType: 'ShardedByS3Key', S3CompressionType: 'Gzip' }), input('code', '/opt/ml/processing/input/code')], []);
    const plan = await processingStagingPlan(s, store(keys), {} as LocalPaths, piped, 'algo-2', 1, feeds);
    const m = manifests[0]!;
    expect(m.objects.map((o) => o.path)).toEqual(['processing/input/code/run.py']);
    expect(m.fifos).toEqual(['processing/input/stream_0']);
    expect(m.dirs).toEqual(expect.arrayContaining(['processing', 'processing/input']));
    expect(m.dirs).not.toContain('processing/input/stream');
    expect(plan.feed).toEqual({ url: 'http://slipway/_slipway/staging/f', fifos: ['processing/input/stream'] });
    const [src] = opened[0]!;
    expect(src).toMatchObject({ channel: 'stream', label: 'ProcessingInput data', gzip: true, gzipMaxBytes: 1000, recordIO: false });
    expect((await src!.list()).map((o) => o.relPath)).toEqual(['p1', 'p3']);
    // Without Pipe inputs there is no feeder.
    expect((await processingStagingPlan(s, store(keys), {} as LocalPaths, doc, 'algo-1', 0, feeds)).feed).toBeUndefined();
  });

  it('sends back output/ and each output folder once, never the inputs', () => {
    expect(processingCollectPaths(doc)).toEqual(['output', 'processing/output/train', 'processing/out2']);
    // An output inside another output goes with it.
    expect(processingCollectPaths(job(1, [], ['/opt/ml/processing/a', '/opt/ml/processing/a/b', '/opt/ml/processing/a']))).toEqual(['output', 'processing/a']);
  });

  it('pulls only Continuous output folders while the job runs, each once', () => {
    expect(processingContinuousPaths(doc)).toEqual([]);
    const mixed = job(1, [], ['/opt/ml/processing/c', '/opt/ml/processing/c/inner', '/opt/ml/processing/e']);
    mixed.ProcessingOutputConfig!.Outputs[0]!.S3Output!.S3UploadMode = 'Continuous';
    mixed.ProcessingOutputConfig!.Outputs[1]!.S3Output!.S3UploadMode = 'Continuous';
    expect(processingContinuousPaths(mixed)).toEqual(['processing/c']);
    expect(processingCollectPaths(mixed)).toEqual(['output', 'processing/c', 'processing/e']);
  });
});
