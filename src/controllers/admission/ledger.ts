/**
 * @module controllers/admission/ledger — the pure admission decision: given what the host admits,
 * what every resource holds or waits for, and one resource asking, admit it, let it wait, or
 * (an endpoint that cannot fit while today's endpoints stay) turn it down.
 *
 * Rules (docs/container-isolation.md):
 * - A resource is admitted when its demand fits in what the others hold less than the capacity
 *   AND no resource that asked earlier is still waiting: first come, first served, so a large job
 *   is never starved by a stream of small ones. A waiter that cannot fit until an endpoint goes
 *   (endpoints do not end by themselves) holds up no one.
 * - Demand is capped at the capacity, dimension by dimension: a job larger than the whole host
 *   waits until the host is otherwise empty and then runs alone, its containers clamped to the
 *   host as before.
 * - Jobs always wait. An endpoint waits only when waiting can end: when jobs (which finish by
 *   themselves) hold what it lacks. When other endpoints hold it, it would wait until someone
 *   deletes one, so it fails at once with SageMaker's insufficient-capacity wording.
 */
import { atMost, describeDemand, fits, subtract, sum, type Demand } from '../../resources/demand.js';

export type ClaimKind = 'job' | 'endpoint';

/** What one resource holds (admitted) or waits for, as its record says. */
export interface Claim {
  /** `kind:name`, unique across resources. */
  key: string;
  kind: ClaimKind;
  /** Place in the queue: creation time (or the time an update asked), epoch ms. */
  order: number;
  demand: Demand;
  held: boolean;
}

export interface Asking {
  key: string;
  kind: ClaimKind;
  order: number;
  /** Everything the resource wants to hold once admitted (for an endpoint update, old fleet included). */
  demand: Demand;
  /** What the demand is, for messages: `1 x ml.m5.large`. */
  what: string;
}

export type Decision =
  | { admit: true; demand: Demand }
  | { admit: false; wait: true; message: string }
  | { admit: false; wait: false; message: string };

/** `capacity.gpus` 0 means the host offers none to count: GPUs are then left out of admission. */
export function decide(capacity: Demand, claims: readonly Claim[], asking: Asking): Decision {
  const countGpus = capacity.gpus > 0;
  const strip = (d: Demand): Demand => (countGpus ? d : { ...d, gpus: 0 });
  const wanted = atMost(strip(asking.demand), capacity);
  const others = claims.filter((c) => c.key !== asking.key);
  const heldByOthers = sum(others.filter((c) => c.held).map((c) => strip(c.demand)));
  const free = subtract(capacity, heldByOthers);
  const heldByEndpoints = sum(others.filter((c) => c.held && c.kind === 'endpoint').map((c) => strip(c.demand)));
  // What is left once every job has ended: a waiter that does not fit even there waits for an
  // endpoint to go, and would hold up everyone behind it for as long; it does not count as ahead.
  const afterJobs = subtract(capacity, heldByEndpoints);
  const earlier = others.filter(
    (c) => !c.held && (c.order < asking.order || (c.order === asking.order && c.key < asking.key)) && fits(atMost(strip(c.demand), capacity), afterJobs),
  );
  if (fits(wanted, free) && earlier.length === 0) return { admit: true, demand: wanted };

  const needs = `needs ${describeDemand(wanted)} (${asking.what})`;
  const host = `this host admits ${describeDemand(capacity)}`;
  if (asking.kind === 'endpoint' && !fits(wanted, afterJobs)) {
    return {
      admit: false,
      wait: false,
      message:
        `Unable to provision requested ML compute capacity: the endpoint ${needs}; ${host}, of which other endpoints hold ` +
        `${describeDemand(heldByEndpoints)}. Delete an endpoint, lower the instance count or choose a smaller instance type ` +
        `(SLIPWAY_CPU_OVERCOMMIT and SLIPWAY_MEMORY_OVERCOMMIT raise what the host admits).`,
    };
  }
  const queue = earlier.length > 0 ? `; ${earlier.length} earlier job(s) or endpoint(s) wait first` : '';
  const endpoints = fits(wanted, afterJobs) ? '' : `; endpoints hold ${describeDemand(heldByEndpoints)}, so it starts once one is deleted or scaled in`;
  return {
    admit: false,
    wait: true,
    message: `Waiting for capacity on this host: ${asking.kind === 'job' ? 'the job' : 'the endpoint'} ${needs}; ${describeDemand(clampFree(free))} free of what ${host}${queue}${endpoints}.`,
  };
}

function clampFree(d: Demand): Demand {
  return { cpus: Math.max(0, d.cpus), memoryBytes: Math.max(0, d.memoryBytes), gpus: Math.max(0, d.gpus) };
}
