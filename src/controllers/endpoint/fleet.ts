/**
 * @module controllers/endpoint/fleet — the life of one hosting instance as a state, and the
 * decisions the endpoint controller takes over a fleet, as pure functions (fleet.test.ts).
 *
 *   Starting ──GET /ping 200──▶ Serving ──exit, or 3 failed pings──▶ Died
 *      │                                                              (replaced, endpoint stays up)
 *      └──exit, or no 200 within the startup window──▶ StartFailed    (the fleet fails)
 *   any ──retire (scale-in, old fleet after blue/green, teardown)──▶ Retiring
 *
 * Only a Serving instance is routed, counted as healthy and sampled for metrics (`isServing`).
 */
import type { EndpointInternal, FleetPlan } from '../../resources/endpoint.js';

export const InstanceState = {
  Starting: 'Starting',
  Serving: 'Serving',
  StartFailed: 'StartFailed',
  Died: 'Died',
  Retiring: 'Retiring',
} as const;
export type InstanceState = (typeof InstanceState)[keyof typeof InstanceState];

/** What the decisions below need to know of an instance. */
export interface FleetMember {
  variant: string;
  generation: number;
  startedAt: number;
  state: InstanceState;
  /** How a StartFailed or Died instance ended (exit code, failed checks). */
  reason?: string;
}

/** The one serving predicate: routed, counted as CurrentInstanceCount, sampled for metrics. */
export function isServing(i: FleetMember): boolean {
  return i.state === InstanceState.Serving;
}

/** Starting or Serving: counts toward the variant's instances. */
export function isAlive(i: FleetMember): boolean {
  return i.state === InstanceState.Starting || i.state === InstanceState.Serving;
}

/** StartFailed or Died: never comes back, is removed so a replacement can take its place. */
export function isDead(i: FleetMember): boolean {
  return i.state === InstanceState.StartFailed || i.state === InstanceState.Died;
}

/**
 * Its ping answered 200: Starting becomes Serving (true). One whose container stopped while the
 * ping was under way did serve, so it died rather than failed to start (false).
 */
export function markServing(i: FleetMember): boolean {
  if (i.state === InstanceState.StartFailed) i.state = InstanceState.Died;
  if (i.state !== InstanceState.Starting) return false;
  i.state = InstanceState.Serving;
  return true;
}

/**
 * Its container stopped or it was given up on: a Starting instance failed to start, a Serving one
 * died. The first reason stays; a retiring instance is left as it is.
 */
export function markEnded(i: FleetMember, reason: string): void {
  if (i.state === InstanceState.Starting) i.state = InstanceState.StartFailed;
  else if (i.state === InstanceState.Serving) i.state = InstanceState.Died;
  else return;
  i.reason = reason;
}

/** An instance that could not even be started: StartFailed with this reason, whatever came before. */
export function markStartFailed(i: FleetMember, reason: string): void {
  if (i.state === InstanceState.Retiring) return;
  i.state = InstanceState.StartFailed;
  i.reason = reason;
}

export function markRetiring(i: FleetMember): void {
  i.state = InstanceState.Retiring;
}

/** The members of one variant of one fleet generation. */
export function ofVariant<T extends FleetMember>(members: Iterable<T>, generation: number, variant: string): T[] {
  return [...members].filter((i) => i.generation === generation && i.variant === variant);
}

/**
 * Scale-in: which of a variant's alive instances go when it has more than `count`. Those not yet
 * serving first, then the newest, so the instances that have served longest stay.
 */
export function scaleInVictims<T extends FleetMember>(alive: readonly T[], count: number): T[] {
  if (alive.length <= count) return [];
  return [...alive].sort((a, b) => Number(isServing(a)) - Number(isServing(b)) || b.startedAt - a.startedAt).slice(0, alive.length - count);
}

/** Blue/green: the update's fleet `pending` is serving, so it becomes the active one in one step. */
export function promotePending(internal: EndpointInternal, pending: FleetPlan): void {
  internal.active = pending;
  delete internal.pending;
}

/** How the record changes when an update's new fleet failed: the old fleet keeps serving. */
export function dropPending(internal: EndpointInternal): void {
  delete internal.pending;
}

/**
 * After a failed UpdateEndpointWeightsAndCapacities: each variant keeps the capacity that is
 * actually serving (at least one instance), so the endpoint does not keep retrying the new count.
 */
export function settleFailedScaling(plan: FleetPlan, members: Iterable<FleetMember>): void {
  const all = [...members];
  for (const v of plan.variants) {
    const serving = ofVariant(all, plan.generation, v.variantName).filter(isServing).length;
    v.instanceCount = Math.max(1, serving);
  }
}
