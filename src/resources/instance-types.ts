/**
 * @module resources/instance-types — SageMaker instance types → CPU, memory and GPUs, used to set
 * container limits (CPU, memory, pids, /dev/shm) and to admit work by capacity. Limits are clamped
 * to what the host has (with a warning for the job's log), because a laptop cannot give an
 * ml.p4d.24xlarge what it asks for.
 */
import type { GpuSettings } from '../platform/container-settings.js';

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
  /** Tasks (processes + threads) the container may hold at once. */
  pidsLimit: number;
  /** Size of the container's /dev/shm. */
  shmSizeBytes: number;
  /** GPUs the container asks the engine for (which ones, the engine picks: runtime/docker/gpu-devices.ts). */
  gpus: number;
  /** Human-readable notes when the request was clamped to the host or unknown. */
  warnings: string[];
}

/**
 * Kernel stack + task structures the kernel budgets per thread when it sizes threads-max: it lets
 * them take at most 1/8 of RAM with 16 KiB stacks on x86-64, i.e. one task per 128 KiB
 * (kernel/fork.c `set_max_threads`; Documentation/admin-guide/sysctl/kernel.rst "threads-max").
 */
const BYTES_PER_TASK = 8 * 16 * 1024;
/** systemd's DefaultTasksMax: 15% of min(kernel.pid_max, kernel.threads-max) per unit (systemd-system.conf(5)). */
const HOST_TASK_SHARE = 0.15;
/** Linux's PID_MAX_DEFAULT, assumed when the host's limits cannot be read. */
const DEFAULT_HOST_TASKS = 32_768;

/**
 * The pids limit of one instance: what its own kernel would allow on a machine of its memory
 * (threads-max = memory / 128 KiB), but never more than systemd would give one service on this
 * host (15% of its task limit), so a fork bomb in one container leaves the host able to fork.
 */
export function pidsLimitFor(instanceMemoryBytes: number | undefined, hostMaxTasks = DEFAULT_HOST_TASKS): number {
  const hostShare = Math.max(64, Math.floor(hostMaxTasks * HOST_TASK_SHARE));
  if (instanceMemoryBytes === undefined) return hostShare;
  return Math.max(64, Math.min(Math.floor(instanceMemoryBytes / BYTES_PER_TASK), hostShare));
}

/**
 * /dev/shm of one instance: half its memory, the size a machine's own /dev/shm tmpfs has by
 * default ("size=50%", tmpfs(5)), where Docker's 64 MB default breaks PyTorch's DataLoader
 * workers. Pages in it count against the container's memory limit, so it cannot take more.
 */
export function shmSizeFor(memoryBytes: number): number {
  return Math.max(64 * 1024 ** 2, Math.floor(memoryBytes / 2));
}

/**
 * Limits for one container of `instanceType` on a host with `hostCpus`, `hostMemoryBytes` and
 * `hostMaxTasks` tasks. Never asks for more than the host has; shares are not divided among
 * instances because SageMaker gives each instance its own machine and tests run several on one host.
 */
export function limitsFor(
  instanceType: string | undefined,
  hostCpus: number,
  hostMemoryBytes: number,
  hostMaxTasks?: number,
  hostGpus: GpuSettings = { devices: [], cpuFallback: true },
): ContainerLimits {
  const spec = instanceSpec(instanceType);
  const warnings: string[] = [];
  if (!spec) {
    if (instanceType && instanceType !== 'local') warnings.push(`Unknown instance type ${instanceType}; running without CPU or memory limits.`);
    return { pidsLimit: pidsLimitFor(undefined, hostMaxTasks), shmSizeBytes: shmSizeFor(hostMemoryBytes), gpus: 0, warnings };
  }
  let cpus = spec.vcpus;
  let mem = spec.memoryGiB * 1024 ** 3;
  const pidsLimit = pidsLimitFor(mem, hostMaxTasks);
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
  let gpus = spec.gpus;
  const offered = hostGpus.devices.length;
  if (gpus > 0 && offered === 0 && hostGpus.cpuFallback) {
    warnings.push(`${instanceType} has ${spec.gpus} GPU(s); this host offers Slipway none, so it runs on CPUs alone (SLIPWAY_GPU_FALLBACK=cpu).`);
    gpus = 0;
  } else if (gpus > offered && offered > 0) {
    warnings.push(`${instanceType} has ${spec.gpus} GPUs; this host offers Slipway ${offered}, so the container gets ${offered}.`);
    gpus = offered;
  }
  // Without GPUs and without the fallback the request stands: the engine refuses it with the reason.
  return { nanoCpus: Math.round(cpus * 1e9), memoryBytes: Math.floor(mem), pidsLimit, shmSizeBytes: shmSizeFor(mem), gpus, warnings };
}

/** The GPU instance type `instanceType` cannot run here: no GPUs and no CPU fallback (undefined: it can). */
export function gpuShortfall(instanceType: string | undefined, hostGpus: GpuSettings): { gpus: number } | undefined {
  const wanted = instanceSpec(instanceType)?.gpus ?? 0;
  return wanted > 0 && hostGpus.devices.length === 0 && !hostGpus.cpuFallback ? { gpus: wanted } : undefined;
}
