/**
 * Channel sources beyond a plain S3 prefix: ManifestFile, `file://` input and output (a Slipway
 * extension, under SLIPWAY_LOCAL_PATHS / SLIPWAY_LOCAL_OUTPUT_PATHS), and an empty prefix failing
 * the job before training, as SageMaker does.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { S3Client } from '@aws-sdk/client-s3';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseJob, clients, createJob, getBytes, makeBucket, putText, uniq, untar, waitFor } from './helpers.js';

let srv: TestServer;
let sm: SageMakerClient;
let s3: S3Client;
let bucket: string;
let inspector: string;
let local: string;

beforeAll(async () => {
  inspector = await buildFixtureImage('inspector');
  local = mkdtempSync(join(tmpdir(), 'slipway-local-data-'));
  mkdirSync(join(local, 'in'));
  mkdirSync(join(local, 'out'));
  // file:// works only under the operator's allow-list (test/integration/hostile/local-paths covers refusals).
  srv = await startTestServer({ localPaths: { read: [join(local, 'in')], write: [join(local, 'out')] } });
  ({ sm, s3 } = clients(srv.url));
  bucket = await makeBucket(s3);
});
afterAll(async () => {
  await srv?.cleanup();
  rmSync(local, { recursive: true, force: true });
});

const files = (listing: Buffer) =>
  (JSON.parse(listing.toString()) as { path: string; type: string; sha256?: string }[]).filter((e) => e.type === 'file').map((e) => e.path).sort();

describe('channel data sources', () => {
  it('stages the keys a ManifestFile lists, under their relative paths', async () => {
    const name = uniq('manifest');
    await putText(s3, bucket, 'm/data/x/1.csv', 'one');
    await putText(s3, bucket, 'm/data/2.csv', 'two');
    await putText(s3, bucket, 'm/data/unlisted.csv', 'no');
    await putText(s3, bucket, 'm/manifest.json', JSON.stringify([{ prefix: `s3://${bucket}/m/data/` }, 'x/1.csv', '2.csv']));
    await createJob(
      sm,
      baseJob(name, inspector, bucket, {
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: `s3://${bucket}/m/manifest.json` } } }],
      }),
    );
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    const out = await untar(await getBytes(s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(files(out['data-listing.json']!)).toEqual(['train/2.csv', 'train/x/1.csv']);
  });

  it('reads file:// input and writes model.tar.gz to a file:// output path', async () => {
    const name = uniq('local');
    mkdirSync(join(local, 'in', 'sub'), { recursive: true });
    writeFileSync(join(local, 'in', 'a.txt'), 'a');
    writeFileSync(join(local, 'in', 'sub', 'b.txt'), 'b');
    await createJob(
      sm,
      baseJob(name, inspector, bucket, {
        OutputDataConfig: { S3OutputPath: `file://${local}/out` },
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `file://${local}/in` } } }],
      }),
    );
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.ModelArtifacts!.S3ModelArtifacts).toBe(`file://${local}/out/${name}/output/model.tar.gz`);
    const out = await untar(readFileSync(join(local, 'out', name, 'output', 'model.tar.gz')));
    expect(files(out['data-listing.json']!)).toEqual(['train/a.txt', 'train/sub/b.txt']);
    // The user's files are untouched after the workspace is cleaned up.
    expect(readFileSync(join(local, 'in', 'a.txt'), 'utf8')).toBe('a');
  });

  it('fails before training when a channel prefix holds no objects', async () => {
    const name = uniq('empty');
    await createJob(
      sm,
      baseJob(name, inspector, bucket, {
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/nothing-here/` } } }],
      }),
    );
    const d = await waitFor(sm, name, { timeoutMs: 20_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toMatch(/^ClientError: No S3 objects found under S3 URL/);
    expect(d.SecondaryStatusTransitions!.map((t) => t.Status)).not.toContain('Training');
  });
});
