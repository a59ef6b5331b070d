/**
 * @module controllers/instance-types — SageMaker instance types → CPU, memory and GPUs, used to set
 * container limits. Limits are clamped to what the host has (with a warning for the job's log),
 * because a laptop cannot give an ml.p4d.24xlarge what it asks for.
 */

export interface InstanceSpec {
  vcpus: number;
  memoryGiB: number;
  gpus: number;
}

// Source: https://aws.amazon.com/sagemaker/pricing/ instance details (vCPU / memory / GPU).
const FAMILIES: Record<string, Record<string, InstanceSpec>> = {
  't2': { medium: s(2, 4), large: s(2, 8), xlarge: s(4, 16), '2xlarge': s(8, 32) },
  't3': { medium: s(2, 4), large: s(2, 8), xlarge: s(4, 16), '2xlarge': s(8, 32) },
  'm4': { xlarge: s(4, 16), '2xlarge': s(8, 32), '4xlarge': s(16, 64), '10xlarge': s(40, 160), '16xlarge': s(64, 256) },
  'm5': { large: s(2, 8), xlarge: s(4, 16), '2xlarge': s(8, 32), '4xlarge': s(16, 64), '12xlarge': s(48, 192), '24xlarge': s(96, 384) },
  'm6i': { large: s(2, 8), xlarge: s(4, 16), '2xlarge': s(8, 32), '4xlarge': s(16, 64), '8xlarge': s(32, 128), '12xlarge': s(48, 192), '16xlarge': s(64, 256), '24xlarge': s(96, 384), '32xlarge': s(128, 512) },
  'c4': { xlarge: s(4, 7.5), '2xlarge': s(8, 15), '4xlarge': s(16, 30), '8xlarge': s(36, 60) },
  'c5': { large: s(2, 4), xlarge: s(4, 8), '2xlarge': s(8, 16), '4xlarge': s(16, 32), '9xlarge': s(36, 72), '18xlarge': s(72, 144) },
  'c6i': { large: s(2, 4), xlarge: s(4, 8), '2xlarge': s(8, 16), '4xlarge': s(16, 32), '8xlarge': s(32, 64), '12xlarge': s(48, 96), '16xlarge': s(64, 128), '24xlarge': s(96, 192), '32xlarge': s(128, 256) },
  'r5': { large: s(2, 16), xlarge: s(4, 32), '2xlarge': s(8, 64), '4xlarge': s(16, 128), '12xlarge': s(48, 384), '24xlarge': s(96, 768) },
  'p3': { '2xlarge': s(8, 61, 1), '8xlarge': s(32, 244, 4), '16xlarge': s(64, 488, 8) },
  'p4d': { '24xlarge': s(96, 1152, 8) },
  'g4dn': { xlarge: s(4, 16, 1), '2xlarge': s(8, 32, 1), '4xlarge': s(16, 64, 1), '8xlarge': s(32, 128, 1), '12xlarge': s(48, 192, 4), '16xlarge': s(64, 256, 1) },
  'g5': { xlarge: s(4, 16, 1), '2xlarge': s(8, 32, 1), '4xlarge': s(16, 64, 1), '8xlarge': s(32, 128, 1), '12xlarge': s(48, 192, 4), '16xlarge': s(64, 256, 1), '24xlarge': s(96, 384, 4), '48xlarge': s(192, 768, 8) },
};

function s(vcpus: number, memoryGiB: number, gpus = 0): InstanceSpec {
  return { vcpus, memoryGiB, gpus };
}

/** `ml.m5.xlarge` → its spec; `local` and unknown types → undefined (no limits). */
export function instanceSpec(instanceType: string | undefined): InstanceSpec | undefined {
  if (!instanceType) return undefined;
  const m = /^ml\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceType);
  if (!m) return undefined;
  return FAMILIES[m[1]!]?.[m[2]!];
}

export interface ContainerLimits {
  nanoCpus?: number;
  memoryBytes?: number;
  /** Human-readable notes when the request was clamped to the host or unknown. */
  warnings: string[];
}

/**
 * Limits for one container of `instanceType` on a host with `hostCpus` and `hostMemoryBytes`.
 * Never asks for more than the host has; shares are not divided among instances because
 * SageMaker gives each instance its own machine and tests run several on one host.
 */
export function limitsFor(instanceType: string | undefined, hostCpus: number, hostMemoryBytes: number): ContainerLimits {
  const spec = instanceSpec(instanceType);
  const warnings: string[] = [];
  if (!spec) {
    if (instanceType && instanceType !== 'local') warnings.push(`Unknown instance type ${instanceType}; running without CPU or memory limits.`);
    return { warnings };
  }
  let cpus = spec.vcpus;
  let mem = spec.memoryGiB * 1024 ** 3;
  if (cpus > hostCpus) {
    warnings.push(`${instanceType} has ${spec.vcpus} vCPUs; this host has ${hostCpus}, so the container gets ${hostCpus}.`);
    cpus = hostCpus;
  }
  if (mem > hostMemoryBytes) {
    warnings.push(
      `${instanceType} has ${spec.memoryGiB} GiB of memory; this host has ${(hostMemoryBytes / 1024 ** 3).toFixed(1)} GiB, so the container gets that.`,
    );
    mem = hostMemoryBytes;
  }
  if (spec.gpus > 0) warnings.push(`${instanceType} has ${spec.gpus} GPU(s); Slipway runs it without GPUs on this host.`);
  return { nanoCpus: Math.round(cpus * 1e9), memoryBytes: Math.floor(mem), warnings };
}
