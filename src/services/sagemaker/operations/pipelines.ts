/**
 * @module services/sagemaker/operations/pipelines — CreatePipeline, UpdatePipeline,
 * DescribePipeline, ListPipelines, DeletePipeline. The definition is parsed and checked
 * (resources/pipeline.ts) before anything is written: a definition Slipway cannot run is a
 * ValidationException naming the step and the reason, and leaves nothing behind.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreatePipeline.html
 */
import { randomBytes } from 'node:crypto';
import { ValidationException } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import { sageMakerArn } from '../../../resources/arn.js';
import { DefinitionError, parseDefinition, type PipelineDoc } from '../../../resources/pipeline.js';
import { wireTime } from '../../../resources/wire-time.js';
import type { ResourceRecord } from '../../../resources/kinds.js';
import { ResourceExistsError } from '../../../storage/resource-store.js';
import type { SageMakerDeps } from '../deps.js';
import { ResourceNotFound } from '../errors.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { PipelineDefinitionS3Location, PipelineSummary } from '../generated/types.js';
import { listResources } from '../list-params.js';
import { checkRoleArn } from '../role-check.js';
import { checkCreateTags } from './tags.js';

const KIND = 'pipeline';
/** CreatePipeline's PipelineDefinition limit (the model's max length), also applied to a definition read from S3. */
const MAX_DEFINITION_BYTES = 1_000_000;

type Ctx = Pick<RequestContext, 'region' | 'accountId'>;

export function pipelineNotFound(ctx: Ctx, nameOrArn: string): ResourceNotFound {
  const arn = nameOrArn.startsWith('arn:') ? nameOrArn : sageMakerArn(ctx.region, ctx.accountId, KIND, nameOrArn);
  return new ResourceNotFound(`Pipeline '${arn}' does not exist.`);
}

/** The pipeline a name or ARN names (StartPipelineExecution and ListPipelineExecutions take both). */
export async function findPipeline(deps: SageMakerDeps, ctx: Ctx, nameOrArn: string): Promise<ResourceRecord<'pipeline'>> {
  const rec = nameOrArn.startsWith('arn:') ? await deps.resources.getByArn(nameOrArn) : await deps.resources.get(KIND, nameOrArn);
  if (!rec || rec.kind !== KIND) throw pipelineNotFound(ctx, nameOrArn);
  return rec as ResourceRecord<'pipeline'>;
}

/** The definition text from the request or from the object store, checked whole; throws ValidationException. */
async function definitionOf(deps: SageMakerDeps, input: { PipelineDefinition?: string; PipelineDefinitionS3Location?: PipelineDefinitionS3Location }, required: boolean): Promise<string | undefined> {
  if (input.PipelineDefinition !== undefined && input.PipelineDefinitionS3Location !== undefined) {
    throw new ValidationException('Specify either PipelineDefinition or PipelineDefinitionS3Location, not both.');
  }
  let text = input.PipelineDefinition;
  const loc = input.PipelineDefinitionS3Location;
  if (loc) text = await readS3Definition(deps, loc);
  if (text === undefined) {
    if (required) throw new ValidationException('Either PipelineDefinition or PipelineDefinitionS3Location is required.');
    return undefined;
  }
  try {
    parseDefinition(text);
  } catch (err) {
    if (err instanceof DefinitionError) throw new ValidationException(`Invalid pipeline definition: ${err.message}`);
    throw err;
  }
  return text;
}

async function readS3Definition(deps: SageMakerDeps, loc: PipelineDefinitionS3Location): Promise<string> {
  const where = `s3://${loc.Bucket}/${loc.ObjectKey}`;
  const meta = await deps.objects.headObject(loc.Bucket, loc.ObjectKey).catch(() => undefined);
  if (!meta) throw new ValidationException(`The pipeline definition at ${where} does not exist or cannot be read.`);
  if (meta.size > MAX_DEFINITION_BYTES) throw new ValidationException(`The pipeline definition at ${where} is larger than ${MAX_DEFINITION_BYTES} bytes.`);
  const { body } = await deps.objects.getObject(loc.Bucket, loc.ObjectKey);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > MAX_DEFINITION_BYTES) {
      body.destroy();
      throw new ValidationException(`The pipeline definition at ${where} is larger than ${MAX_DEFINITION_BYTES} bytes.`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function summary(d: PipelineDoc): PipelineSummary {
  return {
    PipelineArn: d.PipelineArn,
    PipelineName: d.PipelineName,
    PipelineDisplayName: d.PipelineDisplayName,
    ...(d.PipelineDescription !== undefined ? { PipelineDescription: d.PipelineDescription } : {}),
    RoleArn: d.RoleArn,
    CreationTime: d.CreationTime,
    LastModifiedTime: d.LastModifiedTime,
    ...(d.LastRunTime !== undefined ? { LastExecutionTime: d.LastRunTime } : {}),
  };
}

export function pipelineOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => (deps.now ?? Date.now)();
  return {
    CreatePipeline: async (ctx, input) => {
      const definition = (await definitionOf(deps, input, true))!;
      await checkRoleArn(deps, ctx, input.RoleArn, 'job');
      const tags = checkCreateTags(input.Tags);
      const name = input.PipelineName;
      const arn = sageMakerArn(ctx.region, ctx.accountId, KIND, name);
      const t = now();
      const doc: PipelineDoc = {
        PipelineArn: arn,
        PipelineName: name,
        PipelineDisplayName: input.PipelineDisplayName ?? name,
        ...(input.PipelineDescription !== undefined ? { PipelineDescription: input.PipelineDescription } : {}),
        PipelineDefinition: definition,
        RoleArn: input.RoleArn,
        PipelineStatus: 'Active',
        CreationTime: wireTime(t),
        LastModifiedTime: wireTime(t),
        ...(input.ParallelismConfiguration ? { ParallelismConfiguration: input.ParallelismConfiguration } : {}),
        PipelineVersionId: 1,
      };
      try {
        await deps.resources.create({ kind: KIND, name, arn, status: 'Active', creationTime: t, lastModifiedTime: t, doc, internal: { region: ctx.region, accountId: ctx.accountId, clientToken: input.ClientRequestToken } });
      } catch (err) {
        // The SDK's Pipeline.upsert updates when CreatePipeline answers a ValidationException containing "already exists" (workflow/pipeline.py).
        // The same request again (same ClientRequestToken): idempotent, as the operation documents.
        if (err instanceof ResourceExistsError && (await deps.resources.get(KIND, name))?.internal.clientToken === input.ClientRequestToken) return { PipelineArn: arn };
        if (err instanceof ResourceExistsError) throw new ValidationException(`Pipeline names must be unique within an AWS account and region. Pipeline with name (${name}) already exists.`);
        throw err;
      }
      if (tags.length) await deps.tags.put(arn, tags);
      return { PipelineArn: arn };
    },

    UpdatePipeline: async (ctx, input) => {
      const rec = await findPipeline(deps, ctx, input.PipelineName);
      const definition = await definitionOf(deps, input, false);
      if (input.RoleArn !== undefined) await checkRoleArn(deps, ctx, input.RoleArn, 'job');
      const t = now();
      const updated = await deps.resources.update(
        KIND,
        rec.name,
        (r) => {
          if (definition !== undefined) r.doc.PipelineDefinition = definition;
          if (input.PipelineDisplayName !== undefined) r.doc.PipelineDisplayName = input.PipelineDisplayName;
          if (input.PipelineDescription !== undefined) r.doc.PipelineDescription = input.PipelineDescription;
          if (input.RoleArn !== undefined) r.doc.RoleArn = input.RoleArn;
          if (input.ParallelismConfiguration !== undefined) r.doc.ParallelismConfiguration = input.ParallelismConfiguration;
          r.doc.PipelineVersionId += 1;
          r.doc.LastModifiedTime = wireTime(t);
        },
        { now: t },
      );
      if (!updated) throw pipelineNotFound(ctx, input.PipelineName);
      return { PipelineArn: updated.arn, PipelineVersionId: updated.doc.PipelineVersionId };
    },

    DescribePipeline: async (ctx, input) => {
      const rec = await findPipeline(deps, ctx, input.PipelineName);
      return { ...rec.doc };
    },

    ListPipelines: async (_ctx, input) => {
      const prefix = input.PipelineNamePrefix?.toLowerCase();
      const page = await listResources(
        deps.resources,
        KIND,
        {
          CreationTimeAfter: input.CreatedAfter,
          CreationTimeBefore: input.CreatedBefore,
          SortBy: input.SortBy ?? 'CreationTime',
          SortOrder: input.SortOrder,
          MaxResults: input.MaxResults ?? 10,
          NextToken: input.NextToken,
        },
        'Descending',
        prefix ? (doc) => String(doc.PipelineName).toLowerCase().startsWith(prefix) : undefined,
      );
      return { PipelineSummaries: page.items.map((r) => summary(r.doc)), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    },

    DeletePipeline: async (ctx, input) => {
      const rec = await findPipeline(deps, ctx, input.PipelineName);
      await deps.resources.delete(KIND, rec.name);
      return { PipelineArn: rec.arn };
    },
  };
}

/** A new execution id: 12 lowercase letters and digits, as SageMaker's look. */
export function newExecutionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}
