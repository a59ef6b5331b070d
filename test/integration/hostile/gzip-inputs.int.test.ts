/**
 * Compression bombs and corrupt gzip as job inputs (issue #12 item 2 and its hostile-archive
 * suite), against a server in its own process with SLIPWAY_GZIP_INPUT_MAX_BYTES=1 MiB: a Pipe-mode
 * training channel, a Pipe-mode processing input and a transform input with CompressionType Gzip
 * each fail their job with a reason naming the limit (not a job that "completes" on a cut stream),
 * a transform whose model data is the bomb fails with the model-data reason, and the server
 * answers health and Describe within 200 ms throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateModelCommand, CreateProcessingJobCommand, CreateTransformJobCommand, DescribeProcessingJobCommand, DescribeTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { removeContainersOf } from '../../helpers/server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { processorImage } from '../processing/helpers.js';
import { baseJob, clients, createJob, makeBucket, putText, ROLE, uniq, waitFor } from '../training/helpers.js';
import { describeProbe, expectResponsive, healthProbe, startControlServer, watchResponsiveness, zeroBomb } from './helpers.js';

const LIMIT = 1024 * 1024;
let home: string;
let proc: ServerProcess;
let c: ReturnType<typeof clients>;
let bucket: string;
let bomb: Buffer;
let entrypoint: string;
let noop: string;
let processor: string;
let control: Awaited<ReturnType<typeof startControlServer>>;

beforeAll(async () => {
  [entrypoint, noop, processor, bomb] = await Promise.all([buildFixtureImage('entrypoint'), buildFixtureImage('noop'), processorImage(), zeroBomb()]);
  control = await startControlServer();
  home = mkdtempSync(join(tmpdir(), 'slipway-gzip-'));
  proc = await startServerProcess(home, undefined, { SLIPWAY_GZIP_INPUT_MAX_BYTES: String(LIMIT) });
  c = clients(proc.url);
  bucket = await makeBucket(c.s3);
  await putText(c.s3, bucket, 'bomb/bomb.gz', bomb);
  await putText(c.s3, bucket, 'notgz/plain.gz', 'this was never gzipped\n');
});

afterAll(async () => {
  if (proc) await Promise.race([proc.stop(), new Promise((r) => setTimeout(r, 15_000)).then(() => proc.kill9())]);
  if (home) {
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  }
  await control?.stop();
});

/** Runs `work` while probing health and `describe`; asserts the server kept answering within 200 ms. */
async function responsive<T>(describeTarget: string, describeBody: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const watch = watchResponsiveness({ health: healthProbe(proc.url), describe: describeProbe(proc.url, describeTarget, describeBody) }, { control: control.probe });
  try {
    return await work();
  } finally {
    expectResponsive(await watch.stop());
  }
}

async function waitJob<T>(describeOnce: () => Promise<T>, status: (d: T) => string | undefined): Promise<T> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const d = await describeOnce();
    if (!['InProgress', 'Stopping'].includes(status(d) ?? '')) return d;
    if (Date.now() > deadline) throw new Error(`job still ${status(d)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('gzip inputs', () => {
  // The reader exits 0 as soon as its FIFO ends: the job must fail anyway, not complete on a cut stream.
  const pipeReader = 'cd /opt/ml/input/data; until [ -p train_0 ]; do sleep 0.1; done; cat train_0 > /dev/null';

  it.each([
    ['the 203 KB bomb', 'bomb/', `ClientError: Channel train object bomb.gz decompresses to more than ${LIMIT} bytes, the limit (SLIPWAY_GZIP_INPUT_MAX_BYTES).`],
    ['data that is not gzip', 'notgz/', 'ClientError: Channel train object plain.gz is not valid gzip data (incorrect header check).'],
  ])('fails a training job whose Pipe Gzip channel holds %s', async (_what, prefix, reason) => {
    const name = uniq('pipe-bomb');
    const d = await responsive('SageMaker.DescribeTrainingJob', { TrainingJobName: name }, async () => {
      await createJob(
        c.sm,
        baseJob(name, entrypoint, bucket, {
          AlgorithmSpecification: { TrainingImage: entrypoint, TrainingInputMode: 'Pipe', ContainerEntrypoint: ['sh', '-c', pipeReader] },
          StoppingCondition: { MaxRuntimeInSeconds: 120 },
          InputDataConfig: [{ ChannelName: 'train', CompressionType: 'Gzip', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/${prefix}` } } }],
        }),
      );
      return waitFor(c.sm, name, { timeoutMs: 120_000 });
    });
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toBe(reason);
  });

  it('fails a processing job whose Pipe Gzip input is the bomb', async () => {
    const name = uniq('proc-bomb');
    const d = await responsive('SageMaker.DescribeProcessingJob', { ProcessingJobName: name }, async () => {
      await c.sm.send(
        new CreateProcessingJobCommand({
          ProcessingJobName: name,
          RoleArn: ROLE,
          AppSpecification: { ImageUri: processor, ContainerArguments: ['--mode', 'pipe'] },
          ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
          ProcessingInputs: [
            {
              InputName: 'data',
              S3Input: { S3Uri: `s3://${bucket}/bomb/`, LocalPath: '/opt/ml/processing/input/data', S3DataType: 'S3Prefix', S3InputMode: 'Pipe', S3CompressionType: 'Gzip' },
            },
          ],
        }),
      );
      return waitJob(() => c.sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: name })), (x) => x.ProcessingJobStatus);
    });
    expect(d.ProcessingJobStatus).toBe('Failed');
    expect(d.FailureReason).toBe(`ClientError: ProcessingInput data object bomb.gz decompresses to more than ${LIMIT} bytes, the limit (SLIPWAY_GZIP_INPUT_MAX_BYTES).`);
  });

  it('fails a transform job whose Gzip input is the bomb', async () => {
    const model = uniq('echo');
    const name = uniq('tj-bomb');
    await c.sm.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: noop } }));
    const d = await responsive('SageMaker.DescribeTransformJob', { TransformJobName: name }, async () => {
      await c.sm.send(
        new CreateTransformJobCommand({
          TransformJobName: name,
          ModelName: model,
          TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/bomb/` } }, ContentType: 'text/csv', SplitType: 'Line', CompressionType: 'Gzip' },
          TransformOutput: { S3OutputPath: `s3://${bucket}/tj-out/${name}` },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        }),
      );
      return waitJob(() => c.sm.send(new DescribeTransformJobCommand({ TransformJobName: name })), (x) => x.TransformJobStatus);
    });
    expect(d.TransformJobStatus).toBe('Failed');
    expect(d.FailureReason).toBe(`ClientError: s3://${bucket}/bomb/bomb.gz: the input decompresses to more than ${LIMIT} bytes, the limit (SLIPWAY_GZIP_INPUT_MAX_BYTES).`);
  });

  it('fails a transform job whose model data is the bomb', async () => {
    const model = uniq('bomb-model');
    const name = uniq('tj-model-bomb');
    await putText(c.s3, bucket, 'models/bomb/model.tar.gz', bomb);
    await putText(c.s3, bucket, 'tj-in/a.csv', '1,2\n');
    await c.sm.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: noop, ModelDataUrl: `s3://${bucket}/models/bomb/model.tar.gz` } }));
    const d = await responsive('SageMaker.DescribeTransformJob', { TransformJobName: name }, async () => {
      await c.sm.send(
        new CreateTransformJobCommand({
          TransformJobName: name,
          ModelName: model,
          TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/tj-in/` } }, ContentType: 'text/csv' },
          TransformOutput: { S3OutputPath: `s3://${bucket}/tj-out/${name}` },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        }),
      );
      return waitJob(() => c.sm.send(new DescribeTransformJobCommand({ TransformJobName: name })), (x) => x.TransformJobStatus);
    });
    expect(d.TransformJobStatus).toBe('Failed');
    expect(d.FailureReason).toBe(
      `ClientError: Model data s3://${bucket}/models/bomb/model.tar.gz was rejected: more than 1048576 bytes follow the tar end-of-archive marker (the limit); model data must be one tar.gz archive.`,
    );
  });
});
