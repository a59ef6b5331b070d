/**
 * @module services/sagemaker/operations/endpoints — CreateEndpoint, DescribeEndpoint, ListEndpoints,
 * DeleteEndpoint, UpdateEndpoint, UpdateEndpointWeightsAndCapacities (contract §2.7). Handlers
 * resolve the config and its models into a fleet plan, write it with the first status and
 * enqueue `endpoint:<name>`; the endpoint controller does the rest.
 *
 *   CreateEndpoint  → Creating ──controller──▶ InService | Failed
 *   UpdateEndpoint  → Updating (pending plan) ──▶ InService (new plan) | InService (old plan + FailureReason)
 *   UpdateEndpointWeightsAndCapacities → Updating ──▶ InService
 *   DeleteEndpoint  → Deleting ──▶ gone
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { DescribeEndpointInput, EndpointStatus as WireEndpointStatus } from '../generated/types.js';
import type { RequestContext } from '../../../protocol/context.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_SECONDS, DEFAULT_STARTUP_TIMEOUT_SECONDS, EndpointStatus, endpointLogGroup, endpointSummaries, type EndpointDoc, type EndpointInternal, type FleetPlan, type VariantSummaryDoc } from '../../../resources/endpoint.js';
import { ResourceExistsError } from '../../../storage/resource-store.js';
import { sageMakerArn } from '../../../resources/arn.js';
import type { SageMakerDeps } from '../deps.js';
import { cannotCreateExisting, couldNotFind } from '../errors.js';
import { listResources } from '../list-params.js';
import { wireTime } from '../../../resources/wire-time.js';
import { checkCreateTags } from './tags.js';
import { checkGpuQuota } from '../gpu-quota.js';
import { modelPipeline, primaryContainer } from '../../../resources/model.js';
import { resourceKey } from '../../../resources/kinds.js';
import { applyDesiredWeightsAndCapacities } from '../../../resources/scalable-target.js';
import { serverlessConfigDoc, serverlessPlan } from '../../../resources/serverless.js';

/** Resolves a config and its models into what the controller deploys. */
export async function planFleet(deps: SageMakerDeps, ctx: RequestContext, configName: string, generation: number): Promise<FleetPlan> {
  const cfg = await deps.resources.get('endpoint-config', configName);
  if (!cfg) throw couldNotFind('endpoint configuration', sageMakerArn(ctx.region, ctx.accountId, 'endpoint-config', configName));
  return {
    generation,
    endpointConfigName: cfg.doc.EndpointConfigName,
    ...(cfg.doc.AsyncInferenceConfig ? { asyncInferenceConfig: cfg.doc.AsyncInferenceConfig } : {}),
    ...(cfg.doc.DataCaptureConfig ? { dataCaptureConfig: cfg.doc.DataCaptureConfig } : {}),
    // Shadow variants run like the others; the data plane only mirrors requests to them.
    variants: await Promise.all([...cfg.doc.ProductionVariants, ...(cfg.doc.ShadowProductionVariants ?? []).map((v) => ({ ...v, shadow: true as const }))].map(async (v) => {
      const model = await deps.resources.get('model', v.ModelName);
      if (!model) throw couldNotFind('model', sageMakerArn(ctx.region, ctx.accountId, 'model', v.ModelName));
      const c = primaryContainer(model.doc);
      if (!c?.Image) throw new ValidationException(`Model ${v.ModelName} has no container image.`);
      const pipeline = modelPipeline(model.doc);
      checkGpuQuota(v.InstanceType, v.InitialInstanceCount ?? 1, 'endpoint', deps.config.containers.gpus);
      return {
        variantName: v.VariantName,
        modelName: model.doc.ModelName,
        image: c.Image,
        ...(c.ModelDataUrl ? { modelDataUrl: c.ModelDataUrl } : {}),
        environment: { ...(c.Environment ?? {}) },
        enableNetworkIsolation: model.doc.EnableNetworkIsolation === true,
        ...(v.InstanceType ? { instanceType: v.InstanceType } : {}),
        instanceCount: v.InitialInstanceCount ?? 1,
        weight: v.InitialVariantWeight ?? 1,
        ...('shadow' in v ? { shadow: true as const } : {}),
        ...(c.Mode === 'MultiModel' ? { multiModel: true as const } : {}),
        ...(pipeline ? { pipeline } : {}),
        ...(v.ServerlessConfig ? { serverless: serverlessPlan(v.ServerlessConfig) } : {}),
        startupTimeoutSeconds: v.ContainerStartupHealthCheckTimeoutInSeconds ?? DEFAULT_STARTUP_TIMEOUT_SECONDS,
        downloadTimeoutSeconds: v.ModelDataDownloadTimeoutInSeconds ?? DEFAULT_DOWNLOAD_TIMEOUT_SECONDS,
      };
    })),
  };
}

/** Describe's per-variant view before the controller has reported anything. */
export function plannedVariantSummaries(plan: FleetPlan): VariantSummaryDoc[] {
  return plan.variants.map((v) => ({
    VariantName: v.variantName,
    DeployedImages: (v.pipeline?.containers ?? [v]).map((c) => ({ SpecifiedImage: c.image })),
    CurrentWeight: v.weight,
    DesiredWeight: v.weight,
    // A serverless variant shows its configuration instead of instance counts.
    ...(v.serverless
      ? { CurrentServerlessConfig: serverlessConfigDoc(v.serverless), DesiredServerlessConfig: serverlessConfigDoc(v.serverless) }
      : { CurrentInstanceCount: 0, DesiredInstanceCount: v.instanceCount }),
  }));
}

export function endpointOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => (deps.now ?? Date.now)();
  const arnOf = (ctx: RequestContext, name: string) => sageMakerArn(ctx.region, ctx.accountId, 'endpoint', name);
  const mustGet = async (ctx: RequestContext, name: string) => {
    const rec = await deps.resources.get('endpoint', name);
    if (!rec) throw couldNotFind('endpoint', arnOf(ctx, name));
    return rec;
  };
  const key = (name: string) => resourceKey('endpoint', name);

  const describe = async (ctx: RequestContext, input: DescribeEndpointInput): Promise<EndpointDoc> => {
    const rec = await mustGet(ctx, input.EndpointName);
    const asyncConfig = rec.internal.active.asyncInferenceConfig;
    const capture = rec.internal.active.dataCaptureConfig;
    return {
      ...rec.doc,
      EndpointStatus: rec.status,
      LastModifiedTime: wireTime(rec.lastModifiedTime),
      ...(asyncConfig ? { AsyncInferenceConfig: asyncConfig } : {}),
      // DataCaptureConfigSummary: capture runs while the endpoint serves.
      ...(capture
        ? {
            DataCaptureConfig: {
              EnableCapture: capture.EnableCapture !== false,
              CaptureStatus: capture.EnableCapture !== false ? 'Started' : 'Stopped',
              CurrentSamplingPercentage: capture.InitialSamplingPercentage,
              DestinationS3Uri: capture.DestinationS3Uri,
              ...(capture.KmsKeyId ? { KmsKeyId: capture.KmsKeyId } : {}),
            },
          }
        : {}),
    };
  };

  return {
    CreateEndpoint: async (ctx, input) => {
      const arn = arnOf(ctx, input.EndpointName);
      if (await deps.resources.get('endpoint', input.EndpointName)) throw cannotCreateExisting('endpoint', arn);
      const plan = await planFleet(deps, ctx, input.EndpointConfigName, 1);
      const tags = checkCreateTags(input.Tags);
      const t = now();
      const doc: EndpointDoc = {
        EndpointName: input.EndpointName,
        EndpointArn: arn,
        EndpointConfigName: plan.endpointConfigName,
        EndpointStatus: EndpointStatus.Creating,
        ...endpointSummaries(plannedVariantSummaries(plan), plan),
        CreationTime: wireTime(t),
        LastModifiedTime: wireTime(t),
      };
      const internal: EndpointInternal = { active: plan, nextGeneration: 2 };
      try {
        await deps.resources.create({ kind: 'endpoint', name: input.EndpointName, arn, status: EndpointStatus.Creating, creationTime: t, lastModifiedTime: t, doc, internal });
      } catch (err) {
        if (err instanceof ResourceExistsError) throw cannotCreateExisting('endpoint', arn);
        throw err;
      }
      if (tags.length) await deps.tags.put(arn, tags);
      // The Python SDK's live log tail waits forever for a missing group (contract §1.5).
      await deps.logs.ensureGroup(endpointLogGroup(input.EndpointName), t);
      deps.queue.enqueue(key(input.EndpointName));
      return { EndpointArn: arn };
    },

    DescribeEndpoint: describe,

    ListEndpoints: async (_ctx, input) => {
      const page = await listResources(deps.resources, 'endpoint', input, 'Descending');
      return {
        Endpoints: page.items.map((r) => ({
          EndpointName: r.doc.EndpointName,
          EndpointArn: r.doc.EndpointArn,
          CreationTime: r.doc.CreationTime,
          LastModifiedTime: wireTime(r.lastModifiedTime),
          // The record's status is one of resources/endpoint.ts's, all of them the model's.
          EndpointStatus: r.status as WireEndpointStatus,
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },

    DeleteEndpoint: async (ctx, input) => {
      await mustGet(ctx, input.EndpointName);
      await deps.resources.update('endpoint', input.EndpointName, (rec) => {
        rec.status = EndpointStatus.Deleting;
        rec.doc.EndpointStatus = EndpointStatus.Deleting;
      });
      deps.queue.enqueue(key(input.EndpointName));
      return {};
    },

    UpdateEndpoint: async (ctx, input) => {
      const rec = await mustGet(ctx, input.EndpointName);
      if (rec.status !== EndpointStatus.InService) {
        // Observed wording for an endpoint that is still Creating/Updating.
        throw new ValidationException(`Cannot update in-progress endpoint "${rec.arn}".`);
      }
      const plan = await planFleet(deps, ctx, input.EndpointConfigName, rec.internal.nextGeneration);
      // Updating a real-time endpoint to a serverless one is not supported; the reverse is
      // (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-update.html).
      if (plan.variants.some((v) => v.serverless) && rec.internal.active.variants.some((v) => !v.serverless)) {
        throw new ValidationException(`Endpoint "${rec.arn}" is instance-based: it cannot be updated to a serverless endpoint configuration.`);
      }
      if (input.RetainAllVariantProperties) {
        for (const v of plan.variants) {
          const cur = rec.internal.active.variants.find((a) => a.variantName === v.variantName);
          if (cur) {
            v.weight = cur.weight;
            v.instanceCount = cur.instanceCount;
          }
        }
      }
      await deps.resources.update('endpoint', input.EndpointName, (r) => {
        r.status = EndpointStatus.Updating;
        r.doc.EndpointStatus = EndpointStatus.Updating;
        delete r.doc.FailureReason;
        r.internal.pending = plan;
        r.internal.nextGeneration = plan.generation + 1;
      });
      deps.queue.enqueue(key(input.EndpointName));
      return { EndpointArn: rec.arn };
    },

    UpdateEndpointWeightsAndCapacities: async (ctx, input) => {
      const rec = await mustGet(ctx, input.EndpointName);
      if (rec.status !== EndpointStatus.InService) throw new ValidationException(`Cannot update in-progress endpoint "${rec.arn}".`);
      const missing = input.DesiredWeightsAndCapacities.filter((d) => !rec.internal.active.variants.some((v) => v.variantName === d.VariantName));
      if (missing.length) {
        throw new ValidationException(
          `The variant name(s) "[${missing.map((m) => m.VariantName).join(', ')}]" is/are not present in the endpoint "${rec.arn}".`,
        );
      }
      for (const d of input.DesiredWeightsAndCapacities) {
        if (d.DesiredWeight === undefined && d.DesiredInstanceCount === undefined) {
          throw new ValidationException(`Either DesiredWeight or DesiredInstanceCount must be given for variant ${d.VariantName}.`);
        }
        if (d.DesiredInstanceCount !== undefined && d.DesiredInstanceCount < 1) {
          throw new ValidationException(`DesiredInstanceCount must be at least 1 for variant ${d.VariantName}.`);
        }
        if (d.DesiredWeight !== undefined && d.DesiredWeight < 0) throw new ValidationException(`DesiredWeight must not be negative.`);
        const serverless = rec.internal.active.variants.find((v) => v.variantName === d.VariantName)?.serverless;
        if (serverless && d.DesiredInstanceCount !== undefined) throw new ValidationException(`Variant ${d.VariantName} is serverless: it has no instance count to set.`);
        if (d.ServerlessUpdateConfig !== undefined) throw new ValidationException('ServerlessUpdateConfig is not supported by Slipway yet; update the endpoint with a new endpoint configuration instead.');
      }
      await deps.resources.update('endpoint', input.EndpointName, (r) => applyDesiredWeightsAndCapacities(r, input.DesiredWeightsAndCapacities));
      deps.queue.enqueue(key(input.EndpointName));
      return { EndpointArn: rec.arn };
    },
  };
}
