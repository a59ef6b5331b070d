/** Shared helpers for the training-job integration suites: clients, S3 fixtures, polling, tarballs. */
import { until } from '../../helpers/poll.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  type CreateTrainingJobCommandInput,
  type DescribeTrainingJobCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { x as tarExtract } from 'tar';

export const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';

export { clients } from '../../helpers/clients.js';

export const uniq = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function makeBucket(s3: S3Client, name = uniq('bkt')): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

export async function putText(s3: S3Client, bucket: string, key: string, body: string | Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

/** Extracts a tar.gz buffer and returns {relative path: content}. */
export async function untar(buf: Buffer): Promise<Record<string, Buffer>> {
  // node-tar rejects an empty archive (only end-of-archive zero blocks); GNU tar and Python accept it.
  if (gunzipSync(buf).every((b) => b === 0)) return {};
  const dir = mkdtempSync(join(tmpdir(), 'slipway-untar-'));
  try {
    await pipeline(Readable.from([buf]), tarExtract({ cwd: dir }));
    const out: Record<string, Buffer> = {};
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else out[relative(dir, p)] = readFileSync(p);
      }
    };
    walk(dir);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function baseJob(name: string, image: string, bucket: string, over: Partial<CreateTrainingJobCommandInput> = {}): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    RoleArn: ROLE,
    AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
    OutputDataConfig: { S3OutputPath: `s3://${bucket}/output` },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    ...over,
  };
}

/** baseJob whose container runs `sh -c script` (File mode) instead of the image's entry point. */
export function shellJob(name: string, image: string, bucket: string, script: string, over: Partial<CreateTrainingJobCommandInput> = {}): CreateTrainingJobCommandInput {
  return baseJob(name, image, bucket, { AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File', ContainerEntrypoint: ['sh', '-c', script] }, ...over });
}

export async function createJob(sm: SageMakerClient, input: CreateTrainingJobCommandInput): Promise<string> {
  const r = await sm.send(new CreateTrainingJobCommand(input));
  return r.TrainingJobArn!;
}

export async function describe(sm: SageMakerClient, name: string): Promise<DescribeTrainingJobCommandOutput> {
  return sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
}

/** Polls until the job leaves InProgress/Stopping (or `until` holds); throws with the last state at the deadline. */
export async function waitFor(
  sm: SageMakerClient,
  name: string,
  opts: { timeoutMs?: number; until?: (d: DescribeTrainingJobCommandOutput) => boolean } = {},
): Promise<DescribeTrainingJobCommandOutput> {
  const reached = opts.until ?? ((d) => !['InProgress', 'Stopping'].includes(d.TrainingJobStatus!));
  let last: DescribeTrainingJobCommandOutput | undefined;
  return until(
    `job ${name} to reach the expected state`,
    async () => {
      last = await describe(sm, name);
      return reached(last) && last;
    },
    { timeoutMs: opts.timeoutMs ?? 120_000, everyMs: 200, lastSeen: () => JSON.stringify(last, null, 1) },
  );
}
