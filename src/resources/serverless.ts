/**
 * @module resources/serverless — a serverless variant (`ServerlessConfig`) as the controller and
 * the data plane see it: its plan, its DescribeEndpoint view, the container limits its memory size
 * buys, and the fleet size its demand asks for. Pure functions (serverless.test.ts).
 *
 * https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html
 */
import { pidsLimitFor, shmSizeFor, type ContainerLimits } from './instance-types.js';

/** ProductionVariantServerlessConfig as the fleet plan keeps it. */
export interface ServerlessPlan {
  memorySizeInMB: number;
  maxConcurrency: number;
  /** Containers kept warm however idle the variant is (0 when the config leaves it out). */
  provisionedConcurrency: number;
}

/** The wire shape (CurrentServerlessConfig / DesiredServerlessConfig). */
export interface ServerlessConfigDoc {
  MemorySizeInMB: number;
  MaxConcurrency: number;
  ProvisionedConcurrency?: number;
}

export function serverlessPlan(doc: ServerlessConfigDoc): ServerlessPlan {
  return { memorySizeInMB: doc.MemorySizeInMB, maxConcurrency: doc.MaxConcurrency, provisionedConcurrency: doc.ProvisionedConcurrency ?? 0 };
}

export function serverlessConfigDoc(p: ServerlessPlan): ServerlessConfigDoc {
  return { MemorySizeInMB: p.memorySizeInMB, MaxConcurrency: p.maxConcurrency, ...(p.provisionedConcurrency > 0 ? { ProvisionedConcurrency: p.provisionedConcurrency } : {}) };
}

/**
 * Memory per vCPU. SageMaker "auto-assigns compute resources proportional to the memory you
 * select" without a figure; serverless inference runs on Lambda's machinery, whose documented
 * ratio is one vCPU at 1,769 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
 */
export const MB_PER_VCPU = 1769;

/** One serverless container's limits: the memory size as its memory limit, CPUs in proportion, both within the host. */
export function serverlessLimits(p: ServerlessPlan, hostCpus: number, hostMemoryBytes: number, hostMaxTasks?: number): ContainerLimits {
  const warnings: string[] = [];
  let mem = p.memorySizeInMB * 1024 ** 2;
  let cpus = p.memorySizeInMB / MB_PER_VCPU;
  if (mem > hostMemoryBytes) {
    warnings.push(`MemorySizeInMB ${p.memorySizeInMB} is more than this host has (${(hostMemoryBytes / 1024 ** 2).toFixed(0)} MB), so the container gets that.`);
    mem = hostMemoryBytes;
  }
  if (cpus > hostCpus) cpus = hostCpus;
  return { nanoCpus: Math.round(cpus * 1e9), memoryBytes: Math.floor(mem), pidsLimit: pidsLimitFor(mem, hostMaxTasks), shmSizeBytes: shmSizeFor(mem), gpus: 0, warnings };
}

/** What the data plane knows of a serverless variant's demand. */
export interface ServerlessDemandView {
  /** Requests admitted and not finished (those waiting for a cold start included). */
  busy: number;
  /** When the last request finished or arrived (epoch ms). */
  lastActive: number;
}

/**
 * How many containers a serverless variant should have: one per concurrent request up to
 * MaxConcurrency while requests arrive, the ones already there kept while the variant was active
 * within `idleMs`, and ProvisionedConcurrency at all times (scale to zero without it); never
 * more than `cap` (hostContainerCap).
 */
export function serverlessTarget(p: ServerlessPlan, demand: ServerlessDemandView | undefined, alive: number, now: number, idleMs: number, cap = Infinity): number {
  const floor = Math.min(p.provisionedConcurrency, p.maxConcurrency);
  let want = floor;
  if (demand && demand.busy > 0) want = Math.max(floor, Math.min(p.maxConcurrency, Math.max(demand.busy, alive)));
  else if (demand && now - demand.lastActive < idleMs) want = Math.max(floor, Math.min(p.maxConcurrency, alive));
  return Math.min(want, cap);
}

/**
 * The most containers of one serverless variant this host runs: as many as its memory holds at
 * MemorySizeInMB each (at least one). Requests beyond them share the containers (least
 * outstanding requests) up to MaxConcurrency instead of starting containers the host cannot hold.
 */
export function hostContainerCap(p: ServerlessPlan, hostMemoryBytes: number): number {
  return Math.max(1, Math.floor(hostMemoryBytes / (p.memorySizeInMB * 1024 ** 2)));
}
