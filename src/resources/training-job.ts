/**
 * @module resources/training-job — a training job as stored: the Describe document (wire names,
 * epoch-second times), the controller's bookkeeping (`internal`), and the pure transitions of the
 * document: secondary status history, terminal times and billable seconds (contract §2.2).
 */
import { truncateReason } from './failure-reason.js';
import type { HostJobInternal, HostState, JobStatus, JobStep } from './job.js';
import { wireTime } from './wire-time.js';

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

export type TrainingJobStatus = JobStatus;

export type TrainingStep = JobStep;
export type { HostState };

export interface TrainingJobInternal extends HostJobInternal {
  /** Epoch ms the stop signal was sent (so a restart does not resend it needlessly). */
  stopSentAt?: number;
  /** Metric time series for the console (capped). */
  metricSeries?: Record<string, [number, number][]>;
}

/** Default message per secondary status; the SDK prints StatusMessage unguarded, so always set one. */
export const STATUS_MESSAGES: Record<string, string> = {
  Starting: 'Launching requested ML instances',
  Downloading: 'Downloading input data',
  Training: 'Training image download completed. Training in progress.',
  Uploading: 'Uploading generated training model',
  Completed: 'Training job completed',
  Failed: 'Training job failed',
  Stopping: 'Stopping the training job',
  Stopped: 'Training job stopped',
  MaxRuntimeExceeded: 'Job stopped because it exceeded MaxRuntimeInSeconds',
};

/**
 * Moves to `status`, ending the current transition when the status changes. Re-entering the
 * current status only refreshes its message, so a repeated reconcile step adds no duplicate.
 */
export function setSecondaryStatus(doc: TrainingJobDoc, status: string, nowMs: number, message?: string): void {
  const list = doc.SecondaryStatusTransitions;
  const last = list[list.length - 1];
  const msg = message ?? STATUS_MESSAGES[status] ?? status;
  if (last && last.Status === status && last.EndTime === undefined) {
    last.StatusMessage = msg;
    doc.SecondaryStatus = status;
    return;
  }
  if (last && last.EndTime === undefined) last.EndTime = wireTime(nowMs);
  list.push({ Status: status, StartTime: wireTime(nowMs), StatusMessage: msg });
  doc.SecondaryStatus = status;
}

export type FinalOutcome =
  | { status: 'Completed' }
  | { status: 'Failed'; reason: string }
  | { status: 'Stopped'; secondary: 'Stopped' | 'MaxRuntimeExceeded' };

/** Ends the job: terminal status, last transition closed, end time and billable seconds. */
export function finish(doc: TrainingJobDoc, outcome: FinalOutcome, nowMs: number): void {
  const end = wireTime(nowMs);
  if (outcome.status === 'Completed') {
    doc.TrainingJobStatus = 'Completed';
    setSecondaryStatus(doc, 'Completed', nowMs);
  } else if (outcome.status === 'Failed') {
    doc.TrainingJobStatus = 'Failed';
    doc.FailureReason = truncateReason(outcome.reason);
    setSecondaryStatus(doc, 'Failed', nowMs, doc.FailureReason);
  } else {
    doc.TrainingJobStatus = 'Stopped';
    setSecondaryStatus(doc, outcome.secondary, nowMs);
  }
  // The terminal transition has no successor; SageMaker closes it at the end time.
  const last = doc.SecondaryStatusTransitions[doc.SecondaryStatusTransitions.length - 1]!;
  last.EndTime = end;
  if (doc.TrainingStartTime !== undefined) {
    doc.TrainingEndTime = end;
    const secs = Math.max(1, Math.round(end - doc.TrainingStartTime));
    doc.TrainingTimeInSeconds = secs;
    doc.BillableTimeInSeconds = secs;
  }
}

/** Replaces FinalMetricDataList with the last value per metric. */
export function mergeFinalMetrics(doc: TrainingJobDoc, latest: Map<string, MetricDatum>): void {
  if (latest.size === 0) return;
  const byName = new Map((doc.FinalMetricDataList ?? []).map((m) => [m.MetricName, m]));
  for (const [name, d] of latest) byName.set(name, d);
  doc.FinalMetricDataList = [...byName.values()];
}
