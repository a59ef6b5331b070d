/**
 * `file://` URIs (issue #12 item 1): refused by default with SageMaker's own pattern
 * ValidationException wherever the API takes a URI, nothing created; with the operator's
 * allow-list (SLIPWAY_LOCAL_PATHS read-only, SLIPWAY_LOCAL_OUTPUT_PATHS writable) they work only
 * inside it, and symbolic links leading out are refused at the API and again at use.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateModelCommand,
  CreateProcessingJobCommand,
  CreateTransformJobCommand,
  DescribeTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseJob, clients, createJob, makeBucket, putText, ROLE, uniq, untar, waitFor } from '../training/helpers.js';

const PATTERN = '^(https|s3)://([^/]+)/?(.*)';
const violation = (value: string, path: string) => `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${PATTERN}`;
const oneViolation = (value: string, path: string) => `1 validation error detected: ${violation(value, path)}`;

let base: string;
let inRoot: string;
let outRoot: string;
let outside: string;
let inspector: string;
let entrypoint: string;
let strict: TestServer;
let local: TestServer;
let bucket: string;

beforeAll(async () => {
  [inspector, entrypoint] = await Promise.all([buildFixtureImage('inspector'), buildFixtureImage('entrypoint')]);
  base = mkdtempSync(join(tmpdir(), 'slipway-local-paths-'));
  inRoot = join(base, 'in');
  outRoot = join(base, 'out');
  outside = join(base, 'outside');
  for (const d of [join(inRoot, 'train', 'sub'), join(inRoot, 'linked'), outRoot, outside]) mkdirSync(d, { recursive: true });
  writeFileSync(join(inRoot, 'train', 'a.csv'), 'a');
  writeFileSync(join(inRoot, 'train', 'sub', 'b.csv'), 'b');
  writeFileSync(join(inRoot, 'linked', 'ok.csv'), 'ok');
  writeFileSync(join(outside, 'secret.csv'), 'secret');
  symlinkSync(outside, join(inRoot, 'escape'));
  symlinkSync(join(outside, 'secret.csv'), join(inRoot, 'linked', 'secret.csv'));
  symlinkSync(outside, join(outRoot, 'escape'));
  strict = await startTestServer();
  local = await startTestServer({ localPaths: { read: [inRoot], write: [outRoot] } });
  bucket = await makeBucket(clients(strict.url).s3);
});

afterAll(async () => {
  await strict?.cleanup();
  await local?.cleanup();
  rmSync(base, { recursive: true, force: true });
});

function job(name: string, input: string, output: string, over: Partial<CreateTrainingJobCommandInput> = {}): CreateTrainingJobCommandInput {
  return baseJob(name, inspector, 'unused', {
    OutputDataConfig: { S3OutputPath: output },
    InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: input } } }],
    ...over,
  });
}

async function refused(p: Promise<unknown>): Promise<string> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; message?: string } | undefined;
  expect(err?.name).toBe('ValidationException');
  return err!.message!;
}

/** SageMaker answers a missing training job with ValidationException "Requested resource not found." */
async function notCreated(sm: SageMakerClient, name: string): Promise<void> {
  const err = (await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name })).catch((e: unknown) => e)) as Error;
  expect([err.name, err.message]).toEqual(['ValidationException', 'Requested resource not found.']);
}

describe('file:// URIs by default', () => {
  it('refuses a training job writing its output into a host directory, with SageMaker\'s pattern message, and creates nothing', async () => {
    const { sm } = clients(strict.url);
    const name = uniq('pwn');
    const target = `file://${outside}`;
    const message = await refused(createJob(sm, job(name, `s3://${bucket}/in/`, target)));
    expect(message).toBe(oneViolation(target, 'outputDataConfig.s3OutputPath'));
    await notCreated(sm, name);

    const name2 = uniq('pwn');
    const message2 = await refused(
      createJob(sm, job(name2, `file://${inRoot}/train`, `s3://${bucket}/out`, { CheckpointConfig: { S3Uri: `file://${outside}/ckpt` } })),
    );
    expect(message2).toBe(
      `2 validation errors detected: ${violation(`file://${outside}/ckpt`, 'checkpointConfig.s3Uri')}; ${violation(`file://${inRoot}/train`, 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri')}`,
    );
    await notCreated(sm, name2);
    expect(readdirSync(outside)).toEqual(['secret.csv']);
  });

  it('refuses file:// model data, processing inputs and outputs, and transform inputs and outputs', async () => {
    const { sm } = clients(strict.url);
    const modelData = `file://${inRoot}/model.tar.gz`;
    expect(await refused(sm.send(new CreateModelCommand({ ModelName: uniq('m'), ExecutionRoleArn: ROLE, PrimaryContainer: { Image: inspector, ModelDataUrl: modelData } })))).toBe(
      oneViolation(modelData, 'primaryContainer.modelDataUrl'),
    );
    const processing = await refused(
      sm.send(
        new CreateProcessingJobCommand({
          ProcessingJobName: uniq('p'),
          RoleArn: ROLE,
          AppSpecification: { ImageUri: inspector },
          ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
          ProcessingInputs: [{ InputName: 'in', S3Input: { S3Uri: `file://${inRoot}`, LocalPath: '/opt/ml/processing/input', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
          ProcessingOutputConfig: { Outputs: [{ OutputName: 'out', S3Output: { S3Uri: `file://${outside}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
        }),
      ),
    );
    expect(processing).toMatch(/^2 validation errors detected: .*at 'processingInputs\.1\.member\.s3Input\.s3Uri'.*at 'processingOutputConfig\.outputs\.1\.member\.s3Output\.s3Uri'/);
    const transform = await refused(
      sm.send(
        new CreateTransformJobCommand({
          TransformJobName: uniq('t'),
          ModelName: 'any',
          TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `file://${inRoot}` } } },
          TransformOutput: { S3OutputPath: `file://${outside}` },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        }),
      ),
    );
    expect(transform).toMatch(/^2 validation errors detected: .*at 'transformInput\.dataSource\.s3DataSource\.s3Uri'.*at 'transformOutput\.s3OutputPath'/);
  });

  it('fails a job whose manifest (user data, not the request) names a file:// prefix', async () => {
    const { sm, s3 } = clients(strict.url);
    const name = uniq('manifest');
    await putText(s3, bucket, 'm/manifest.json', JSON.stringify([{ prefix: `file://${outside}/` }, 'secret.csv']));
    await createJob(sm, job(name, `s3://${bucket}/m/manifest.json`, `s3://${bucket}/out`, {
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: `s3://${bucket}/m/manifest.json` } } }],
    }));
    const d = await waitFor(sm, name, { timeoutMs: 60_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toBe(
      `ClientError: Manifest file s3://${bucket}/m/manifest.json: ${outside}/secret.csv is a local path, which is not inside a host directory the operator allowed for local data (SLIPWAY_LOCAL_PATHS or SLIPWAY_LOCAL_OUTPUT_PATHS).`,
    );
  });
});

describe('file:// URIs with SLIPWAY_LOCAL_PATHS and SLIPWAY_LOCAL_OUTPUT_PATHS', () => {
  it('reads inputs under the read-only root and writes model.tar.gz under the writable root', async () => {
    const { sm } = clients(local.url);
    const name = uniq('local');
    await createJob(sm, job(name, `file://${inRoot}/train`, `file://${outRoot}/models`));
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.ModelArtifacts!.S3ModelArtifacts).toBe(`file://${outRoot}/models/${name}/output/model.tar.gz`);
    const out = await untar(readFileSync(join(outRoot, 'models', name, 'output', 'model.tar.gz')));
    const listing = JSON.parse(out['data-listing.json']!.toString()) as { path: string; type: string }[];
    expect(listing.filter((e) => e.type === 'file').map((e) => e.path).sort()).toEqual(['train/a.csv', 'train/sub/b.csv']);
    expect(readFileSync(join(inRoot, 'train', 'a.csv'), 'utf8')).toBe('a');
    const model = await sm.send(new CreateModelCommand({ ModelName: uniq('m'), ExecutionRoleArn: ROLE, PrimaryContainer: { Image: inspector, ModelDataUrl: d.ModelArtifacts!.S3ModelArtifacts } }));
    expect(model.ModelArn).toBeTruthy();
  });

  it('refuses outputs under the read-only root and paths outside both roots', async () => {
    const { sm } = clients(local.url);
    expect(await refused(createJob(sm, job(uniq('ro'), `file://${inRoot}/train`, `file://${inRoot}/models`)))).toBe(
      oneViolation(`file://${inRoot}/models`, 'outputDataConfig.s3OutputPath'),
    );
    expect(await refused(createJob(sm, job(uniq('out'), `file://${outside}`, `file://${outRoot}/models`)))).toBe(
      oneViolation(`file://${outside}`, 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'),
    );
    expect(await refused(createJob(sm, job(uniq('dots'), `file://${inRoot}/../outside`, `file://${outRoot}/models`)))).toMatch(/^1 validation error detected: Value 'file:\/\/.*' at 'inputDataConfig/);
  });

  it('refuses symbolic links inside a root that lead out: at the API for the URI itself, when staging for one inside the data', async () => {
    const { sm } = clients(local.url);
    const viaLink = `file://${inRoot}/escape`;
    expect(await refused(createJob(sm, job(uniq('link'), viaLink, `file://${outRoot}/m`)))).toBe(oneViolation(viaLink, 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'));
    const outLink = `file://${outRoot}/escape/pwn`;
    expect(await refused(createJob(sm, job(uniq('link'), `file://${inRoot}/train`, outLink)))).toBe(oneViolation(outLink, 'outputDataConfig.s3OutputPath'));
    expect(await refused(sm.send(new CreateModelCommand({ ModelName: uniq('m'), ExecutionRoleArn: ROLE, PrimaryContainer: { Image: inspector, ModelDataUrl: `file://${inRoot}/linked/secret.csv` } })))).toMatch(
      /at 'primaryContainer\.modelDataUrl'/,
    );

    const name = uniq('inner-link');
    await createJob(sm, job(name, `file://${inRoot}/linked`, `file://${outRoot}/m`));
    const d = await waitFor(sm, name, { timeoutMs: 60_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toBe(
      `ClientError: ${inRoot}/linked/secret.csv is a symbolic link to ${outside}/secret.csv, which is not inside a host directory the operator allowed for local data (SLIPWAY_LOCAL_PATHS or SLIPWAY_LOCAL_OUTPUT_PATHS).`,
    );
  });

  it('does not write through a link planted under the output root after the job was accepted', async () => {
    const { sm } = clients(local.url);
    const name = uniq('late');
    await createJob(
      sm,
      baseJob(name, entrypoint, 'unused', {
        AlgorithmSpecification: { TrainingImage: entrypoint, TrainingInputMode: 'File', ContainerEntrypoint: ['sh', '-c', 'sleep 3'] },
        OutputDataConfig: { S3OutputPath: `file://${outRoot}/later` },
      }),
    );
    symlinkSync(outside, join(outRoot, 'later'));
    const d = await waitFor(sm, name, { timeoutMs: 60_000 });
    expect(d.TrainingJobStatus).toBe('Failed');
    // Judged before any directory is made: the nearest existing ancestor is already outside.
    expect(d.FailureReason).toBe(
      `ClientError: ${outRoot}/later/${name}/output/model.tar.gz leads to ${outside}, which is not inside a host directory the operator allowed for local output (SLIPWAY_LOCAL_OUTPUT_PATHS).`,
    );
    expect(readdirSync(outside)).toEqual(['secret.csv']);
    expect(existsSync(join(outside, name))).toBe(false);
  });
});
