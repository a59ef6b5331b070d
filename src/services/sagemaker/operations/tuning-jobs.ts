/**
 * @module services/sagemaker/operations/tuning-jobs — CreateHyperParameterTuningJob, Describe…,
 * List…, Stop…, ListTrainingJobsForHyperParameterTuningJob. Handlers check the request (the
 * search space, the objective, and the first child as CreateTrainingJob would check it), write
 * the record InProgress and enqueue it; controllers/tuning-job launches and follows the children.
 *
 *   Create → InProgress ──controller──▶ Completed | Failed
 *   Stop   → Stopping   ──controller──▶ Stopped (running children stopped)
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { CreateHyperParameterTuningJobRequest, CreateTrainingJobRequest, HyperParameterTrainingJobSummary, HyperParameterTuningJobSummary, ListTrainingJobsForHyperParameterTuningJobRequest } from '../generated/types.js';
import { sageMakerArn } from '../../../resources/arn.js';
import { resourceKey, type ResourceRecord } from '../../../resources/kinds.js';
import { decodePoint, gridSize, searchSpace } from '../../../resources/search-space.js';
import {
  TUNING_TERMINAL,
  TuningJobStatus,
  childJobName,
  childSummary,
  childTrainingRequest,
  type TrainingJobDefinitionDoc,
  type TrainingJobLauncher,
  type TrainingJobSummaryDoc,
  type TuningJobConfigDoc,
  type TuningJobDoc,
} from '../../../resources/tuning-job.js';
import { wireTime } from '../../../resources/wire-time.js';
import { ResourceExistsError } from '../../../storage/resource-store.js';
import type { SageMakerDeps } from '../deps.js';
import { ResourceInUse, ResourceLimitExceeded, ResourceNotFound } from '../errors.js';
import { listResources } from '../list-params.js';
import { requestJobStop } from '../job-operations.js';
import { checkRoleArn } from '../role-check.js';
import { checkCreateTags } from './tags.js';
import { checkGpuQuota } from '../gpu-quota.js';
import { checkCreate as checkTrainingJob, createTrainingJob } from './training-jobs.js';
import { hyperbandBounds } from '../../../resources/hyperband-config.js';
import { warmStart, type WarmStartSeed } from './tuning-warm-start.js';

const KIND = 'hyper-parameter-tuning-job';
const SUPPORTED_STRATEGIES = new Set(['Random', 'Bayesian', 'Grid', 'Hyperband']);
/** SageMaker's tuning quotas (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-limits.html); they also bound what one request can make the controller do. */
const MAX_TRAINING_JOBS = 750;
const MAX_PARALLEL_JOBS = 100;
const QUOTAS = 'https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-limits.html';

function notFound(name: string): ResourceNotFound {
  return new ResourceNotFound(`Amazon SageMaker can't find a tuning job with name ${name}`);
}

/** What Slipway cannot run, refused by name rather than ignored. */
function checkSupported(input: CreateHyperParameterTuningJobRequest): void {
  const cfg = input.HyperParameterTuningJobConfig;
  if (input.TrainingJobDefinitions?.length) throw new ValidationException('TrainingJobDefinitions (several algorithms in one tuning job) is not supported by Slipway; give one TrainingJobDefinition.');
  if (!input.TrainingJobDefinition) throw new ValidationException('TrainingJobDefinition is required.');
  if (input.Autotune) throw new ValidationException('Autotune is not supported by Slipway; give the strategy and ranges.');
  if (!SUPPORTED_STRATEGIES.has(cfg.Strategy)) throw new ValidationException(`Strategy ${cfg.Strategy} is not supported by Slipway; use Bayesian, Random, Grid or Hyperband.`);
  if (cfg.TuningJobCompletionCriteria) throw new ValidationException('TuningJobCompletionCriteria is not supported by Slipway yet; use ResourceLimits.');
}

/** Hyperband's own checks (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_HyperbandStrategyConfig.html). */
function checkHyperband(input: CreateHyperParameterTuningJobRequest): void {
  const cfg = input.HyperParameterTuningJobConfig;
  if (cfg.Strategy !== 'Hyperband') {
    if (cfg.StrategyConfig?.HyperbandStrategyConfig) throw new ValidationException(`HyperbandStrategyConfig is provided only with the Hyperband strategy, not ${cfg.Strategy}.`);
    return;
  }
  // "Because the Hyperband strategy has its own advanced internal early stopping mechanism, TrainingJobEarlyStoppingType must be OFF to use Hyperband." (HyperParameterTuningJobConfig)
  if (cfg.TrainingJobEarlyStoppingType === 'Auto') throw new ValidationException('TrainingJobEarlyStoppingType must be Off to use Hyperband, which stops training jobs early itself.');
  const bounds = hyperbandBounds(cfg.StrategyConfig, input.TrainingJobDefinition?.StaticHyperParameters);
  if ('problem' in bounds) throw new ValidationException(bounds.problem);
}

function checkCreateTuning(input: CreateHyperParameterTuningJobRequest): void {
  checkSupported(input);
  checkHyperband(input);
  const cfg = input.HyperParameterTuningJobConfig;
  const def = input.TrainingJobDefinition!;
  const { dims, problems } = searchSpace(def.HyperParameterRanges ?? cfg.ParameterRanges);
  if (problems.length) throw new ValidationException(problems.join(' '));
  if (dims.length === 0) throw new ValidationException('ParameterRanges must name at least one hyperparameter to tune.');
  const objective = cfg.HyperParameterTuningJobObjective;
  if (!objective) throw new ValidationException('HyperParameterTuningJobObjective is required.');
  const defined = (def.AlgorithmSpecification.MetricDefinitions ?? []).map((m) => m.Name);
  if (!defined.includes(objective.MetricName)) {
    throw new ValidationException(
      `The objective metric ${objective.MetricName} is not among AlgorithmSpecification.MetricDefinitions (${defined.join(', ') || 'none'}); ` +
        'define it with a Regex that matches what the training container prints.',
    );
  }
  const limits = cfg.ResourceLimits;
  if ((limits.MaxNumberOfTrainingJobs ?? 0) > MAX_TRAINING_JOBS) throw new ResourceLimitExceeded(`MaxNumberOfTrainingJobs is at most ${MAX_TRAINING_JOBS} (${QUOTAS}).`);
  if (limits.MaxParallelTrainingJobs > MAX_PARALLEL_JOBS) throw new ResourceLimitExceeded(`MaxParallelTrainingJobs is at most ${MAX_PARALLEL_JOBS} (${QUOTAS}).`);
  if (cfg.Strategy === 'Grid') {
    if (dims.some((d) => d.kind !== 'Categorical')) throw new ValidationException('The Grid strategy takes only CategoricalParameterRanges.');
    const size = gridSize(dims);
    if (size > MAX_TRAINING_JOBS) throw new ResourceLimitExceeded(`The Grid strategy's ${size} combinations exceed the ${MAX_TRAINING_JOBS} training jobs a tuning job may run (${QUOTAS}).`);
  } else if (cfg.ResourceLimits.MaxNumberOfTrainingJobs === undefined) {
    throw new ValidationException(`ResourceLimits.MaxNumberOfTrainingJobs is required for the ${cfg.Strategy} strategy.`);
  }
  const parallel = cfg.ResourceLimits.MaxParallelTrainingJobs;
  const max = cfg.ResourceLimits.MaxNumberOfTrainingJobs;
  if (max !== undefined && parallel > max) throw new ValidationException(`MaxParallelTrainingJobs (${parallel}) cannot exceed MaxNumberOfTrainingJobs (${max}).`);
}

/** HyperParameterTuningJobConfig as Describe shows it: the request with the documented defaults filled in. */
function describedConfig(input: CreateHyperParameterTuningJobRequest, gridJobs: number): TuningJobConfigDoc {
  const cfg = input.HyperParameterTuningJobConfig;
  const limits = { ...cfg.ResourceLimits, ...(cfg.Strategy === 'Grid' ? { MaxNumberOfTrainingJobs: Math.min(cfg.ResourceLimits.MaxNumberOfTrainingJobs ?? gridJobs, gridJobs) } : {}) };
  const out: TuningJobConfigDoc = { ...(cfg as TuningJobConfigDoc), ResourceLimits: limits, TrainingJobEarlyStoppingType: cfg.TrainingJobEarlyStoppingType ?? 'Off' };
  if (input.TrainingJobDefinition?.HyperParameterRanges && !cfg.ParameterRanges) out.ParameterRanges = input.TrainingJobDefinition.HyperParameterRanges as TuningJobConfigDoc['ParameterRanges'];
  return out;
}

function tuningSummary(r: ResourceRecord<'hyper-parameter-tuning-job'>): HyperParameterTuningJobSummary {
  const d = r.doc;
  return {
    HyperParameterTuningJobName: d.HyperParameterTuningJobName,
    HyperParameterTuningJobArn: d.HyperParameterTuningJobArn,
    HyperParameterTuningJobStatus: d.HyperParameterTuningJobStatus,
    Strategy: d.HyperParameterTuningJobConfig.Strategy as HyperParameterTuningJobSummary['Strategy'],
    CreationTime: d.CreationTime,
    LastModifiedTime: wireTime(r.lastModifiedTime),
    ...(d.HyperParameterTuningEndTime !== undefined ? { HyperParameterTuningEndTime: d.HyperParameterTuningEndTime } : {}),
    TrainingJobStatusCounters: d.TrainingJobStatusCounters,
    ObjectiveStatusCounters: d.ObjectiveStatusCounters,
    ResourceLimits: d.HyperParameterTuningJobConfig.ResourceLimits,
  };
}

/** The training jobs a tuning job launched, filtered, sorted and paged as the operation documents. */
async function listChildren(deps: SageMakerDeps, input: ListTrainingJobsForHyperParameterTuningJobRequest): Promise<{ TrainingJobSummaries: HyperParameterTrainingJobSummary[]; NextToken?: string }> {
  const rec = await deps.resources.get(KIND, input.HyperParameterTuningJobName);
  if (!rec) throw notFound(input.HyperParameterTuningJobName);
  const objective = rec.doc.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
  let items: TrainingJobSummaryDoc[] = await Promise.all(rec.internal.children.map(async (c) => childSummary(rec.name, c, (await deps.resources.get('training-job', c.name))?.doc, objective)));
  if (input.StatusEquals) items = items.filter((s) => s.TrainingJobStatus === input.StatusEquals);
  const sortBy = input.SortBy ?? 'Name';
  // "If the value of this field is FinalObjectiveMetricValue, any training jobs that did not return an objective metric are not listed." (model doc)
  if (sortBy === 'FinalObjectiveMetricValue') items = items.filter((s) => s.FinalHyperParameterTuningJobObjectiveMetric !== undefined);
  const key = (s: TrainingJobSummaryDoc): string | number =>
    sortBy === 'CreationTime' ? s.CreationTime : sortBy === 'Status' ? s.TrainingJobStatus : sortBy === 'FinalObjectiveMetricValue' ? s.FinalHyperParameterTuningJobObjectiveMetric!.Value : s.TrainingJobName;
  const dir = input.SortOrder === 'Descending' ? -1 : 1;
  items.sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : a.TrainingJobName.localeCompare(b.TrainingJobName)));
  const offset = input.NextToken === undefined ? 0 : decodeOffset(input.NextToken);
  const max = input.MaxResults ?? 10;
  const page = items.slice(offset, offset + max) as HyperParameterTrainingJobSummary[];
  return offset + max < items.length ? { TrainingJobSummaries: page, NextToken: Buffer.from(JSON.stringify({ o: offset + max })).toString('base64url') } : { TrainingJobSummaries: page };
}

function decodeOffset(token: string): number {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // fall through
  }
  throw new ValidationException('Invalid pagination token.');
}

/**
 * The SDK sends HyperParameterTuningResourceConfig, yet its HyperparameterTuner.attach reads
 * TrainingJobDefinition.ResourceConfig (estimator.py `_prepare_init_params_from_job_description`):
 * Describe carries both, ResourceConfig being the single-instance-type part.
 */
function resourceConfigOf(def: TrainingJobDefinitionDoc): { ResourceConfig?: Record<string, unknown> } {
  if (def.ResourceConfig !== undefined) return {};
  const hrc = def.HyperParameterTuningResourceConfig as Record<string, unknown> | undefined;
  if (!hrc) return {};
  if (Array.isArray(hrc.InstanceConfigs) && hrc.InstanceConfigs.length) {
    throw new ValidationException('HyperParameterTuningResourceConfig.InstanceConfigs (several instance types) is not supported by Slipway; give InstanceType and InstanceCount.');
  }
  const { AllocationStrategy: _a, InstanceConfigs: _i, ...rc } = hrc;
  return { ResourceConfig: rc };
}

/** The launcher the tuning controller is given: CreateTrainingJob's and StopTrainingJob's own path. */
export function trainingJobLauncher(deps: SageMakerDeps): TrainingJobLauncher {
  return {
    create: async (ctx, input, tuningJobArn) => {
      await createTrainingJob(deps, ctx, input as CreateTrainingJobRequest, { TuningJobArn: tuningJobArn });
    },
    stop: (name) => requestJobStop(deps, 'training-job', name, 'training jobs', (deps.now ?? Date.now)()),
  };
}

export function tuningJobOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => (deps.now ?? Date.now)();

  const create = async (ctx: RequestContext, input: CreateHyperParameterTuningJobRequest) => {
    checkCreateTuning(input);
    const objective = input.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective!;
    // SageMaker adds the objective's name to the static hyperparameters, and Describe shows it there:
    // the SDK's HyperparameterTuner.attach deletes StaticHyperParameters["_tuning_objective_metric"] (tuner.py).
    const given = input.TrainingJobDefinition! as unknown as TrainingJobDefinitionDoc;
    const def: TrainingJobDefinitionDoc = {
      ...given,
      StaticHyperParameters: { ...(given.StaticHyperParameters ?? {}), _tuning_objective_metric: objective.MetricName },
      ...resourceConfigOf(given),
    };
    const name = input.HyperParameterTuningJobName;
    const arn = sageMakerArn(ctx.region, ctx.accountId, KIND, name);
    const cfg = input.HyperParameterTuningJobConfig;
    const { dims } = searchSpace(input.TrainingJobDefinition!.HyperParameterRanges ?? cfg.ParameterRanges);
    // The first child, checked as CreateTrainingJob would check it: a definition it would refuse fails here, not later.
    const sample = childTrainingRequest(def, childJobName(name, arn, 0), decodePoint(dims, dims.map(() => 0)), cfg.HyperParameterTuningJobObjective);
    checkTrainingJob(sample as CreateTrainingJobRequest);
    // GPU types on a host without GPUs: refused here, as each child would be.
    const rc = (def.ResourceConfig ?? {}) as { InstanceType?: string; InstanceCount?: number };
    checkGpuQuota(rc.InstanceType, rc.InstanceCount ?? 1, 'training job', deps.config.containers.gpus);
    await checkRoleArn(deps, ctx, def.RoleArn, 'job');
    const tags = checkCreateTags(input.Tags);
    const config = describedConfig(input, cfg.Strategy === 'Grid' ? gridSize(dims) : 0);
    const seed: WarmStartSeed | undefined = input.WarmStartConfig
      ? await warmStart(deps, input.WarmStartConfig, def, dims, objective, config.ResourceLimits.MaxNumberOfTrainingJobs ?? 0, MAX_TRAINING_JOBS)
      : undefined;
    const t = now();
    const doc: TuningJobDoc = {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobArn: arn,
      HyperParameterTuningJobConfig: config,
      TrainingJobDefinition: def,
      HyperParameterTuningJobStatus: TuningJobStatus.InProgress,
      CreationTime: wireTime(t),
      LastModifiedTime: wireTime(t),
      TrainingJobStatusCounters: { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 },
      ObjectiveStatusCounters: { Succeeded: 0, Pending: 0, Failed: 0 },
      ...(input.WarmStartConfig ? { WarmStartConfig: input.WarmStartConfig } : {}),
    };
    try {
      await deps.resources.create({ kind: KIND, name, arn, status: TuningJobStatus.InProgress, creationTime: t, lastModifiedTime: t, doc, internal: { region: ctx.region, accountId: ctx.accountId, children: [], ...seed } });
    } catch (err) {
      if (err instanceof ResourceExistsError) throw new ResourceInUse(`Hyperparameter tuning job names must be unique within an AWS account and region, and a tuning job with this name already exists (${arn})`);
      throw err;
    }
    if (tags.length) await deps.tags.put(arn, tags);
    deps.queue.enqueue(resourceKey(KIND, name));
    return { HyperParameterTuningJobArn: arn };
  };

  return {
    CreateHyperParameterTuningJob: create,

    DescribeHyperParameterTuningJob: async (_ctx, input) => {
      const rec = await deps.resources.get(KIND, input.HyperParameterTuningJobName);
      if (!rec) throw notFound(input.HyperParameterTuningJobName);
      return { ...rec.doc, LastModifiedTime: wireTime(rec.lastModifiedTime) };
    },

    ListHyperParameterTuningJobs: async (_ctx, input) => {
      // Documented defaults: SortBy Name, SortOrder Ascending, MaxResults 10.
      const page = await listResources(deps.resources, KIND, { ...input, SortBy: input.SortBy ?? 'Name', MaxResults: input.MaxResults ?? 10 }, 'Ascending');
      return { HyperParameterTuningJobSummaries: page.items.map(tuningSummary), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    },

    StopHyperParameterTuningJob: async (_ctx, input) => {
      const name = input.HyperParameterTuningJobName;
      const t = now();
      let state = '';
      const rec = await deps.resources.update(
        KIND,
        name,
        (r) => {
          state = r.status;
          if (state !== TuningJobStatus.InProgress) return;
          r.status = TuningJobStatus.Stopping;
          r.doc.HyperParameterTuningJobStatus = TuningJobStatus.Stopping;
          r.doc.LastModifiedTime = wireTime(t);
        },
        { now: t },
      );
      if (!rec) throw notFound(name);
      if (state === TuningJobStatus.Stopping) return {};
      if (state !== TuningJobStatus.InProgress) throw new ValidationException(`The tuning job status is ${state}. Only InProgress tuning jobs can be stopped.`);
      deps.queue.enqueue(resourceKey(KIND, name));
      return {};
    },

    ListTrainingJobsForHyperParameterTuningJob: (_ctx, input) => listChildren(deps, input),

    // "deletes only the tuning job entry": its training jobs stay. A running job is refused, since its controller still needs the record.
    DeleteHyperParameterTuningJob: async (_ctx, input) => {
      const rec = await deps.resources.get(KIND, input.HyperParameterTuningJobName);
      if (!rec) throw notFound(input.HyperParameterTuningJobName);
      if (!TUNING_TERMINAL.includes(rec.status)) {
        throw new ValidationException(`The tuning job status is ${rec.status}. Stop the tuning job and wait until it is Stopped before deleting it.`);
      }
      await deps.resources.delete(KIND, rec.name);
      await deps.tags.delete(rec.arn, (await deps.tags.list(rec.arn)).map((t) => t.Key));
      return {};
    },
  };
}
