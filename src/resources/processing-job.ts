/**
 * @module resources/processing-job — the stored shape of a processing job: the Describe
 * document (wire names, epoch-second times) and the controller's bookkeeping (`internal`).
 */
import type { HostJobInternal, JobStatus, JobStep } from './job.js';

export const PROCESSING_LOG_GROUP = '/aws/sagemaker/ProcessingJobs';

export interface ProcessingS3InputDoc {
  S3Uri: string;
  LocalPath?: string;
  S3DataType: 'S3Prefix' | 'ManifestFile';
  S3InputMode?: 'File' | 'Pipe';
  S3DataDistributionType?: 'FullyReplicated' | 'ShardedByS3Key';
  S3CompressionType?: 'None' | 'Gzip';
}

export interface ProcessingInputDoc {
  InputName: string;
  AppManaged?: boolean;
  S3Input?: ProcessingS3InputDoc;
  [k: string]: unknown;
}

export interface ProcessingOutputDoc {
  OutputName: string;
  AppManaged?: boolean;
  S3Output?: { S3Uri: string; LocalPath?: string; S3UploadMode: 'Continuous' | 'EndOfJob' };
  [k: string]: unknown;
}

export type ProcessingJobStatus = JobStatus;

/** DescribeProcessingJob output as stored; times are epoch seconds. */
export interface ProcessingJobDoc {
  ProcessingJobName: string;
  ProcessingJobArn: string;
  ProcessingJobStatus: ProcessingJobStatus;
  ProcessingResources: { ClusterConfig: { InstanceCount: number; InstanceType: string; VolumeSizeInGB: number; VolumeKmsKeyId?: string } };
  AppSpecification: { ImageUri: string; ContainerEntrypoint?: string[]; ContainerArguments?: string[] };
  ProcessingInputs?: ProcessingInputDoc[];
  ProcessingOutputConfig?: { Outputs: ProcessingOutputDoc[]; KmsKeyId?: string };
  StoppingCondition?: { MaxRuntimeInSeconds: number };
  Environment?: Record<string, string>;
  NetworkConfig?: { EnableNetworkIsolation?: boolean; [k: string]: unknown };
  RoleArn: string;
  ExitMessage?: string;
  FailureReason?: string;
  CreationTime: number;
  LastModifiedTime: number;
  ProcessingStartTime?: number;
  ProcessingEndTime?: number;
  [k: string]: unknown;
}

export type ProcessingStep = JobStep;

export type ProcessingJobInternal = HostJobInternal;

export const PROCESSING_ROOT = '/opt/ml/processing';

/** S3Input.LocalPath, or `/opt/ml/processing/input/<InputName>` when absent. */
export function inputLocalPath(input: ProcessingInputDoc): string {
  return (input.S3Input?.LocalPath ?? `${PROCESSING_ROOT}/input/${input.InputName}`).replace(/\/+$/, '');
}

export function outputLocalPath(output: ProcessingOutputDoc): string {
  return (output.S3Output?.LocalPath ?? `${PROCESSING_ROOT}/output/${output.OutputName}`).replace(/\/+$/, '');
}

/** A container path under /opt/ml/processing → the path relative to it (undefined when outside). */
export function underProcessingRoot(path: string): string | undefined {
  const clean = path.replace(/\/+$/, '');
  if (!clean.startsWith(`${PROCESSING_ROOT}/`)) return undefined;
  const rel = clean.slice(PROCESSING_ROOT.length + 1);
  if (rel === '' || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) return undefined;
  return rel;
}

const isFileInput = (i: ProcessingInputDoc) => i.S3Input !== undefined && i.S3Input.S3InputMode !== 'Pipe';

/**
 * The File-mode input whose LocalPath holds `path` (at any depth; the outermost when several do)
 * and `path` relative to it, or undefined. SageMaker copies inputs into the container's own file
 * system, so an input or output inside another input's directory simply lands in it: the
 * ScriptProcessor's code input at /opt/ml/processing/input/code beside data at
 * /opt/ml/processing/input (issue #14).
 */
export function enclosingInput(doc: ProcessingJobDoc, path: string): { input: ProcessingInputDoc; rel: string } | undefined {
  let best: { input: ProcessingInputDoc; base: string } | undefined;
  for (const i of doc.ProcessingInputs ?? []) {
    if (!isFileInput(i)) continue;
    const base = inputLocalPath(i);
    if (path.startsWith(`${base}/`) && (!best || base.length < best.base.length)) best = { input: i, base };
  }
  return best ? { input: best.input, rel: path.slice(best.base.length + 1) } : undefined;
}
