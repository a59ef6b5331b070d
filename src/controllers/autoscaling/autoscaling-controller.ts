/**
 * @module controllers/autoscaling/autoscaling-controller — the Application Auto Scaling driver: one
 * work-queue key per scalable target (`autoscaling:endpoint/<name>/variant/<variant>`), requeued
 * every evaluation interval (SLIPWAY_AUTOSCALING_INTERVAL_SECONDS). Each run takes one datapoint
 * per policy, decides with ./target-tracking.ts and, on a change, writes the variant's desired
 * instance count exactly as UpdateEndpointWeightsAndCapacities does; the endpoint controller then
 * adds instances, or drains and removes them (fleet-runner.ts retire with drain).
 *
 *   queue ──▶ reconcile(target) ──▶ datapoints (metrics) ──▶ decide ──▶ endpoint record: Updating,
 *                                                                       DesiredInstanceCount = n
 *                                                                       + activity InProgress
 *   next runs: the variant serves n (endpoint InService) ──▶ activity Successful
 *
 * An endpoint that is gone deregisters its targets (and their policies), as AWS does
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html). While an
 * endpoint is not InService the run only waits.
 */
import { randomUUID } from 'node:crypto';
import { logger } from '../../platform/logger.js';
import { EndpointStatus } from '../../resources/endpoint.js';
import { resourceKey } from '../../resources/kinds.js';
import {
  ActivityStatus,
  DEFAULT_COOLDOWN_SECONDS,
  applyDesiredWeightsAndCapacities,
  parseVariantResourceId,
  variantDesiredCount,
  type ScalableTargetRecord,
  type ScalingPolicyRecord,
} from '../../resources/scalable-target.js';
import type { SqlAutoscalingStore } from '../../storage/autoscaling-store.js';
import type { ResourceStore } from '../../storage/resource-store.js';
import type { Controller } from '../controller.js';
import { DONE, requeueAfter, type ReconcileResult, type WorkQueue } from '../work-queue.js';
import { SCALE_IN_DATAPOINTS, decide, type Decision } from './target-tracking.js';
import type { MetricReader } from './metric-reader.js';

export const AUTOSCALING_KIND = 'autoscaling';

export interface AutoscalingControllerDeps {
  store: SqlAutoscalingStore;
  resources: ResourceStore;
  queue: WorkQueue;
  metrics: MetricReader;
  intervalSeconds: number;
  now?: () => number;
}

/** Datapoints kept per policy: enough for the longest alarm. */
const HISTORY = SCALE_IN_DATAPOINTS;

export class AutoscalingController implements Controller {
  readonly kind = AUTOSCALING_KIND;
  /** resource id → policy name → datapoints, oldest first (in memory: a restart starts the alarms afresh, as a new alarm would). */
  private readonly history = new Map<string, Map<string, (number | undefined)[]>>();

  constructor(private readonly deps: AutoscalingControllerDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  readonly reconcile = async (key: string): Promise<ReconcileResult> => {
    const resourceId = key.slice(key.indexOf(':') + 1);
    const target = await this.deps.store.getTarget(resourceId);
    const parsed = parseVariantResourceId(resourceId);
    if (!target || !parsed) {
      this.history.delete(resourceId);
      return DONE;
    }
    const endpoint = await this.deps.resources.get('endpoint', parsed.endpoint);
    if (!endpoint || endpoint.status === EndpointStatus.Deleting) {
      await this.deps.store.deleteTarget(resourceId);
      this.history.delete(resourceId);
      logger.info({ resourceId }, 'endpoint deleted: scalable target deregistered');
      return DONE;
    }
    const interval = this.deps.intervalSeconds * 1000;
    const current = variantDesiredCount(endpoint.internal, parsed.variant);
    if (current === undefined) return requeueAfter(interval); // the variant left with an UpdateEndpoint
    await this.settleActivities(target, endpoint.status, endpoint.doc.ProductionVariants?.find((v) => v.VariantName === parsed.variant)?.CurrentInstanceCount, endpoint.doc.FailureReason);

    const policies = await this.deps.store.listPolicies(resourceId);
    const datapoints = await this.sample(target, parsed, policies);
    if (endpoint.status !== EndpointStatus.InService) return requeueAfter(interval);

    const decision = decide({
      current,
      min: target.minCapacity,
      max: target.maxCapacity,
      now: this.now(),
      ...(target.lastScaleOutAt !== undefined ? { lastScaleOutAt: target.lastScaleOutAt } : {}),
      ...(target.lastScaleInAt !== undefined ? { lastScaleInAt: target.lastScaleInAt } : {}),
      scaleOutSuspended: target.suspended.DynamicScalingOutSuspended === true,
      scaleInSuspended: target.suspended.DynamicScalingInSuspended === true,
      policies: policies.map((p) => ({
        name: p.name,
        targetValue: p.config.TargetValue,
        scaleOutCooldownSeconds: p.config.ScaleOutCooldown ?? DEFAULT_COOLDOWN_SECONDS,
        scaleInCooldownSeconds: p.config.ScaleInCooldown ?? DEFAULT_COOLDOWN_SECONDS,
        disableScaleIn: p.config.DisableScaleIn === true,
        datapoints: datapoints.get(p.name) ?? [],
      })),
    });
    if (decision.kind !== 'none') await this.apply(target, parsed, current, decision, policies);
    return requeueAfter(interval);
  };

  /** One datapoint per policy for this interval, appended to its history. */
  private async sample(target: ScalableTargetRecord, at: { endpoint: string; variant: string }, policies: ScalingPolicyRecord[]): Promise<Map<string, (number | undefined)[]>> {
    let byPolicy = this.history.get(target.resourceId);
    if (!byPolicy) {
      byPolicy = new Map();
      this.history.set(target.resourceId, byPolicy);
    }
    for (const name of [...byPolicy.keys()]) if (!policies.some((p) => p.name === name)) byPolicy.delete(name);
    for (const p of policies) {
      const points = byPolicy.get(p.name) ?? [];
      points.push(await this.deps.metrics.datapoint(p.config, at, this.deps.intervalSeconds, this.now()));
      if (points.length > HISTORY) points.splice(0, points.length - HISTORY);
      byPolicy.set(p.name, points);
    }
    return byPolicy;
  }

  /** Writes the new desired count through the UpdateEndpointWeightsAndCapacities path and records the activity. */
  private async apply(target: ScalableTargetRecord, at: { endpoint: string; variant: string }, current: number, decision: Exclude<Decision, { kind: 'none' }>, policies: ScalingPolicyRecord[]): Promise<void> {
    const updated = await this.deps.resources.update('endpoint', at.endpoint, (r) => {
      if (r.status !== EndpointStatus.InService) return;
      applyDesiredWeightsAndCapacities(r, [{ VariantName: at.variant, DesiredInstanceCount: decision.desired }]);
    });
    if (!updated || updated.status !== EndpointStatus.Updating) return;
    this.deps.queue.enqueue(resourceKey('endpoint', at.endpoint));
    const t = this.now();
    const direction = decision.desired > current ? 'out' : 'in';
    await this.deps.store.markScaled(target.resourceId, direction, t);
    // A fresh alarm history after acting, so the next step sees the new capacity's load.
    this.history.delete(target.resourceId);
    await this.deps.store.addActivity({
      id: randomUUID(),
      resourceId: target.resourceId,
      description: `Setting desired instance count to ${decision.desired}.`,
      cause: causeOf(target, decision, policies),
      startTime: t,
      status: ActivityStatus.InProgress,
      desired: decision.desired,
    });
    logger.info({ resourceId: target.resourceId, from: current, to: decision.desired }, 'autoscaling changed the desired instance count');
  }

  /** InProgress activities end Successful once the variant serves their count, Failed when the scaling failed. */
  private async settleActivities(target: ScalableTargetRecord, status: string, serving: number | undefined, failureReason: string | undefined): Promise<void> {
    if (status !== EndpointStatus.InService) return;
    const open = await this.deps.store.openActivities(target.resourceId);
    for (const [i, a] of open.entries()) {
      const t = this.now();
      if (i < open.length - 1) await this.deps.store.finishActivity(a.id, ActivityStatus.Overridden, t, 'A later activity replaced this one.');
      else if (serving === a.desired) await this.deps.store.finishActivity(a.id, ActivityStatus.Successful, t, `Successfully set desired instance count to ${a.desired}. Change successfully fulfilled by sagemaker.`);
      else if (failureReason) await this.deps.store.finishActivity(a.id, ActivityStatus.Failed, t, `Failed to set desired instance count to ${a.desired}. Reason: ${failureReason}`);
    }
  }

  async resume(): Promise<void> {
    for (const t of await this.deps.store.listTargets()) this.deps.queue.enqueue(`${AUTOSCALING_KIND}:${t.resourceId}`);
  }

  async stop(): Promise<void> {
    this.history.clear();
  }
}

/** AWS-like Cause: which alarm triggered which policy, or which bound moved the capacity. */
function causeOf(target: ScalableTargetRecord, d: Exclude<Decision, { kind: 'none' }>, policies: ScalingPolicyRecord[]): string {
  if (d.kind === 'bounds') {
    return d.bound === 'min'
      ? `minimum capacity was set to ${target.minCapacity}`
      : `maximum capacity was set to ${target.maxCapacity}`;
  }
  const policy = policies.find((p) => p.name === d.policy);
  const alarm = policy?.alarms.find((a) => a.AlarmName.includes(`-${d.alarm}-`))?.AlarmName ?? `TargetTracking-${target.resourceId}-${d.alarm}`;
  return `monitor alarm ${alarm} in state ALARM triggered policy ${d.policy}`;
}
