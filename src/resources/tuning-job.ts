/**
 * @module resources/tuning-job — a hyperparameter tuning job as stored: the Describe document, the
 * controller's bookkeeping (the children it launched and the points it chose), and the pure
 * summaries of its children: status counters, objective status, best training job.
 */
import { createHash } from 'node:crypto';
import type { TrainingJobDoc } from './training-job.js';

export const TuningJobStatus = { InProgress: 'InProgress', Completed: 'Completed', Failed: 'Failed', Stopping: 'Stopping', Stopped: 'Stopped' } as const;
export type TuningJobStatus = (typeof TuningJobStatus)[keyof typeof TuningJobStatus];

export const TUNING_TERMINAL: readonly string[] = [TuningJobStatus.Completed, TuningJobStatus.Failed, TuningJobStatus.Stopped];

export interface TuningObjective {
  Type: 'Maximize' | 'Minimize';
  MetricName: string;
}

export interface TuningJobConfigDoc {
  Strategy: string;
  HyperParameterTuningJobObjective?: TuningObjective;
  ResourceLimits: { MaxNumberOfTrainingJobs?: number; MaxParallelTrainingJobs: number; MaxRuntimeInSeconds?: number };
  ParameterRanges?: ParameterRangesDoc;
  TrainingJobEarlyStoppingType?: string;
  RandomSeed?: number;
  [member: string]: unknown;
}

export interface ParameterRangesDoc {
  IntegerParameterRanges?: { Name: string; MinValue: string; MaxValue: string; ScalingType?: string }[];
  ContinuousParameterRanges?: { Name: string; MinValue: string; MaxValue: string; ScalingType?: string }[];
  CategoricalParameterRanges?: { Name: string; Values: string[] }[];
  [member: string]: unknown;
}

export interface TrainingJobDefinitionDoc {
  AlgorithmSpecification: { TrainingImage?: string; TrainingInputMode: string; MetricDefinitions?: { Name: string; Regex: string }[]; [k: string]: unknown };
  RoleArn: string;
  StaticHyperParameters?: Record<string, string>;
  OutputDataConfig: { S3OutputPath: string; [k: string]: unknown };
  StoppingCondition: { MaxRuntimeInSeconds?: number; [k: string]: unknown };
  [member: string]: unknown;
}

export interface StatusCounters {
  Completed: number;
  InProgress: number;
  RetryableError: number;
  NonRetryableError: number;
  Stopped: number;
}

export interface ObjectiveCounters {
  Succeeded: number;
  Pending: number;
  Failed: number;
}

/** HyperParameterTrainingJobSummary as the Describe and ListTrainingJobsFor… answers carry it. */
export interface TrainingJobSummaryDoc {
  TrainingJobName: string;
  TrainingJobArn: string;
  TuningJobName: string;
  CreationTime: number;
  TrainingStartTime?: number;
  TrainingEndTime?: number;
  TrainingJobStatus: string;
  TunedHyperParameters: Record<string, string>;
  FailureReason?: string;
  FinalHyperParameterTuningJobObjectiveMetric?: { Type?: string; MetricName: string; Value: number };
  ObjectiveStatus: 'Succeeded' | 'Pending' | 'Failed';
}

/** DescribeHyperParameterTuningJob as stored; times are epoch seconds. */
export interface TuningJobDoc {
  HyperParameterTuningJobName: string;
  HyperParameterTuningJobArn: string;
  HyperParameterTuningJobConfig: TuningJobConfigDoc;
  TrainingJobDefinition: TrainingJobDefinitionDoc;
  HyperParameterTuningJobStatus: TuningJobStatus;
  CreationTime: number;
  LastModifiedTime: number;
  HyperParameterTuningEndTime?: number;
  TrainingJobStatusCounters: StatusCounters;
  ObjectiveStatusCounters: ObjectiveCounters;
  BestTrainingJob?: TrainingJobSummaryDoc;
  OverallBestTrainingJob?: TrainingJobSummaryDoc;
  FailureReason?: string;
  [member: string]: unknown;
}

/** One training job the tuning job launched: its name, the point chosen (normalised) and the values sent. */
export interface TuningChild {
  name: string;
  point: number[];
  tuned: Record<string, string>;
  /** Set when CreateTrainingJob refused the child: counted as a NonRetryableError. */
  launchError?: string;
  /** Why early stopping or Hyperband stopped it (set once, before its StopTrainingJob). */
  stopReason?: string;
  /** Set once its training job ended: the objective it reported, null for none (warm start children read this, not the training job). */
  finalObjective?: number | null;
}

/** A warm start parent's finished training job placed in this job's search space, with its raw objective value. */
export interface TuningPrior {
  point: number[];
  value: number;
}

export interface TuningJobInternal {
  region: string;
  accountId: string;
  children: TuningChild[];
  /** Warm start: the parents' training jobs with an objective that fit this job's ranges (read once, at create). */
  priors?: TuningPrior[];
  /** Warm start IdenticalDataAndAlgorithm: the parents' best training jobs, for OverallBestTrainingJob. */
  parentBest?: TrainingJobSummaryDoc[];
}

/** The objective value a finished child reported, if its final metrics carry the objective's metric. */
export function objectiveValue(job: Pick<TrainingJobDoc, 'FinalMetricDataList'>, metricName: string): number | undefined {
  const m = job.FinalMetricDataList?.find((d) => d.MetricName === metricName);
  return m && Number.isFinite(m.Value) ? m.Value : undefined;
}

/** A child as ListTrainingJobsForHyperParameterTuningJob and BestTrainingJob show it. */
export function childSummary(tuningName: string, child: TuningChild, job: TrainingJobDoc | undefined, objective: TuningObjective | undefined): TrainingJobSummaryDoc {
  const status = job?.TrainingJobStatus ?? (child.launchError ? 'Failed' : 'InProgress');
  const value = job && objective ? objectiveValue(job, objective.MetricName) : undefined;
  const s: TrainingJobSummaryDoc = {
    TrainingJobName: child.name,
    TrainingJobArn: job?.TrainingJobArn ?? '',
    TuningJobName: tuningName,
    CreationTime: job?.CreationTime ?? 0,
    TrainingJobStatus: status,
    TunedHyperParameters: child.tuned,
    ObjectiveStatus: value !== undefined ? 'Succeeded' : status === 'InProgress' || status === 'Stopping' ? 'Pending' : 'Failed',
  };
  if (job?.TrainingStartTime !== undefined) s.TrainingStartTime = job.TrainingStartTime;
  if (job?.TrainingEndTime !== undefined) s.TrainingEndTime = job.TrainingEndTime;
  const reason = job?.FailureReason ?? child.launchError;
  if (reason) s.FailureReason = reason;
  if (value !== undefined && objective) s.FinalHyperParameterTuningJobObjectiveMetric = { Type: objective.Type, MetricName: objective.MetricName, Value: value };
  return s;
}

/** Status and objective counters over the children's summaries. */
export function countChildren(summaries: readonly TrainingJobSummaryDoc[]): { status: StatusCounters; objective: ObjectiveCounters } {
  const status: StatusCounters = { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 };
  const objective: ObjectiveCounters = { Succeeded: 0, Pending: 0, Failed: 0 };
  for (const s of summaries) {
    if (s.TrainingJobStatus === 'Completed') status.Completed++;
    else if (s.TrainingJobStatus === 'Stopped') status.Stopped++;
    else if (s.TrainingJobStatus === 'Failed') status.NonRetryableError++;
    else status.InProgress++;
    objective[s.ObjectiveStatus]++;
  }
  return { status, objective };
}

/** The best child by the objective (ties: the earlier job), or undefined when none reported it. */
export function bestChild(summaries: readonly TrainingJobSummaryDoc[], objective: TuningObjective): TrainingJobSummaryDoc | undefined {
  let best: TrainingJobSummaryDoc | undefined;
  for (const s of summaries) {
    const v = s.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    if (v === undefined) continue;
    const b = best?.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    if (b === undefined || (objective.Type === 'Maximize' ? v > b : v < b)) best = s;
  }
  return best;
}

/**
 * How the tuning controller starts and stops its training jobs: CreateTrainingJob's and
 * StopTrainingJob's own code path (wired in server/, since controllers never import handlers).
 * `create` throws the ServiceError CreateTrainingJob would answer when it refuses the request.
 */
export interface TrainingJobLauncher {
  create(ctx: { region: string; accountId: string }, input: Record<string, unknown>, tuningJobArn: string): Promise<void>;
  /** Requests the stop of an InProgress job; a job that already ended is left as it is. */
  stop(name: string): Promise<void>;
}

/**
 * SageMaker's child job name: `<tuning job>-<NNN>-<8 hex>` (tuning job names are at most 32
 * characters, so this stays within the 63 of a training job name).
 */
export function childJobName(tuningName: string, tuningArn: string, index: number): string {
  const hash = createHash('sha256').update(`${tuningArn}#${index}`).digest('hex').slice(0, 8);
  return `${tuningName}-${String(index + 1).padStart(3, '0')}-${hash}`;
}

/** Members of a training job definition that are not CreateTrainingJob members (or are renamed). */
const DEFINITION_ONLY = new Set(['DefinitionName', 'TuningObjective', 'HyperParameterRanges', 'StaticHyperParameters', 'HyperParameterTuningResourceConfig']);

/**
 * The CreateTrainingJob request of one child: the definition's members, the static hyperparameters
 * with the tuned ones over them, and `_tuning_objective_metric` as SageMaker adds it (the metric
 * name, for algorithms that report only what they are tuned on).
 */
export function childTrainingRequest(def: TrainingJobDefinitionDoc, name: string, tuned: Record<string, string>, objective: TuningObjective | undefined): Record<string, unknown> {
  const req: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def)) if (!DEFINITION_ONLY.has(k) && v !== undefined) req[k] = v;
  const hrc = def.HyperParameterTuningResourceConfig as Record<string, unknown> | undefined;
  if (req.ResourceConfig === undefined && hrc) {
    const { AllocationStrategy: _a, InstanceConfigs: _i, ...rc } = hrc;
    req.ResourceConfig = rc;
  }
  req.TrainingJobName = name;
  req.HyperParameters = { ...(objective ? { _tuning_objective_metric: objective.MetricName } : {}), ...(def.StaticHyperParameters ?? {}), ...tuned };
  return req;
}
