/**
 * @module services/sagemaker/operations/transform-jobs — CreateTransformJob, DescribeTransformJob,
 * ListTransformJobs, StopTransformJob (contract §2.4). Handlers write the record and enqueue
 * `transform-job:<name>`; the transform controller runs the model's containers.
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { CreateTransformJobRequest, ListTransformJobsResponse } from '../generated/types.js';
import { parseJsonPath } from '../../../resources/jsonpath.js';
import { type TransformJobDoc, formatOf } from '../../../resources/transform-job.js';
import { sageMakerArn } from '../../../resources/arn.js';
import type { SageMakerDeps } from '../deps.js';
import { couldNotFind } from '../errors.js';
import { listResources } from '../list-params.js';
import { checkDataUri, createJobRecord, describeJob, requestJobStop } from '../job-operations.js';
import { checkCreateTags } from './tags.js';
import { checkGpuQuota } from '../gpu-quota.js';
import { modelPipeline, primaryContainer } from '../../../resources/model.js';
import { wireTime } from '../../../resources/wire-time.js';

const KIND = 'transform-job' as const;

function checkCreate(input: CreateTransformJobRequest): void {
  const src = input.TransformInput?.DataSource?.S3DataSource;
  if (!src) throw new ValidationException('TransformInput.DataSource.S3DataSource is required.');
  if (src.S3DataType === 'AugmentedManifestFile') throw new ValidationException('S3DataType AugmentedManifestFile is not supported by Slipway.');
  checkDataUri(src.S3Uri, 'TransformInput S3Uri');
  checkDataUri(input.TransformOutput?.S3OutputPath, 'TransformOutput.S3OutputPath');
  const mct = input.MaxConcurrentTransforms;
  const mp = input.MaxPayloadInMB;
  // Model doc: "The value of MaxPayloadInMB cannot be greater than 100 MB" and MaxConcurrentTransforms × MaxPayloadInMB ≤ 100.
  if (mp !== undefined && mp > 100) throw new ValidationException('MaxPayloadInMB must be at most 100.');
  if (mct !== undefined && mp !== undefined && mct * mp > 100) throw new ValidationException('MaxConcurrentTransforms × MaxPayloadInMB must not exceed 100 MB.');
  if (mp === 0 && (input.TransformInput?.SplitType ?? 'None') !== 'None') throw new ValidationException('MaxPayloadInMB 0 (chunked) needs SplitType None.');
  const dp = input.DataProcessing;
  if (dp && (dp.InputFilter || dp.OutputFilter || dp.JoinSource === 'Input')) {
    for (const [what, mime] of [['TransformInput.ContentType', input.TransformInput?.ContentType], ['TransformOutput.Accept', input.TransformOutput?.Accept]] as const) {
      if (mime !== undefined && !formatOf(mime)) throw new ValidationException(`DataProcessing needs ${what} text/csv, application/json or application/jsonlines (got ${mime}).`);
    }
    if (formatOf(input.TransformInput?.ContentType) === 'csv' && (input.TransformInput?.SplitType !== 'Line' || input.TransformOutput?.AssembleWith !== 'Line')) {
      throw new ValidationException('DataProcessing of CSV input needs SplitType Line and AssembleWith Line.');
    }
    for (const [what, path] of [['InputFilter', dp.InputFilter], ['OutputFilter', dp.OutputFilter]] as const) {
      if (path === undefined) continue;
      try {
        parseJsonPath(path);
      } catch (err) {
        throw new ValidationException(`DataProcessing.${what}: ${(err as Error).message}`);
      }
    }
  }
}

export function transformJobOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => deps.now?.() ?? Date.now();

  const createTransformJob = async (ctx: RequestContext, input: CreateTransformJobRequest) => {
    checkCreate(input);
    checkGpuQuota(input.TransformResources.InstanceType, input.TransformResources.InstanceCount ?? 1, 'transform job', deps.config.containers.gpus);
    const model = await deps.resources.get('model', input.ModelName);
    if (!model) throw couldNotFind('model', sageMakerArn(ctx.region, ctx.accountId, 'model', input.ModelName));
    if (primaryContainer(model.doc)?.Mode === 'MultiModel') throw new ValidationException(`Model ${input.ModelName} is a multi-model model (Mode MultiModel); batch transform with it is not supported by Slipway.`);
    // TODO(issue 16): pipelines in batch transform (each record through every container) wait for a
    // transform driver that chains containers; refused rather than run through the first container only.
    if (modelPipeline(model.doc)) throw new ValidationException(`Model ${input.ModelName} is an inference pipeline (several Containers); batch transform with it is not supported by Slipway yet.`);
    const tags = checkCreateTags(input.Tags);
    const name = input.TransformJobName;
    const arn = sageMakerArn(ctx.region, ctx.accountId, KIND, name);
    const t = now();
    const { Tags: _tags, ...echo } = input;
    const doc: TransformJobDoc = {
      ...(echo as TransformJobDoc),
      TransformJobName: name,
      TransformJobArn: arn,
      TransformJobStatus: 'InProgress',
      // checkCreate has required an S3DataSource and refused the S3DataTypes Slipway does not run.
      TransformInput: { CompressionType: 'None', SplitType: 'None', ...(input.TransformInput as TransformJobDoc['TransformInput']) },
      TransformOutput: { AssembleWith: 'None', ...input.TransformOutput! },
      ...(input.DataProcessing ? { DataProcessing: { InputFilter: '$', OutputFilter: '$', JoinSource: 'None', ...input.DataProcessing } } : {}),
      CreationTime: wireTime(t),
      LastModifiedTime: wireTime(t),
    };
    await createJobRecord(deps, KIND, 'Transform job', name, arn, t, doc, {}, tags);
    return { TransformJobArn: arn };
  };

  return {
    CreateTransformJob: createTransformJob,

    DescribeTransformJob: (_ctx, input) => describeJob(deps, KIND, input.TransformJobName),

    ListTransformJobs: async (_ctx, input) => {
      // Documented default SortOrder for ListTransformJobs is Descending (contract §2.1).
      const page = await listResources(deps.resources, KIND, input, 'Descending');
      const out: ListTransformJobsResponse = {
        TransformJobSummaries: page.items.map((r) => ({
          TransformJobName: r.doc.TransformJobName,
          TransformJobArn: r.doc.TransformJobArn,
          CreationTime: r.doc.CreationTime,
          LastModifiedTime: wireTime(r.lastModifiedTime),
          TransformJobStatus: r.doc.TransformJobStatus,
          ...(r.doc.TransformEndTime !== undefined ? { TransformEndTime: r.doc.TransformEndTime } : {}),
          ...(r.doc.FailureReason !== undefined ? { FailureReason: r.doc.FailureReason } : {}),
        })),
      };
      if (page.nextToken) out.NextToken = page.nextToken;
      return out;
    },

    StopTransformJob: async (_ctx, input) => {
      await requestJobStop(deps, KIND, input.TransformJobName, 'transform jobs', now());
      return {};
    },
  };
}
