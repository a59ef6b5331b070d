/**
 * @module resources/scalable-target — Application Auto Scaling's resources for SageMaker endpoint
 * variants: the scalable target, its scaling policies and activities as stored and as the wire shows
 * them, the `endpoint/<name>/variant/<variant>` resource id, and the desired-capacity change both
 * UpdateEndpointWeightsAndCapacities and the autoscaling driver write
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html).
 */
import { EndpointStatus, type EndpointDoc, type EndpointInternal } from './endpoint.js';

export const SAGEMAKER_NAMESPACE = 'sagemaker';
export const VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
export const INVOCATIONS_PER_INSTANCE = 'SageMakerVariantInvocationsPerInstance';
/** ScaleOutCooldown / ScaleInCooldown when a policy leaves them out: 300 s for SageMaker variants (API_TargetTrackingScalingPolicyConfiguration). */
export const DEFAULT_COOLDOWN_SECONDS = 300;

export interface SuspendedStateDoc {
  DynamicScalingInSuspended?: boolean;
  DynamicScalingOutSuspended?: boolean;
  ScheduledScalingSuspended?: boolean;
}

export interface ScalableTargetRecord {
  resourceId: string;
  minCapacity: number;
  maxCapacity: number;
  roleArn: string;
  suspended: SuspendedStateDoc;
  arn: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the last scale-out / scale-in the driver applied (cooldowns survive restarts). */
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
  /** TagResource / RegisterScalableTarget Tags; they go with the target. */
  tags: Record<string, string>;
}

/** Tags per scalable target (https://docs.aws.amazon.com/autoscaling/application/userguide/resource-tagging-support.html). */
export const MAX_TAGS_PER_TARGET = 50;

export interface MetricDimensionDoc {
  Name: string;
  Value: string;
}

export interface CustomizedMetricDoc {
  MetricName?: string;
  Namespace?: string;
  Dimensions?: MetricDimensionDoc[];
  Statistic?: string;
  Unit?: string;
  Metrics?: unknown[];
}

export interface TargetTrackingConfigDoc {
  TargetValue: number;
  PredefinedMetricSpecification?: { PredefinedMetricType: string; ResourceLabel?: string };
  CustomizedMetricSpecification?: CustomizedMetricDoc;
  ScaleOutCooldown?: number;
  ScaleInCooldown?: number;
  DisableScaleIn?: boolean;
}

export interface ScalingPolicyRecord {
  resourceId: string;
  name: string;
  arn: string;
  config: TargetTrackingConfigDoc;
  alarms: { AlarmName: string; AlarmARN: string }[];
  createdAt: number;
}

export const ActivityStatus = {
  Pending: 'Pending',
  InProgress: 'InProgress',
  Successful: 'Successful',
  Overridden: 'Overridden',
  Unfulfilled: 'Unfulfilled',
  Failed: 'Failed',
} as const;
export type ActivityStatus = (typeof ActivityStatus)[keyof typeof ActivityStatus];

export interface ScalingActivityRecord {
  id: string;
  resourceId: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  status: ActivityStatus;
  statusMessage?: string;
  /** The capacity this activity set; the driver marks it Successful once the variant serves that many. */
  desired: number;
}

/** `endpoint/<name>/variant/<variant>` → its parts; undefined for anything else. */
export function parseVariantResourceId(resourceId: string): { endpoint: string; variant: string } | undefined {
  const m = /^endpoint\/([^/]+)\/variant\/([^/]+)$/.exec(resourceId);
  return m ? { endpoint: m[1]!, variant: m[2]! } : undefined;
}

export function scalableTargetArn(region: string, account: string, id: string): string {
  return `arn:aws:application-autoscaling:${region}:${account}:scalable-target/${id}`;
}

export function scalingPolicyArn(region: string, account: string, targetUuid: string, resourceId: string, name: string): string {
  return `arn:aws:autoscaling:${region}:${account}:scalingPolicy:${targetUuid}:resource/${SAGEMAKER_NAMESPACE}/${resourceId}:policyName/${name}`;
}

/** The capacity a variant asks for: what UpdateEndpointWeightsAndCapacities and the driver set. */
export function variantDesiredCount(internal: EndpointInternal, variant: string): number | undefined {
  return internal.active.variants.find((v) => v.variantName === variant)?.instanceCount;
}

/**
 * The one desired-state change of UpdateEndpointWeightsAndCapacities: new weights and counts in the
 * active plan and Describe's summaries, and the endpoint goes Updating so its controller scales the
 * fleet. Callers have checked the endpoint is InService and the variants exist.
 */
export function applyDesiredWeightsAndCapacities(
  rec: { status: string; doc: EndpointDoc; internal: EndpointInternal },
  changes: readonly { VariantName: string; DesiredWeight?: number; DesiredInstanceCount?: number }[],
): void {
  for (const d of changes) {
    const v = rec.internal.active.variants.find((x) => x.variantName === d.VariantName);
    if (!v) continue;
    if (d.DesiredWeight !== undefined) v.weight = d.DesiredWeight;
    if (d.DesiredInstanceCount !== undefined) v.instanceCount = d.DesiredInstanceCount;
    const s = rec.doc.ProductionVariants?.find((x) => x.VariantName === d.VariantName);
    if (s) {
      s.DesiredWeight = v.weight;
      s.DesiredInstanceCount = v.instanceCount;
    }
  }
  rec.status = EndpointStatus.Updating;
  rec.doc.EndpointStatus = EndpointStatus.Updating;
  delete rec.doc.FailureReason;
}
