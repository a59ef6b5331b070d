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
import type { OperationTable } from '../../../protocol/json11/json11-surface.js';
import { inputLocalPath, outputLocalPath, underProcessingRoot } from '../../../controllers/processing-job/container-config.js';
import type { ProcessingJobDoc, ProcessingJobInternal } from '../../../controllers/processing-job/types.js';
import { wireTime } from '../../../controllers/training-job/status.js';
import { ResourceExistsError, type ResourceKind } from '../../../storage/resource-store.js';
import { parseDataUri } from '../../../storage/s3-uri.js';
import type { Tag } from '../../../storage/tag-store.js';
import { sageMakerArn } from '../arn.js';
import type { SageMakerDeps } from '../deps.js';
import { checkRoleArn } from '../role-check.js';
import { requestedResourceNotFound, ResourceInUse } from '../errors.js';
import { listResources, type ListRequest } from '../list-params.js';
import { checkCreateTags } from './tags.js';

const KIND = 'processing-job';

type CreateInput = Partial<ProcessingJobDoc> & { ProcessingJobName: string; RoleArn: string; Tags?: Tag[] };

/** Checks an s3:// URI (or a `file://` one the validator let through); shared by the job operations. */
export function checkDataUri(uri: string | undefined, what: string): void {
  if (uri === undefined) return;
  const loc = parseDataUri(uri);
  if (!loc || (loc.scheme === 's3' && loc.bucket === '')) throw new ValidationException(`${what} ${uri} is not a valid S3 URI (s3://bucket/prefix).`);
}

function checkCreate(input: CreateInput): void {
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

/**
 * Stop*: InProgress → Stopping, then the controller's turn (shared by the job operations).
 * `mark` adds kind-specific changes (e.g. training's SecondaryStatus) in the same write.
 */
export function requestJobStop(
  deps: SageMakerDeps,
  kind: ResourceKind,
  name: string,
  statusField: string,
  what: string,
  now: number,
  mark?: (doc: Record<string, unknown>) => void,
): void {
  const existing = deps.resources.get<Record<string, unknown>>(kind, name);
  if (!existing) throw requestedResourceNotFound();
  if (existing.doc[statusField] === 'Stopping') return;
  let state = '';
  deps.resources.update<Record<string, unknown>, { stopReason?: string }>(
    kind,
    name,
    (r) => {
      state = String(r.doc[statusField]);
      if (state !== 'InProgress') return;
      r.doc[statusField] = 'Stopping';
      r.status = 'Stopping';
      r.internal.stopReason = 'Stopped';
      mark?.(r.doc);
      r.doc.LastModifiedTime = wireTime(now);
    },
    { now },
  );
  if (state === 'Stopping') return;
  // Stopping a finished job: unconfirmed on the real service (contract §2.2); answer ValidationException.
  if (state !== 'InProgress') throw new ValidationException(`The job status is ${state}. Only InProgress ${what} can be stopped.`);
  deps.queue.enqueue(`${kind}:${name}`);
}

/** Stores a new job record (taken name → ResourceInUse), its tags, and enqueues it. */
export function createJobRecord<D, I>(deps: SageMakerDeps, kind: ResourceKind, what: string, name: string, arn: string, t: number, doc: D, internal: I, tags: Tag[]): void {
  try {
    deps.resources.create<D, I>({ kind, name, arn, status: 'InProgress', creationTime: t, lastModifiedTime: t, doc, internal });
  } catch (err) {
    if (err instanceof ResourceExistsError) throw new ResourceInUse(`${what} names must be unique within an AWS account and region, and a ${what.toLowerCase()} with this name already exists (${arn})`);
    throw err;
  }
  if (tags.length) deps.tags.put(arn, tags);
  deps.queue.enqueue(`${kind}:${name}`);
}

/** Describe*: the stored document with the record's LastModifiedTime. */
export function describeJob(deps: SageMakerDeps, kind: ResourceKind, name: string): Record<string, unknown> {
  const rec = deps.resources.get<Record<string, unknown>>(kind, name);
  if (!rec) throw requestedResourceNotFound();
  return { ...rec.doc, LastModifiedTime: wireTime(rec.lastModifiedTime) };
}

/** List* over a job kind with the shared filters. */
export function listJobs<D>(deps: SageMakerDeps, kind: ResourceKind, input: ListRequest, order: 'Ascending' | 'Descending') {
  return listResources<D>(deps.resources, kind, input, order);
}

export function processingJobOperations(deps: SageMakerDeps): OperationTable {
  const now = () => deps.now?.() ?? Date.now();

  const createProcessingJob = (ctx: RequestContext, input: CreateInput) => {
    checkCreate(input);
    checkRoleArn(deps, ctx, input.RoleArn, 'job');
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
    createJobRecord<ProcessingJobDoc, ProcessingJobInternal>(deps, KIND, 'Processing job', name, arn, t, doc, { step: 'pending' }, tags);
    return { ProcessingJobArn: arn };
  };

  return {
    CreateProcessingJob: createProcessingJob,

    DescribeProcessingJob: (_ctx, input: { ProcessingJobName: string }) => describeJob(deps, KIND, input.ProcessingJobName),

    ListProcessingJobs: (_ctx, input: ListRequest) => {
      // Documented default SortOrder for ListProcessingJobs is Ascending (contract §2.1).
      const page = listJobs<ProcessingJobDoc>(deps, KIND, input, 'Ascending');
      const out: Record<string, unknown> = {
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

    StopProcessingJob: (_ctx, input: { ProcessingJobName: string }) => {
      requestJobStop(deps, KIND, input.ProcessingJobName, 'ProcessingJobStatus', 'processing jobs', now());
      return {};
    },
  };
}
