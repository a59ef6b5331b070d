/**
 * @module services/application-autoscaling/operations/targets — RegisterScalableTarget,
 * DescribeScalableTargets, DeregisterScalableTarget for SageMaker endpoint variants
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-register.html).
 * Registering an existing target updates the given members only, as AWS does.
 */
import { randomUUID } from 'node:crypto';
import { ValidationException } from '../../../protocol/errors.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Operations, ScalableTarget } from '../generated/types.js';
import type { RequestContext } from '../../../protocol/context.js';
import { SAGEMAKER_NAMESPACE, VARIANT_DIMENSION, scalableTargetArn, type ScalableTargetRecord, type SuspendedStateDoc } from '../../../resources/scalable-target.js';
import { sageMakerArn } from '../../../resources/arn.js';
import type { AutoscalingDeps } from '../deps.js';
import { checkVariantTarget, noScalableTarget } from '../errors.js';
import { pageOf } from '../paging.js';
import { mergeTags } from './tags.js';

/** The service-linked role SageMaker variants scale with (RoleARN when the caller gives none). */
export function serviceLinkedRole(account: string): string {
  return `arn:aws:iam::${account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`;
}

export function targetDoc(t: ScalableTargetRecord): ScalableTarget {
  return {
    ServiceNamespace: SAGEMAKER_NAMESPACE,
    ResourceId: t.resourceId,
    ScalableDimension: VARIANT_DIMENSION,
    MinCapacity: t.minCapacity,
    MaxCapacity: t.maxCapacity,
    RoleARN: t.roleArn,
    CreationTime: t.createdAt / 1000,
    SuspendedState: {
      DynamicScalingInSuspended: t.suspended.DynamicScalingInSuspended === true,
      DynamicScalingOutSuspended: t.suspended.DynamicScalingOutSuspended === true,
      ScheduledScalingSuspended: t.suspended.ScheduledScalingSuspended === true,
    },
    ScalableTargetARN: t.arn,
  };
}

export function targetOperations(deps: AutoscalingDeps): OperationHandlers<Operations> {
  const now = () => (deps.now ?? Date.now)();
  const enqueue = (resourceId: string) => deps.queue.enqueue(`autoscaling:${resourceId}`);

  /** The endpoint and variant must exist when a target is registered. */
  const checkEndpoint = async (ctx: RequestContext, endpoint: string, variant: string) => {
    const rec = await deps.resources.get('endpoint', endpoint);
    if (!rec) {
      // SageMaker's own "Could not find" wording (Application Auto Scaling passes it through).
      throw new ValidationException(`Could not find endpoint "${sageMakerArn(ctx.region, ctx.accountId, 'endpoint', endpoint)}".`);
    }
    const v = rec.internal.active.variants.find((x) => x.variantName === variant);
    if (!v) {
      throw new ValidationException(`The variant name "${variant}" is not present in the endpoint "${rec.arn}".`);
    }
    // A serverless variant has no instance count (AWS scales its provisioned concurrency instead, which Slipway does not).
    if (v.serverless) throw new ValidationException(`The variant "${variant}" of endpoint "${rec.arn}" is serverless: sagemaker:variant:DesiredInstanceCount does not apply to it.`);
  };

  return {
    RegisterScalableTarget: async (ctx, input) => {
      const { endpoint, variant } = checkVariantTarget(input);
      await checkEndpoint(ctx, endpoint, variant);
      const existing = await deps.store.getTarget(input.ResourceId);
      if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
        throw new ValidationException('MinCapacity and MaxCapacity are required for registering a new scalable target.');
      }
      const min = input.MinCapacity ?? existing!.minCapacity;
      const max = input.MaxCapacity ?? existing!.maxCapacity;
      // Real-time variants keep at least one instance; scale to zero is for inference components.
      if (min < 1) throw new ValidationException(`MinCapacity must be at least 1 for ${VARIANT_DIMENSION}.`);
      if (min > max) throw new ValidationException(`Minimum capacity cannot be greater than maximum capacity (MinCapacity ${min}, MaxCapacity ${max}).`);
      const suspended: SuspendedStateDoc = { ...(existing?.suspended ?? {}), ...(input.SuspendedState ?? {}) };
      const arn = existing?.arn ?? scalableTargetArn(ctx.region, ctx.accountId, randomUUID().replace(/-/g, ''));
      const tags = mergeTags(arn, existing?.tags ?? {}, input.Tags ?? {});
      const record: ScalableTargetRecord = {
        resourceId: input.ResourceId,
        minCapacity: min,
        maxCapacity: max,
        roleArn: input.RoleARN ?? existing?.roleArn ?? serviceLinkedRole(ctx.accountId),
        suspended,
        arn,
        createdAt: existing?.createdAt ?? now(),
        tags,
      };
      await deps.store.putTarget(record);
      enqueue(input.ResourceId);
      return { ScalableTargetARN: record.arn };
    },

    DescribeScalableTargets: async (_ctx, input) => {
      // Other namespaces hold nothing here: an empty list, as for an account without targets.
      const all =
        input.ServiceNamespace !== SAGEMAKER_NAMESPACE || (input.ScalableDimension !== undefined && input.ScalableDimension !== VARIANT_DIMENSION)
          ? []
          : (await deps.store.listTargets()).filter((t) => !input.ResourceIds?.length || input.ResourceIds.includes(t.resourceId));
      const page = pageOf(all, input.MaxResults, input.NextToken);
      return { ScalableTargets: page.items.map(targetDoc), ...(page.NextToken ? { NextToken: page.NextToken } : {}) };
    },

    DeregisterScalableTarget: async (_ctx, input) => {
      checkVariantTarget(input);
      // Its policies go with it (ON DELETE CASCADE), as in AWS.
      if (!await deps.store.deleteTarget(input.ResourceId)) throw noScalableTarget(input.ResourceId, input.ScalableDimension);
      enqueue(input.ResourceId);
      return {};
    },
  };
}
