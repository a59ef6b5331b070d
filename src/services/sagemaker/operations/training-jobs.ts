/**
 * @module services/sagemaker/operations/training-jobs — CreateTrainingJob, DescribeTrainingJob,
 * ListTrainingJobs, StopTrainingJob (contract §2.2). Handlers only read and write the record and
 * enqueue `training-job:<name>`; the training-job controller runs the containers.
 *
 *   CreateTrainingJob → InProgress/Starting ──controller──▶ Completed | Failed | Stopped
 *   StopTrainingJob   → Stopping/Stopping   ──controller──▶ Stopped (SIGTERM, grace, upload)
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { CreateTrainingJobRequest, ListTrainingJobsResponse, SecondaryStatus, TrainingJobSummary } from '../generated/types.js';
import { type ChannelDoc, type TrainingJobDoc, setSecondaryStatus } from '../../../resources/training-job.js';
import { joinUri } from '../../../resources/s3-uri.js';
import { sageMakerArn } from '../../../resources/arn.js';
import type { SageMakerDeps } from '../deps.js';
import { checkRoleArn } from '../role-check.js';
import { describedTrainingJob } from '../describe-defaults.js';
import { listResources } from '../list-params.js';
import { checkDataUri, createJobRecord, describeJob, requestJobStop } from '../job-operations.js';
import { checkCreateTags } from './tags.js';
import { checkGpuQuota } from '../gpu-quota.js';
import { wireTime } from '../../../resources/wire-time.js';
import { invalidMetricRegexes } from '../../../resources/metric-definitions.js';
import { cleanContainerDir, containerDirProblem, DEFAULT_CHECKPOINT_PATH, DEFAULT_TENSORBOARD_PATH } from '../../../resources/container-dir.js';

/** StoppingCondition.MaxRuntimeInSeconds when absent: one day (model doc). */
const DEFAULT_MAX_RUNTIME_SECONDS = 86_400;

// Request members that are not echoed by Describe (or are echoed under other names).
const NOT_ECHOED = new Set(['TrainingJobName', 'Tags']);

/** Checks what the model cannot express (contract §2.2: BYOC needs image, type and count). */
export function checkCreate(input: CreateTrainingJobRequest): void {
  const algo = input.AlgorithmSpecification;
  if (!algo) throw new ValidationException('AlgorithmSpecification is required.');
  if (!algo.TrainingImage) {
    throw new ValidationException(
      algo.AlgorithmName
        ? 'AlgorithmName is not supported by Slipway: give AlgorithmSpecification.TrainingImage (a locally built image).'
        : 'AlgorithmSpecification.TrainingImage is required.',
    );
  }
  if (!algo.TrainingInputMode) throw new ValidationException('AlgorithmSpecification.TrainingInputMode is required.');
  const bad = invalidMetricRegexes(algo.MetricDefinitions ?? []);
  // Matched with RE2 (linear time, controllers/training-job/metrics.ts): lookahead and backreferences are refused here.
  if (bad.length) throw new ValidationException(`MetricDefinitions ${bad.join('; ')}.`);
  const rc = input.ResourceConfig;
  if (!rc) throw new ValidationException('ResourceConfig is required.');
  if (rc.InstanceGroups && rc.InstanceGroups.length > 0) throw new ValidationException('ResourceConfig.InstanceGroups (heterogeneous clusters) is not supported by Slipway.');
  if (!rc.InstanceType) throw new ValidationException('ResourceConfig.InstanceType is required.');
  if (!rc.InstanceCount) throw new ValidationException('ResourceConfig.InstanceCount is required.');
  if (rc.VolumeSizeInGB === undefined) throw new ValidationException('ResourceConfig.VolumeSizeInGB is required.');
  checkDataUri(input.OutputDataConfig?.S3OutputPath, 'OutputDataConfig.S3OutputPath');
  checkDataUri(input.CheckpointConfig?.S3Uri, 'CheckpointConfig.S3Uri');
  checkLocalPaths(input);
  const names = new Set<string>();
  for (const ch of input.InputDataConfig ?? []) {
    const lower = ch.ChannelName;
    if (names.has(lower)) throw new ValidationException(`Channel names must be unique: ${ch.ChannelName} appears more than once in InputDataConfig.`);
    names.add(lower);
    const src = ch.DataSource?.S3DataSource;
    if (!src) throw new ValidationException(`Channel ${ch.ChannelName}: only S3DataSource is supported by Slipway.`);
    checkDataUri(src.S3Uri, `Channel ${ch.ChannelName} S3Uri`);
    const mode = ch.InputMode ?? algo.TrainingInputMode;
    if (src.S3DataType === 'AugmentedManifestFile' && mode !== 'Pipe') {
      throw new ValidationException(`Channel ${ch.ChannelName}: AugmentedManifestFile requires Pipe input mode.`);
    }
    if (src.S3DataType === 'AugmentedManifestFile') throw new ValidationException(`Channel ${ch.ChannelName}: AugmentedManifestFile is not supported by Slipway.`);
    if (mode === 'FastFile' && src.S3DataType !== 'S3Prefix') {
      throw new ValidationException(`Channel ${ch.ChannelName}: FastFile input mode supports only S3Prefix.`);
    }
  }
}

/**
 * The checkpoint and TensorBoard directories are mount targets in the container (a bind here, a
 * node-local volume on a cluster): refused when they could not be mounted there (container-dir.ts).
 */
function checkLocalPaths(input: CreateTrainingJobRequest): void {
  const ckpt = input.CheckpointConfig?.LocalPath;
  const tb = input.TensorBoardOutputConfig?.LocalPath;
  for (const [member, path] of [['CheckpointConfig.LocalPath', ckpt], ['TensorBoardOutputConfig.LocalPath', tb]] as const) {
    const problem = path === undefined ? undefined : containerDirProblem(path);
    if (problem) throw new ValidationException(`${member} ${problem}.`);
  }
  if (!input.CheckpointConfig || !input.TensorBoardOutputConfig) return;
  const same = cleanContainerDir(ckpt ?? DEFAULT_CHECKPOINT_PATH);
  if (same === cleanContainerDir(tb ?? DEFAULT_TENSORBOARD_PATH)) {
    throw new ValidationException(`CheckpointConfig.LocalPath and TensorBoardOutputConfig.LocalPath must be different directories (both are ${same}).`);
  }
}

/** Channels as Describe shows them: SageMaker fills the distribution, compression and wrapper defaults. */
function normaliseChannels(channels: ChannelDoc[] | undefined): ChannelDoc[] | undefined {
  return channels?.map((ch) => ({
    ...ch,
    DataSource: {
      ...ch.DataSource,
      ...(ch.DataSource.S3DataSource
        ? { S3DataSource: { ...ch.DataSource.S3DataSource, S3DataDistributionType: ch.DataSource.S3DataSource.S3DataDistributionType ?? 'FullyReplicated' } }
        : {}),
    },
    CompressionType: ch.CompressionType ?? 'None',
    RecordWrapperType: ch.RecordWrapperType ?? 'None',
  }));
}

function summary(doc: TrainingJobDoc, lastModifiedMs: number): TrainingJobSummary {
  const s: TrainingJobSummary = {
    TrainingJobName: doc.TrainingJobName,
    TrainingJobArn: doc.TrainingJobArn,
    CreationTime: doc.CreationTime,
    LastModifiedTime: wireTime(lastModifiedMs),
    TrainingJobStatus: doc.TrainingJobStatus,
    // Set only from resources/training-job.ts's transitions, all of them the model's values.
    SecondaryStatus: doc.SecondaryStatus as SecondaryStatus,
  };
  if (doc.TrainingEndTime !== undefined) s.TrainingEndTime = doc.TrainingEndTime;
  return s;
}

/**
 * CreateTrainingJob's handler body, also the path a tuning job's training jobs take (`extra`
 * adds Describe-only members such as TuningJobArn).
 */
export async function createTrainingJob(deps: SageMakerDeps, ctx: Pick<RequestContext, 'region' | 'accountId'>, input: CreateTrainingJobRequest, extra: Record<string, unknown> = {}) {
  const now = () => deps.now?.() ?? Date.now();
  checkCreate(input);
  checkGpuQuota(input.ResourceConfig?.InstanceType, input.ResourceConfig?.InstanceCount ?? 1, 'training job', deps.config.containers.gpus);
  await checkRoleArn(deps, ctx, input.RoleArn, 'job');
  const tags = checkCreateTags(input.Tags);
  const name = input.TrainingJobName;
  const arn = sageMakerArn(ctx.region, ctx.accountId, 'training-job', name);
  const t = now();
  const echo: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (!NOT_ECHOED.has(k) && v !== undefined) echo[k] = v;
  const algo = input.AlgorithmSpecification!;
  const doc: TrainingJobDoc = {
    ...echo,
    TrainingJobName: name,
    TrainingJobArn: arn,
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Starting',
    AlgorithmSpecification: { ...algo, TrainingImage: algo.TrainingImage!, TrainingInputMode: algo.TrainingInputMode! },
    RoleArn: input.RoleArn,
    OutputDataConfig: input.OutputDataConfig!,
    ResourceConfig: input.ResourceConfig as TrainingJobDoc['ResourceConfig'],
    StoppingCondition: { ...input.StoppingCondition, MaxRuntimeInSeconds: input.StoppingCondition?.MaxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS },
    // checkCreate has required an S3DataSource per channel and refused the data types Slipway does not run.
    ...(input.InputDataConfig ? { InputDataConfig: normaliseChannels(input.InputDataConfig as ChannelDoc[]) } : {}),
    ModelArtifacts: {
      S3ModelArtifacts:
        input.OutputDataConfig!.CompressionType === 'NONE'
          ? joinUri(input.OutputDataConfig!.S3OutputPath, name, 'output', 'model') + '/'
          : joinUri(input.OutputDataConfig!.S3OutputPath, name, 'output', 'model.tar.gz'),
    },
    CreationTime: wireTime(t),
    LastModifiedTime: wireTime(t),
    SecondaryStatusTransitions: [],
  };
  Object.assign(doc, extra);
  setSecondaryStatus(doc, 'Starting', t, 'Launching requested ML instances');
  await createJobRecord(deps, 'training-job', 'Training job', name, arn, t, doc, { step: 'pending' }, tags);
  return { TrainingJobArn: arn };
}

export function trainingJobOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => deps.now?.() ?? Date.now();

  return {
    CreateTrainingJob: (ctx, input) => createTrainingJob(deps, ctx, input),

    DescribeTrainingJob: async (_ctx, input) => describedTrainingJob(await describeJob(deps, 'training-job', input.TrainingJobName)),

    ListTrainingJobs: async (_ctx, input) => {
      // Documented default SortOrder for ListTrainingJobs is Ascending (contract §2.1).
      const page = await listResources(deps.resources, 'training-job', input, 'Ascending');
      const out: ListTrainingJobsResponse = { TrainingJobSummaries: page.items.map((r) => summary(r.doc, r.lastModifiedTime)) };
      if (page.nextToken) out.NextToken = page.nextToken;
      return out;
    },

    StopTrainingJob: async (_ctx, input) => {
      const t = now();
      await requestJobStop(deps, 'training-job', input.TrainingJobName, 'training jobs', t, (r) => setSecondaryStatus(r.doc, 'Stopping', t, 'Stopping the training job'));
      return {};
    },
  };
}
