/**
 * @module resources/demand — what a resource asks of the host (vCPUs, memory, GPUs of
 * its instance type times its instance count) and the arithmetic admission needs on it.
 */
import { instanceSpec } from './instance-types.js';

export interface Demand {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

export const NO_DEMAND: Demand = { cpus: 0, memoryBytes: 0, gpus: 0 };

/** `count` instances of `instanceType`; an unknown type (run without limits) asks for nothing. */
export function instanceDemand(instanceType: string | undefined, count: number): Demand {
  const spec = instanceSpec(instanceType);
  if (!spec) return NO_DEMAND;
  return { cpus: spec.vcpus * count, memoryBytes: spec.memoryGiB * 1024 ** 3 * count, gpus: spec.gpus * count };
}

export function add(a: Demand, b: Demand): Demand {
  return { cpus: a.cpus + b.cpus, memoryBytes: a.memoryBytes + b.memoryBytes, gpus: a.gpus + b.gpus };
}

export function subtract(a: Demand, b: Demand): Demand {
  return { cpus: a.cpus - b.cpus, memoryBytes: a.memoryBytes - b.memoryBytes, gpus: a.gpus - b.gpus };
}

export function sum(ds: Demand[]): Demand {
  return ds.reduce(add, NO_DEMAND);
}

/** Each dimension of `d` at most that of `cap`. */
export function atMost(d: Demand, cap: Demand): Demand {
  return { cpus: Math.min(d.cpus, cap.cpus), memoryBytes: Math.min(d.memoryBytes, cap.memoryBytes), gpus: Math.min(d.gpus, cap.gpus) };
}

/** Whether `d` fits in `free` (a tiny tolerance absorbs floating-point sums). */
export function fits(d: Demand, free: Demand): boolean {
  const eps = 1e-6;
  return d.cpus <= free.cpus + eps && d.memoryBytes <= free.memoryBytes + 1 && d.gpus <= free.gpus + eps;
}

export function sameDemand(a: Demand, b: Demand): boolean {
  return fits(a, b) && fits(b, a);
}

/** `4 vCPUs, 16.0 GiB` (and GPUs when there are any), for status messages. */
export function describeDemand(d: Demand): string {
  const cpus = Number.isInteger(d.cpus) ? String(d.cpus) : d.cpus.toFixed(1);
  const parts = [`${cpus} vCPU${d.cpus === 1 ? '' : 's'}`, `${(Math.max(0, d.memoryBytes) / 1024 ** 3).toFixed(1)} GiB`];
  if (d.gpus > 0) parts.push(`${d.gpus} GPU${d.gpus === 1 ? '' : 's'}`);
  return parts.join(', ');
}
