/**
 * @module services/sagemaker/operations/models — CreateModel, DescribeModel, ListModels, DeleteModel
 * (contract §2.5). A container may name a model package, resolved here from the registry. A model
 * is a record only; several `Containers` make an inference pipeline (resources/inference-pipeline.ts).
 * Images are resolved and model data fetched when an endpoint deploys it.
 * DeleteModel is allowed while endpoints use it, as in SageMaker (endpoints keep a copy of what
 * they deployed).
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import { ResourceExistsError } from '../../../storage/resource-store.js';
import { parseDataUri } from '../../../resources/s3-uri.js';
import { sageMakerArn } from '../../../resources/arn.js';
import type { SageMakerDeps } from '../deps.js';
import { checkRoleArn } from '../role-check.js';
import { describedModel } from '../describe-defaults.js';
import { cannotCreateExisting, couldNotFind } from '../errors.js';
import { listResources } from '../list-params.js';
import { wireTime } from '../../../resources/wire-time.js';
import { checkCreateTags } from './tags.js';
import { findPackage } from './model-packages.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { ContainerDefinitionDoc, ModelDoc } from '../../../resources/model.js';
import { pipelineProblem } from '../../../resources/inference-pipeline.js';

function checkContainer(c: ContainerDefinitionDoc): void {
  if (!c.Image) throw new ValidationException('Image is required for a container definition (or ModelPackageName).');
  if (c.Mode === 'MultiModel') {
    // Multi-model: ModelDataUrl is the S3 prefix TargetModels are found under (resources/multi-model.ts).
    const loc = c.ModelDataUrl === undefined ? undefined : parseDataUri(c.ModelDataUrl);
    if (loc?.scheme !== 's3' || !c.ModelDataUrl!.endsWith('/')) {
      throw new ValidationException(`ModelDataUrl ${c.ModelDataUrl ?? '(none)'} must be an S3 prefix ending in / for Mode MultiModel (the TargetModel is appended to it).`);
    }
    return;
  }
  if (c.ModelDataUrl !== undefined) {
    const loc = parseDataUri(c.ModelDataUrl);
    if (!loc || (loc.scheme === 's3' && !loc.key)) {
      throw new ValidationException(`ModelDataUrl ${c.ModelDataUrl} must be an s3://bucket/key URI of a model.tar.gz.`);
    }
  }
}

/**
 * A container naming a model package runs the package's (first) inference container: its image,
 * model data and environment (the request's Environment wins). A versioned package must be
 * Approved: "For versioned models, the value of this parameter must be set to Approved to deploy
 * the model" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html).
 */
async function resolvePackage(deps: SageMakerDeps, ctx: RequestContext, c: ContainerDefinitionDoc): Promise<ContainerDefinitionDoc> {
  if (typeof c.ModelPackageName !== 'string') return c;
  if (c.Image !== undefined) throw new ValidationException('A container definition gives either Image or ModelPackageName, not both.');
  const pkg = (await findPackage(deps, ctx, c.ModelPackageName)).doc;
  if (pkg.ModelPackageVersion !== undefined && pkg.ModelApprovalStatus !== 'Approved') {
    throw new ValidationException(`ModelPackage ${pkg.ModelPackageArn} has ModelApprovalStatus ${pkg.ModelApprovalStatus}: only an Approved model package version can be deployed.`);
  }
  const from = pkg.InferenceSpecification?.Containers[0];
  if (!from?.Image) throw new ValidationException(`ModelPackage ${pkg.ModelPackageArn} has no InferenceSpecification container to run.`);
  return {
    ...c,
    ModelPackageName: pkg.ModelPackageArn,
    Image: from.Image,
    ...(from.ModelDataUrl !== undefined ? { ModelDataUrl: from.ModelDataUrl } : {}),
    Environment: { ...(from.Environment ?? {}), ...(c.Environment ?? {}) },
  };
}

export function modelOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => (deps.now ?? Date.now)();
  const arnOf = (ctx: { region: string; accountId: string }, name: string) => sageMakerArn(ctx.region, ctx.accountId, 'model', name);

  return {
    CreateModel: async (ctx, input) => {
      const arn = arnOf(ctx, input.ModelName);
      if (!input.PrimaryContainer && !input.Containers?.length) {
        throw new ValidationException('Either PrimaryContainer or Containers must be specified.');
      }
      if (input.PrimaryContainer && input.Containers?.length) {
        throw new ValidationException('PrimaryContainer and Containers cannot both be specified.');
      }
      const containers = await Promise.all((input.PrimaryContainer ? [input.PrimaryContainer] : input.Containers!).map((c) => resolvePackage(deps, ctx, c as ContainerDefinitionDoc)));
      const problem = input.Containers ? pipelineProblem(containers, input.InferenceExecutionConfig?.Mode) : undefined;
      if (problem) throw new ValidationException(problem);
      containers.forEach(checkContainer);
      await checkRoleArn(deps, ctx, input.ExecutionRoleArn, 'model');
      const tags = checkCreateTags(input.Tags);
      const t = now();
      const { Tags: _tags, ...rest } = input;
      const doc: ModelDoc = {
        ...rest,
        ...(input.PrimaryContainer ? { PrimaryContainer: containers[0] } : { Containers: containers }),
        ModelName: input.ModelName,
        ModelArn: arn,
        CreationTime: wireTime(t),
      };
      try {
        await deps.resources.create({ kind: 'model', name: input.ModelName, arn, status: 'Created', creationTime: t, lastModifiedTime: t, doc, internal: {} });
      } catch (err) {
        if (err instanceof ResourceExistsError) throw cannotCreateExisting('model', arn);
        throw err;
      }
      if (tags.length) await deps.tags.put(arn, tags);
      return { ModelArn: arn };
    },

    DescribeModel: async (ctx, input) => {
      const rec = await deps.resources.get('model', input.ModelName);
      if (!rec) throw couldNotFind('model', arnOf(ctx, input.ModelName));
      return describedModel(rec.doc);
    },

    ListModels: async (_ctx, input) => {
      const page = await listResources(deps.resources, 'model', input, 'Descending');
      return {
        Models: page.items.map((r) => ({ ModelName: r.doc.ModelName, ModelArn: r.doc.ModelArn, CreationTime: r.doc.CreationTime })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },

    DeleteModel: async (ctx, input) => {
      if (!await deps.resources.delete('model', input.ModelName)) throw couldNotFind('model', arnOf(ctx, input.ModelName));
      return {};
    },
  };
}
