/**
 * @module controllers/autoscaling/target-tracking — the pure decision of target tracking for one
 * scalable target, after AWS's alarms
 * (https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html):
 *
 *   datapoint per evaluation interval ──▶ AlarmHigh: the last 3 above the target  ──▶ scale out
 *                                       AlarmLow:  the last 15 below 90 % of it    ──▶ scale in
 *   desired = ceil(current × metric / target), clamped to [min, max]
 *
 * Several policies: any one may scale out (the largest capacity wins); scale-in only when every
 * policy that allows it agrees (the largest of their capacities). Cooldowns: a scale-out waits
 * ScaleOutCooldown after the previous scale-out, a scale-in ScaleInCooldown after the previous
 * scale-in. A capacity outside a changed [min, max] is brought inside at once.
 */

/** Datapoints in a row above the target before scaling out (AWS: 3 of 3 one-minute periods). */
export const SCALE_OUT_DATAPOINTS = 3;
/** Datapoints in a row below the low threshold before scaling in (AWS: 15 of 15). */
export const SCALE_IN_DATAPOINTS = 15;
/** AlarmLow's threshold is 90 % of the target value. */
export const SCALE_IN_RATIO = 0.9;

export interface PolicyView {
  name: string;
  targetValue: number;
  scaleOutCooldownSeconds: number;
  scaleInCooldownSeconds: number;
  disableScaleIn: boolean;
  /** Datapoints oldest first; undefined where the metric had no data. */
  datapoints: readonly (number | undefined)[];
}

export interface TargetView {
  current: number;
  min: number;
  max: number;
  now: number;
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
  scaleOutSuspended: boolean;
  scaleInSuspended: boolean;
  policies: readonly PolicyView[];
}

/** A policy's alarm asks for a new capacity. */
export interface ScaleDecision {
  kind: 'out' | 'in';
  desired: number;
  policy: string;
  alarm: 'AlarmHigh' | 'AlarmLow';
  /** The datapoint that decided it. */
  metric: number;
}

export type Decision = { kind: 'none' } | { kind: 'bounds'; desired: number; bound: 'min' | 'max' } | ScaleDecision;

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

/** ceil(current × metric / target), clamped; a current of 0 counts as 1 so a loaded variant can grow. */
export function trackedCapacity(current: number, metric: number, target: number, min: number, max: number): number {
  if (!(target > 0) || !Number.isFinite(metric)) return clamp(current, min, max);
  // A hair of tolerance so 2 × 50 / 50 is 2, not 3 through rounding.
  return clamp(Math.ceil((Math.max(1, current) * metric) / target - 1e-9), min, max);
}

function lastN(points: readonly (number | undefined)[], n: number): number[] | undefined {
  if (points.length < n) return undefined;
  const tail = points.slice(points.length - n);
  return tail.every((p) => p !== undefined) ? (tail as number[]) : undefined;
}

export function decide(t: TargetView): Decision {
  if (t.current < t.min) return { kind: 'bounds', desired: t.min, bound: 'min' };
  if (t.current > t.max) return { kind: 'bounds', desired: t.max, bound: 'max' };

  let out: ScaleDecision | undefined;
  const ins: ScaleDecision[] = [];
  let inVetoed = false;
  for (const p of t.policies) {
    const high = lastN(p.datapoints, SCALE_OUT_DATAPOINTS);
    const latest = p.datapoints[p.datapoints.length - 1];
    if (high && high.every((v) => v > p.targetValue) && latest !== undefined) {
      const desired = trackedCapacity(t.current, latest, p.targetValue, t.min, t.max);
      if (desired > t.current && (!out || desired > out.desired)) out = { kind: 'out', desired, policy: p.name, alarm: 'AlarmHigh', metric: latest };
    }
    if (p.disableScaleIn) continue;
    const low = lastN(p.datapoints, SCALE_IN_DATAPOINTS);
    if (low && low.every((v) => v < p.targetValue * SCALE_IN_RATIO) && latest !== undefined) {
      const desired = trackedCapacity(t.current, latest, p.targetValue, t.min, t.max);
      if (desired < t.current) ins.push({ kind: 'in', desired, policy: p.name, alarm: 'AlarmLow', metric: latest });
      else inVetoed = true;
    } else {
      inVetoed = true;
    }
  }

  if (out && !t.scaleOutSuspended) {
    const policy = t.policies.find((p) => p.name === out.policy)!;
    if (t.lastScaleOutAt === undefined || t.now - t.lastScaleOutAt >= policy.scaleOutCooldownSeconds * 1000) return out;
    return { kind: 'none' };
  }
  if (out || inVetoed || ins.length === 0 || t.scaleInSuspended) return { kind: 'none' };
  const chosen = ins.reduce((a, b) => (b.desired > a.desired ? b : a));
  const cooldown = Math.max(...t.policies.filter((p) => !p.disableScaleIn).map((p) => p.scaleInCooldownSeconds));
  if (t.lastScaleInAt !== undefined && t.now - t.lastScaleInAt < cooldown * 1000) return { kind: 'none' };
  return chosen;
}
