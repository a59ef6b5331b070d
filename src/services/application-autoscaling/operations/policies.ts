/**
 * @module services/application-autoscaling/operations/policies — PutScalingPolicy,
 * DescribeScalingPolicies, DeleteScalingPolicy, DescribeScalingActivities. Only target tracking is
 * served, on `SageMakerVariantInvocationsPerInstance` or a CustomizedMetricSpecification read from
 * Slipway's own metric store; StepScaling and PredictiveScaling are refused with a clear message
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html).
 */
import { randomUUID } from 'node:crypto';
import { ValidationException } from '../../../protocol/errors.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Operations, ScalingActivity, ScalingPolicy, TargetTrackingScalingPolicyConfiguration } from '../generated/types.js';
import {
  INVOCATIONS_PER_INSTANCE,
  SAGEMAKER_NAMESPACE,
  VARIANT_DIMENSION,
  scalingPolicyArn,
  type ScalingActivityRecord,
  type ScalingPolicyRecord,
  type TargetTrackingConfigDoc,
} from '../../../resources/scalable-target.js';
import type { AutoscalingDeps } from '../deps.js';
import { checkVariantTarget, noScalableTarget, noScalingPolicy } from '../errors.js';
import { decodeOffset, encodeOffset, DEFAULT_PAGE, pageOf } from '../paging.js';

const STATISTICS = new Set(['Average', 'Minimum', 'Maximum', 'SampleCount', 'Sum']);

/** What the model cannot say about a target-tracking configuration. */
export function checkTargetTracking(c: TargetTrackingConfigDoc | undefined): TargetTrackingConfigDoc {
  if (!c) throw new ValidationException('TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.');
  if (!(c.TargetValue > 0)) throw new ValidationException(`TargetValue must be greater than 0, got ${c.TargetValue}.`);
  const predefined = c.PredefinedMetricSpecification;
  const custom = c.CustomizedMetricSpecification;
  if ((predefined === undefined) === (custom === undefined)) {
    throw new ValidationException('Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given.');
  }
  if (predefined && predefined.PredefinedMetricType !== INVOCATIONS_PER_INSTANCE) {
    throw new ValidationException(
      `Scalable dimension ${VARIANT_DIMENSION} only supports the following predefined metric types: ${INVOCATIONS_PER_INSTANCE} (Slipway serves no other; got ${predefined.PredefinedMetricType}).`,
    );
  }
  if (custom) {
    if (custom.Metrics !== undefined) throw new ValidationException('Metric math (CustomizedMetricSpecification.Metrics) is not supported by Slipway; give MetricName, Namespace and Statistic.');
    if (!custom.MetricName || !custom.Namespace || !custom.Statistic) {
      throw new ValidationException('CustomizedMetricSpecification needs MetricName, Namespace and Statistic.');
    }
    if (!STATISTICS.has(custom.Statistic)) throw new ValidationException(`Unsupported Statistic ${custom.Statistic}.`);
  }
  for (const [name, v] of [['ScaleOutCooldown', c.ScaleOutCooldown], ['ScaleInCooldown', c.ScaleInCooldown]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new ValidationException(`${name} must be a non-negative number of seconds.`);
  }
  return c;
}

export function policyDoc(p: ScalingPolicyRecord): ScalingPolicy {
  return {
    PolicyARN: p.arn,
    PolicyName: p.name,
    ServiceNamespace: SAGEMAKER_NAMESPACE,
    ResourceId: p.resourceId,
    ScalableDimension: VARIANT_DIMENSION,
    PolicyType: 'TargetTrackingScaling',
    // Stored as PutScalingPolicy received it (of this type) once checkTargetTracking passed it.
    TargetTrackingScalingPolicyConfiguration: p.config as TargetTrackingScalingPolicyConfiguration,
    Alarms: p.alarms,
    CreationTime: p.createdAt / 1000,
  };
}

function activityDoc(a: ScalingActivityRecord): ScalingActivity {
  return {
    ActivityId: a.id,
    ServiceNamespace: SAGEMAKER_NAMESPACE,
    ResourceId: a.resourceId,
    ScalableDimension: VARIANT_DIMENSION,
    Description: a.description,
    Cause: a.cause,
    StartTime: a.startTime / 1000,
    ...(a.endTime !== undefined ? { EndTime: a.endTime / 1000 } : {}),
    StatusCode: a.status,
    ...(a.statusMessage !== undefined ? { StatusMessage: a.statusMessage } : {}),
  };
}

export function policyOperations(deps: AutoscalingDeps): OperationHandlers<Operations> {
  const now = () => (deps.now ?? Date.now)();

  return {
    PutScalingPolicy: async (ctx, input) => {
      checkVariantTarget(input);
      // PolicyType defaults to StepScaling (API_PutScalingPolicy).
      const type = input.PolicyType ?? 'StepScaling';
      if (type !== 'TargetTrackingScaling') {
        throw new ValidationException(`PolicyType ${type} is not supported by Slipway: use TargetTrackingScaling with a TargetTrackingScalingPolicyConfiguration.`);
      }
      const config = checkTargetTracking(input.TargetTrackingScalingPolicyConfiguration);
      const target = await deps.store.getTarget(input.ResourceId);
      if (!target) throw noScalableTarget(input.ResourceId, input.ScalableDimension);
      const existing = await deps.store.getPolicy(input.ResourceId, input.PolicyName);
      const uuid = target.arn.slice(target.arn.lastIndexOf('/') + 1);
      const alarm = (kind: string) => {
        const name = `TargetTracking-${input.ResourceId}-${kind}-${randomUUID()}`;
        return { AlarmName: name, AlarmARN: `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${name}` };
      };
      const record: ScalingPolicyRecord = existing
        ? { ...existing, config }
        : {
            resourceId: input.ResourceId,
            name: input.PolicyName,
            arn: scalingPolicyArn(ctx.region, ctx.accountId, uuid, input.ResourceId, input.PolicyName),
            config,
            alarms: [alarm('AlarmHigh'), alarm('AlarmLow')],
            createdAt: now(),
          };
      await deps.store.putPolicy(record);
      deps.queue.enqueue(`autoscaling:${input.ResourceId}`);
      return { PolicyARN: record.arn, Alarms: record.alarms };
    },

    DescribeScalingPolicies: async (_ctx, input) => {
      const all =
        input.ServiceNamespace !== SAGEMAKER_NAMESPACE || (input.ScalableDimension !== undefined && input.ScalableDimension !== VARIANT_DIMENSION)
          ? []
          : (await deps.store.listPolicies(input.ResourceId)).filter((p) => !input.PolicyNames?.length || input.PolicyNames.includes(p.name));
      const page = pageOf(all, input.MaxResults, input.NextToken);
      return { ScalingPolicies: page.items.map(policyDoc), ...(page.NextToken ? { NextToken: page.NextToken } : {}) };
    },

    DeleteScalingPolicy: async (_ctx, input) => {
      checkVariantTarget(input);
      if (!await deps.store.deletePolicy(input.ResourceId, input.PolicyName)) throw noScalingPolicy(input.ResourceId, input.ScalableDimension, input.PolicyName);
      return {};
    },

    DescribeScalingActivities: async (_ctx, input) => {
      if (input.ServiceNamespace !== SAGEMAKER_NAMESPACE || (input.ScalableDimension !== undefined && input.ScalableDimension !== VARIANT_DIMENSION)) {
        return { ScalingActivities: [] };
      }
      const limit = input.MaxResults ?? DEFAULT_PAGE;
      // The token is the sequence number to continue below (newest first).
      const before = input.NextToken === undefined ? undefined : decodeOffset(input.NextToken);
      const rows = await deps.store.listActivities(input.ResourceId, { ...(before !== undefined ? { beforeSeq: before } : {}), limit: limit + 1 });
      const items = rows.slice(0, limit);
      return {
        ScalingActivities: items.map(activityDoc),
        ...(rows.length > limit ? { NextToken: encodeOffset(items[items.length - 1]!.seq) } : {}),
      };
    },
  };
}
