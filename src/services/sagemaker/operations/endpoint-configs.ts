/**
 * @module services/sagemaker/operations/endpoint-configs — CreateEndpointConfig,
 * DescribeEndpointConfig, ListEndpointConfigs, DeleteEndpointConfig (contract §2.6). The models
 * a config names must exist when it is created; deleting a config in use only deletes the config
 * (endpoints keep running what they deployed).
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import { parseDataUri } from '../../../resources/s3-uri.js';
import { ResourceExistsError } from '../../../storage/resource-store.js';
import { sageMakerArn } from '../../../resources/arn.js';
import type { SageMakerDeps } from '../deps.js';
import { checkRoleArn } from '../role-check.js';
import { cannotCreateExisting, couldNotFind } from '../errors.js';
import { listResources } from '../list-params.js';
import { wireTime } from '../../../resources/wire-time.js';
import { checkCreateTags } from './tags.js';
import { modelPipeline, primaryContainer } from '../../../resources/model.js';
import type { DataCaptureConfigDoc, EndpointConfigDoc } from '../../../resources/endpoint-config.js';
import { checkServerlessConfig, checkServerlessVariant } from '../serverless-config.js';

/** What the model cannot say about DataCaptureConfig: where captures go must be an S3 prefix. */
function checkDataCapture(c: DataCaptureConfigDoc | undefined): void {
  if (!c) return;
  if (parseDataUri(c.DestinationS3Uri)?.scheme !== 's3' || !c.DestinationS3Uri.startsWith('s3://')) {
    throw new ValidationException(`DataCaptureConfig.DestinationS3Uri ${c.DestinationS3Uri} is not a valid S3 URI (s3://bucket/prefix).`);
  }
  const modes = new Set(c.CaptureOptions.map((o) => o.CaptureMode));
  if (modes.size !== c.CaptureOptions.length) throw new ValidationException('DataCaptureConfig.CaptureOptions must not repeat a CaptureMode.');
}

/**
 * ShadowProductionVariants: one production variant and at most one shadow, as SageMaker documents
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html);
 * the shadow gets a sampled copy of synchronous requests, so asynchronous endpoints cannot have one.
 */
function checkShadows(production: number, shadows: number, isAsync: boolean): void {
  if (shadows === 0) return;
  if (shadows > 1) throw new ValidationException('ShadowProductionVariants can have at most 1 variant.');
  if (production !== 1) throw new ValidationException('An endpoint configuration with ShadowProductionVariants must have exactly 1 variant in ProductionVariants.');
  if (isAsync) throw new ValidationException('ShadowProductionVariants are not supported with AsyncInferenceConfig.');
}

export function endpointConfigOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => (deps.now ?? Date.now)();
  const arnOf = (ctx: { region: string; accountId: string }, name: string) => sageMakerArn(ctx.region, ctx.accountId, 'endpoint-config', name);

  return {
    CreateEndpointConfig: async (ctx, input) => {
      const arn = arnOf(ctx, input.EndpointConfigName);
      const seen = new Set<string>();
      const shadows = input.ShadowProductionVariants ?? [];
      checkShadows(input.ProductionVariants.length, shadows.length, input.AsyncInferenceConfig !== undefined);
      checkServerlessConfig(input);
      for (const v of [...input.ProductionVariants, ...shadows]) {
        if (seen.has(v.VariantName.toLowerCase())) throw new ValidationException(`Duplicate VariantName ${v.VariantName} in ProductionVariants.`);
        seen.add(v.VariantName.toLowerCase());
        if (!v.ModelName) throw new ValidationException(`ModelName is required for variant ${v.VariantName}.`);
        const model = await deps.resources.get('model', v.ModelName);
        if (!model) throw couldNotFind('model', sageMakerArn(ctx.region, ctx.accountId, 'model', v.ModelName));
        if (input.AsyncInferenceConfig && primaryContainer(model.doc)?.Mode === 'MultiModel') {
          throw new ValidationException(`Model ${v.ModelName} is a multi-model model; AsyncInferenceConfig with it is not supported by Slipway.`);
        }
        if ((input.AsyncInferenceConfig || shadows.length) && modelPipeline(model.doc)) {
          throw new ValidationException(`Model ${v.ModelName} is an inference pipeline (several Containers); Slipway does not run it with ${input.AsyncInferenceConfig ? 'AsyncInferenceConfig' : 'ShadowProductionVariants'}.`);
        }
        if (v.ServerlessConfig) checkServerlessVariant(v, model.doc);
        else if (v.InitialInstanceCount === undefined || v.InitialInstanceCount < 1) {
          throw new ValidationException(`InitialInstanceCount must be at least 1 for variant ${v.VariantName}.`);
        }
        if (v.InitialVariantWeight !== undefined && v.InitialVariantWeight < 0) {
          throw new ValidationException(`InitialVariantWeight must not be negative for variant ${v.VariantName}.`);
        }
      }
      checkDataCapture(input.DataCaptureConfig as DataCaptureConfigDoc | undefined);
      await checkRoleArn(deps, ctx, typeof input.ExecutionRoleArn === 'string' ? input.ExecutionRoleArn : undefined, 'model');
      // Features Slipway does not run are refused rather than stored and silently ignored.
      if (input.ExplainerConfig !== undefined) throw new ValidationException('ExplainerConfig (online explainability) is not supported by Slipway.');
      const tags = checkCreateTags(input.Tags);
      const t = now();
      const { Tags: _tags, ShadowProductionVariants: _shadows, ...rest } = input;
      const doc: EndpointConfigDoc = {
        ...rest,
        EndpointConfigName: input.EndpointConfigName,
        EndpointConfigArn: arn,
        // SageMaker echoes the default weight of 1.0 in DescribeEndpointConfig.
        // ModelName is checked present above (the model allows it absent for model packages).
        ProductionVariants: input.ProductionVariants.map((v) => ({ ...v, ModelName: v.ModelName!, InitialVariantWeight: v.InitialVariantWeight ?? 1 })),
        ...(shadows.length ? { ShadowProductionVariants: shadows.map((v) => ({ ...v, ModelName: v.ModelName!, InitialVariantWeight: v.InitialVariantWeight ?? 1 })) } : {}),
        CreationTime: wireTime(t),
      };
      try {
        await deps.resources.create({ kind: 'endpoint-config', name: input.EndpointConfigName, arn, status: 'Created', creationTime: t, lastModifiedTime: t, doc, internal: {} });
      } catch (err) {
        if (err instanceof ResourceExistsError) throw cannotCreateExisting('endpoint configuration', arn);
        throw err;
      }
      if (tags.length) await deps.tags.put(arn, tags);
      return { EndpointConfigArn: arn };
    },

    DescribeEndpointConfig: async (ctx, input) => {
      const rec = await deps.resources.get('endpoint-config', input.EndpointConfigName);
      if (!rec) throw couldNotFind('endpoint configuration', arnOf(ctx, input.EndpointConfigName));
      return rec.doc;
    },

    ListEndpointConfigs: async (_ctx, input) => {
      const page = await listResources(deps.resources, 'endpoint-config', input, 'Descending');
      return {
        EndpointConfigs: page.items.map((r) => ({
          EndpointConfigName: r.doc.EndpointConfigName,
          EndpointConfigArn: r.doc.EndpointConfigArn,
          CreationTime: r.doc.CreationTime,
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },

    DeleteEndpointConfig: async (ctx, input) => {
      if (!await deps.resources.delete('endpoint-config', input.EndpointConfigName)) {
        throw couldNotFind('endpoint configuration', arnOf(ctx, input.EndpointConfigName));
      }
      return {};
    },
  };
}
