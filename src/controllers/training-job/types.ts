/**
 * @module controllers/training-job/types — the stored shape of a training job: the Describe
 * document (wire names, epoch-second times) and the controller's private bookkeeping (`internal`).
 */
import type { HostJobInternal, HostState, JobStep } from '../job-common/types.js';

export const TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';

export interface S3DataSourceDoc {
  S3DataType: 'S3Prefix' | 'ManifestFile' | 'AugmentedManifestFile';
  S3Uri: string;
  S3DataDistributionType?: 'FullyReplicated' | 'ShardedByS3Key';
  AttributeNames?: string[];
}

export interface ChannelDoc {
  ChannelName: string;
  DataSource: { S3DataSource?: S3DataSourceDoc; [k: string]: unknown };
  ContentType?: string;
  CompressionType?: 'None' | 'Gzip';
  RecordWrapperType?: 'None' | 'RecordIO';
  InputMode?: 'Pipe' | 'File' | 'FastFile';
  [k: string]: unknown;
}

export interface SecondaryStatusTransition {
  Status: string;
  StartTime: number;
  EndTime?: number;
  StatusMessage: string;
}

export interface MetricDatum {
  MetricName: string;
  Value: number;
  Timestamp: number;
}

/** DescribeTrainingJob output as stored; times are epoch seconds. */
export interface TrainingJobDoc {
  TrainingJobName: string;
  TrainingJobArn: string;
  TrainingJobStatus: TrainingJobStatus;
  SecondaryStatus: string;
  AlgorithmSpecification: {
    TrainingImage: string;
    TrainingInputMode: 'Pipe' | 'File' | 'FastFile';
    MetricDefinitions?: { Name: string; Regex: string }[];
    ContainerEntrypoint?: string[];
    ContainerArguments?: string[];
    [k: string]: unknown;
  };
  RoleArn: string;
  HyperParameters?: Record<string, string>;
  InputDataConfig?: ChannelDoc[];
  OutputDataConfig: { S3OutputPath: string; KmsKeyId?: string; CompressionType?: string };
  ResourceConfig: { InstanceType: string; InstanceCount: number; VolumeSizeInGB: number; [k: string]: unknown };
  StoppingCondition: { MaxRuntimeInSeconds: number; MaxWaitTimeInSeconds?: number };
  Environment?: Record<string, string>;
  CheckpointConfig?: { S3Uri: string; LocalPath?: string };
  /** Synced to S3OutputPath while the job runs and at the end, like checkpoints. */
  TensorBoardOutputConfig?: { S3OutputPath: string; LocalPath?: string };
  EnableNetworkIsolation?: boolean;
  ModelArtifacts: { S3ModelArtifacts: string };
  CreationTime: number;
  LastModifiedTime: number;
  TrainingStartTime?: number;
  TrainingEndTime?: number;
  TrainingTimeInSeconds?: number;
  BillableTimeInSeconds?: number;
  FailureReason?: string;
  SecondaryStatusTransitions: SecondaryStatusTransition[];
  FinalMetricDataList?: MetricDatum[];
  [k: string]: unknown;
}

export const TrainingJobStatus = {
  InProgress: 'InProgress',
  Completed: 'Completed',
  Failed: 'Failed',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
} as const;
export type TrainingJobStatus = (typeof TrainingJobStatus)[keyof typeof TrainingJobStatus];

export const TERMINAL_STATUSES: readonly string[] = ['Completed', 'Failed', 'Stopped'];

export type TrainingStep = JobStep;
export type { HostState };

export interface TrainingJobInternal extends HostJobInternal {
  /** Epoch ms the stop signal was sent (so a restart does not resend it needlessly). */
  stopSentAt?: number;
  /** Metric time series for the console (capped). */
  metricSeries?: Record<string, [number, number][]>;
}
