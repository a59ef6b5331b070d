/**
 * @module controllers/endpoint/fleet-admission — endpoints' side of admission by capacity
 * (controllers/admission): what each endpoint holds or waits for, read from its record, and the
 * ask a fleet makes before its containers start.
 *
 *   Creating   the active fleet asks (in creation order); waits while jobs hold the capacity,
 *              fails with SageMaker's insufficient-capacity reason while endpoints do
 *   Updating   the new fleet asks on top of the old one (blue/green needs both at once); a
 *              refusal leaves the old fleet serving, with FailureReason
 *   scaling    UpdateEndpointWeightsAndCapacities asks for the added instances only
 *   InService  scaling in gives capacity back; fleets from before admission are adopted as held
 */
import type { ResourceStore } from '../../storage/resource-store.js';
import type { Admission } from '../admission/admission.js';
import { add, fits, instanceDemand, sameDemand, subtract, sum, type Demand } from '../../resources/demand.js';
import type { Claim } from '../admission/ledger.js';
import { EndpointStatus, type FleetPlan } from '../../resources/endpoint.js';
import type { ResourceRecord } from '../../resources/kinds.js';

type EndpointRecord = ResourceRecord<'endpoint'>;

export type FleetAdmissionResult = { state: 'admitted' } | { state: 'waiting'; message: string } | { state: 'refused'; message: string };

export function fleetDemand(plan: FleetPlan): Demand {
  return sum(plan.variants.map((v) => instanceDemand(v.instanceType, v.instanceCount)));
}

function describeFleet(plan: FleetPlan, counts?: Map<string, number>): string {
  return plan.variants.map((v) => `${counts?.get(v.variantName) ?? v.instanceCount} x ${v.instanceType ?? 'unknown'} for ${v.variantName}`).join(', ');
}

/** The claims of every endpoint, as their records say (a claim source for Admission). */
export async function endpointClaims(resources: ResourceStore): Promise<Claim[]> {
  const out: Claim[] = [];
  const live = [EndpointStatus.Creating, EndpointStatus.InService, EndpointStatus.Updating, EndpointStatus.Deleting];
  for (const rec of await resources.listByStatus('endpoint', live)) {
    const key = `endpoint:${rec.name}`;
    const { active, pending } = rec.internal;
    const want = fleetDemand(active);
    if (active.admitted) out.push({ key, kind: 'endpoint', order: rec.creationTime, demand: active.admitted, held: true });
    else if (rec.status === EndpointStatus.Creating) out.push({ key, kind: 'endpoint', order: rec.creationTime, demand: want, held: false });
    // Fleets from before admission existed hold what they run.
    else out.push({ key, kind: 'endpoint', order: rec.creationTime, demand: want, held: true });
    if (active.admitted && rec.status === EndpointStatus.Updating && !pending && !fits(want, active.admitted)) {
      out.push({ key: `${key}#scale`, kind: 'endpoint', order: active.askedAt ?? rec.lastModifiedTime, demand: subtract(want, active.admitted), held: false });
    }
    if (pending?.admitted) out.push({ key: `${key}#pending`, kind: 'endpoint', order: rec.creationTime, demand: pending.admitted, held: true });
    else if (pending && rec.status === EndpointStatus.Updating) {
      out.push({ key: `${key}#pending`, kind: 'endpoint', order: pending.askedAt ?? rec.lastModifiedTime, demand: fleetDemand(pending), held: false });
    }
  }
  return out;
}

/**
 * Asks admission for `plan` of `rec` (the active fleet, or the pending one of an update). The
 * record is updated in place and in storage: `admitted` once granted, `askedAt` while waiting.
 */
export async function admitFleet(resources: ResourceStore, admission: Admission, rec: EndpointRecord, plan: FleetPlan): Promise<FleetAdmissionResult> {
  const role = rec.internal.pending?.generation === plan.generation ? 'pending' : 'active';
  const want = fleetDemand(plan);
  const save = async (mutate: (p: FleetPlan) => void): Promise<void> => {
    mutate(plan);
    await resources.update('endpoint', rec.name, (r) => {
      const p = role === 'pending' ? r.internal.pending : r.internal.active;
      if (p?.generation === plan.generation) mutate(p);
    }, { touch: false });
  };
  if (plan.admitted && fits(want, plan.admitted)) {
    // Scaled in: the capacity no longer used goes back.
    if (rec.status === EndpointStatus.InService && !sameDemand(want, plan.admitted)) await save((p) => (p.admitted = want));
    return { state: 'admitted' };
  }
  if (!plan.admitted && role === 'active' && rec.status !== EndpointStatus.Creating) {
    await save((p) => (p.admitted = want));
    return { state: 'admitted' };
  }
  const key = `endpoint:${rec.name}${role === 'pending' ? '#pending' : plan.admitted ? '#scale' : ''}`;
  const asking = plan.admitted ? subtract(want, plan.admitted) : want;
  if (key !== `endpoint:${rec.name}` && plan.askedAt === undefined) await save((p) => (p.askedAt = Date.now()));
  const order = key === `endpoint:${rec.name}` ? rec.creationTime : plan.askedAt!;
  const decision = await admission.request({ key, kind: 'endpoint', order, demand: asking, what: describeFleet(plan) }, () =>
    save((p) => {
      p.admitted = p.admitted ? add(p.admitted, asking) : want;
      delete p.askedAt;
    }),
  );
  if (decision.admit) return { state: 'admitted' };
  return decision.wait ? { state: 'waiting', message: decision.message } : { state: 'refused', message: decision.message };
}
