/**
 * @module services/sagemaker/operations/processing-jobs — CreateProcessingJob,
 * DescribeProcessingJob, ListProcessingJobs, StopProcessingJob (contract §2.3). Handlers only
 * read and write the record and enqueue `processing-job:<name>`; the controller runs containers.
 *
 *   CreateProcessingJob → InProgress ──controller──▶ Completed | Failed | Stopped
 *   StopProcessingJob   → Stopping   ──controller──▶ Stopped (SIGTERM, grace, outputs uploaded)
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { CreateProcessingJobRequest, ListProcessingJobsResponse } from '../generated/types.js';
import { inputLocalPath, outputLocalPath, underProcessingRoot } from '../../../resources/processing-job.js';
import type { ProcessingJobDoc } from '../../../resources/processing-job.js';
import { sageMakerArn } from '../../../resources/arn.js';
import type { SageMakerDeps } from '../deps.js';
import { checkRoleArn } from '../role-check.js';
import { listResources } from '../list-params.js';
import { checkCreateTags } from './tags.js';
import { checkGpuQuota } from '../gpu-quota.js';
import { checkDataUri, createJobRecord, describeJob, requestJobStop } from '../job-operations.js';
import { wireTime } from '../../../resources/wire-time.js';

const KIND = 'processing-job' as const;

function checkCreate(input: CreateProcessingJobRequest): void {
  if (!input.AppSpecification?.ImageUri) throw new ValidationException('AppSpecification.ImageUri is required.');
  const cc = input.ProcessingResources?.ClusterConfig;
  if (!cc?.InstanceType || !cc.InstanceCount) throw new ValidationException('ProcessingResources.ClusterConfig.InstanceType and InstanceCount are required.');
  const inputNames = new Set<string>();
  const localPaths = new Set<string>();
  for (const i of input.ProcessingInputs ?? []) {
    if (inputNames.has(i.InputName)) throw new ValidationException(`InputName ${i.InputName} appears more than once in ProcessingInputs.`);
    inputNames.add(i.InputName);
    const s3 = i.S3Input;
    if (!s3) throw new ValidationException(`ProcessingInput ${i.InputName}: only S3Input is supported by Slipway.`);
    checkDataUri(s3.S3Uri, `ProcessingInput ${i.InputName} S3Uri`);
    const path = inputLocalPath(i);
    if (!underProcessingRoot(path)) throw new ValidationException(`ProcessingInput ${i.InputName}: LocalPath ${path} must begin with /opt/ml/processing/.`);
    if (localPaths.has(path)) throw new ValidationException(`LocalPath ${path} is used by more than one input or output.`);
    localPaths.add(path);
    // Model doc: "Gzip can only be used when Pipe mode is specified as the S3InputMode".
    if (s3.S3CompressionType === 'Gzip' && s3.S3InputMode !== 'Pipe') throw new ValidationException(`ProcessingInput ${i.InputName}: S3CompressionType Gzip requires S3InputMode Pipe.`);
  }
  const outputNames = new Set<string>();
  for (const o of input.ProcessingOutputConfig?.Outputs ?? []) {
    if (outputNames.has(o.OutputName)) throw new ValidationException(`OutputName ${o.OutputName} appears more than once in ProcessingOutputConfig.Outputs.`);
    outputNames.add(o.OutputName);
    if (!o.S3Output) throw new ValidationException(`ProcessingOutput ${o.OutputName}: only S3Output is supported by Slipway.`);
    checkDataUri(o.S3Output.S3Uri, `ProcessingOutput ${o.OutputName} S3Uri`);
    const path = outputLocalPath(o);
    if (!underProcessingRoot(path)) throw new ValidationException(`ProcessingOutput ${o.OutputName}: LocalPath ${path} must begin with /opt/ml/processing/.`);
    if (localPaths.has(path)) throw new ValidationException(`LocalPath ${path} is used by more than one input or output.`);
    localPaths.add(path);
  }
}

export function processingJobOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => deps.now?.() ?? Date.now();

  const createProcessingJob = async (ctx: RequestContext, input: CreateProcessingJobRequest) => {
    checkCreate(input);
    const cluster = input.ProcessingResources.ClusterConfig;
    checkGpuQuota(cluster.InstanceType, cluster.InstanceCount, 'processing job', deps.config.containers.gpus);
    await checkRoleArn(deps, ctx, input.RoleArn, 'job');
    const tags = checkCreateTags(input.Tags);
    const name = input.ProcessingJobName;
    const arn = sageMakerArn(ctx.region, ctx.accountId, KIND, name);
    const t = now();
    const { Tags: _tags, ...echo } = input;
    const doc: ProcessingJobDoc = {
      ...(echo as ProcessingJobDoc),
      ProcessingJobName: name,
      ProcessingJobArn: arn,
      ProcessingJobStatus: 'InProgress',
      ...(input.ProcessingInputs
        ? {
            ProcessingInputs: input.ProcessingInputs.map((i) => ({
              ...i,
              AppManaged: i.AppManaged ?? false,
              S3Input: i.S3Input && {
                ...i.S3Input,
                LocalPath: inputLocalPath(i),
                S3InputMode: i.S3Input.S3InputMode ?? 'File',
                S3DataDistributionType: i.S3Input.S3DataDistributionType ?? 'FullyReplicated',
                S3CompressionType: i.S3Input.S3CompressionType ?? 'None',
              },
            })),
          }
        : {}),
      CreationTime: wireTime(t),
      LastModifiedTime: wireTime(t),
    };
    await createJobRecord(deps, KIND, 'Processing job', name, arn, t, doc, { step: 'pending' }, tags);
    return { ProcessingJobArn: arn };
  };

  return {
    CreateProcessingJob: createProcessingJob,

    DescribeProcessingJob: (_ctx, input) => describeJob(deps, KIND, input.ProcessingJobName),

    ListProcessingJobs: async (_ctx, input) => {
      // Documented default SortOrder for ListProcessingJobs is Ascending (contract §2.1).
      const page = await listResources(deps.resources, KIND, input, 'Ascending');
      const out: ListProcessingJobsResponse = {
        ProcessingJobSummaries: page.items.map((r) => ({
          ProcessingJobName: r.doc.ProcessingJobName,
          ProcessingJobArn: r.doc.ProcessingJobArn,
          CreationTime: r.doc.CreationTime,
          LastModifiedTime: wireTime(r.lastModifiedTime),
          ProcessingJobStatus: r.doc.ProcessingJobStatus,
          ...(r.doc.ProcessingEndTime !== undefined ? { ProcessingEndTime: r.doc.ProcessingEndTime } : {}),
          ...(r.doc.FailureReason !== undefined ? { FailureReason: r.doc.FailureReason } : {}),
          ...(r.doc.ExitMessage !== undefined ? { ExitMessage: r.doc.ExitMessage } : {}),
        })),
      };
      if (page.nextToken) out.NextToken = page.nextToken;
      return out;
    },

    StopProcessingJob: async (_ctx, input) => {
      await requestJobStop(deps, KIND, input.ProcessingJobName, 'processing jobs', now());
      return {};
    },
  };
}
