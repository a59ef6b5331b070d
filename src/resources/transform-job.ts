/** @module resources/transform-job — the stored shape of a transform job (Describe document, epoch-second times). */
import type { Demand } from './demand.js';
import type { JobStatus } from './job.js';

export const TRANSFORM_LOG_GROUP = '/aws/sagemaker/TransformJobs';

export interface TransformJobDoc {
  TransformJobName: string;
  TransformJobArn: string;
  TransformJobStatus: JobStatus;
  ModelName: string;
  MaxConcurrentTransforms?: number;
  MaxPayloadInMB?: number;
  BatchStrategy?: 'MultiRecord' | 'SingleRecord';
  ModelClientConfig?: { InvocationsTimeoutInSeconds?: number; InvocationsMaxRetries?: number };
  Environment?: Record<string, string>;
  TransformInput: {
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix' | 'ManifestFile' | 'AugmentedManifestFile'; S3Uri: string } };
    ContentType?: string;
    CompressionType?: 'None' | 'Gzip';
    SplitType?: SplitType;
  };
  TransformOutput: { S3OutputPath: string; Accept?: string; AssembleWith?: 'None' | 'Line'; KmsKeyId?: string };
  TransformResources: { InstanceType: string; InstanceCount: number; VolumeKmsKeyId?: string };
  DataProcessing?: DataProcessingDoc;
  FailureReason?: string;
  CreationTime: number;
  LastModifiedTime?: number;
  TransformStartTime?: number;
  TransformEndTime?: number;
  [k: string]: unknown;
}

export interface TransformJobInternal {
  /** Set once the job has ended (after outputs and clean-up). */
  done?: boolean;
  stopReason?: string;
  /** What admission granted the job (its instances' demand); unset while it waits for capacity. */
  admitted?: Demand;
}

/** SplitType (contract §5): how an input object is cut into records. */
export type SplitType = 'None' | 'Line' | 'RecordIO' | 'TFRecord';

/** DataProcessing (contract §5): JSONPath filters and the join (controllers/transform-job/data-processing applies them). */
export interface DataProcessingDoc {
  InputFilter?: string;
  OutputFilter?: string;
  JoinSource?: 'Input' | 'None';
}

export type Format = 'csv' | 'json';

export function formatOf(mime: string | undefined): Format | undefined {
  const m = (mime ?? '').split(';')[0]!.trim().toLowerCase();
  if (m === 'text/csv') return 'csv';
  if (m === 'application/json' || m === 'application/jsonlines' || m === 'application/x-jsonlines') return 'json';
  return undefined;
}
