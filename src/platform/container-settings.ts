/**
 * @module platform/container-settings — the operator's settings for keeping containers apart and
 * admitting them by capacity (docs/container-isolation.md), read from the environment.
 */
import { parsePool } from './cidr.js';

export interface ContainerSettings {
  /** Containers may open connections to the host's own services (off: the host firewall drops them). */
  hostAccess: boolean;
  /** IPv4 pool (CIDR[:block prefix]) the per-resource networks take subnets from; false: the engine's own pools. */
  networkPool: string | false;
  admission: AdmissionSettings;
  gpus: GpuSettings;
}

/** The host's GPUs (docs/container-isolation.md, "GPUs"). */
export interface GpuSettings {
  /** Device ids or UUIDs the engine may give containers (`SLIPWAY_GPUS`: a count `N` means `0…N-1`). */
  devices: string[];
  /** GPU instance types run on CPUs alone on a host without GPUs (`SLIPWAY_GPU_FALLBACK=cpu`); otherwise they are refused. */
  cpuFallback: boolean;
}

/** GPU device ids/UUIDs as nvidia-smi and `docker run --gpus device=…` name them. */
const GPU_DEVICE = /^(?:\d{1,3}|(?:GPU|MIG)-[0-9A-Za-z/-]{1,96})$/;

/**
 * `SLIPWAY_GPUS`: empty or `0` (none), a count (`2`: devices 0 and 1), or a comma-separated list of
 * device ids or UUIDs (`1,3`, `GPU-8f2c…`) when only some of the host's GPUs are Slipway's.
 */
export function parseGpuDevices(raw: string | undefined): string[] {
  const v = (raw ?? '').trim();
  if (v === '') return [];
  if (/^\d+$/.test(v) && !v.includes(',')) {
    const n = Number(v);
    if (n > 64) throw new Error(`SLIPWAY_GPUS=${v}: at most 64 GPUs per host`);
    return Array.from({ length: n }, (_, i) => String(i));
  }
  const ids = v.split(',').map((x) => x.trim());
  const bad = ids.find((x) => !GPU_DEVICE.test(x));
  if (bad !== undefined) throw new Error(`SLIPWAY_GPUS=${JSON.stringify(raw)}: ${JSON.stringify(bad)} is not a GPU index or UUID (expected a count, or ids like 0,1 or GPU-…)`);
  if (new Set(ids).size !== ids.length) throw new Error(`SLIPWAY_GPUS=${JSON.stringify(raw)} names a GPU twice`);
  return ids;
}

/** Admission by capacity (controllers/admission). */
export interface AdmissionSettings {
  enabled: boolean;
  /** vCPUs of instances admitted per host CPU. */
  cpuOvercommit: number;
  /** Bytes of instance memory admitted per byte of host memory. */
  memoryOvercommit: number;
  /** GPUs the host offers to instance types that have them; 0 leaves GPUs out of admission. */
  gpus: number;
}

/** The container isolation and admission settings; throws (the server refuses to start) on a malformed value. */
export function containerSettings(env: NodeJS.ProcessEnv): ContainerSettings {
  const choice = (name: string, values: string[], dflt: string): string => {
    const v = (env[name] ?? dflt).trim().toLowerCase();
    if (!values.includes(v)) throw new Error(`${name} must be one of ${values.join(', ')}; got ${JSON.stringify(env[name])}`);
    return v;
  };
  const ratio = (name: string, dflt: number, min: number): number => {
    const v = env[name] === undefined || env[name] === '' ? dflt : Number(env[name]);
    if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number of at least ${min}; got ${JSON.stringify(env[name])}`);
    return v;
  };
  const pool = (env.SLIPWAY_NETWORK_POOL ?? '').trim();
  const gpuDevices = parseGpuDevices(env.SLIPWAY_GPUS);
  if (pool && pool !== 'engine') parsePool(pool);
  return {
    hostAccess: choice('SLIPWAY_CONTAINER_HOST_ACCESS', ['deny', 'allow'], 'deny') === 'allow',
    networkPool: pool === 'engine' ? false : pool || '10.213.0.0/16',
    admission: {
      enabled: choice('SLIPWAY_ADMISSION', ['on', 'off'], 'on') === 'on',
      // CPU: OpenStack Nova's ratio for VMs on one host; memory: limits, not reservations (docs/container-isolation.md).
      cpuOvercommit: ratio('SLIPWAY_CPU_OVERCOMMIT', 16, 0.01),
      memoryOvercommit: ratio('SLIPWAY_MEMORY_OVERCOMMIT', 4, 0.01),
      gpus: gpuDevices.length,
    },
    gpus: { devices: gpuDevices, cpuFallback: choice('SLIPWAY_GPU_FALLBACK', ['none', 'cpu'], 'none') === 'cpu' },
  };
}
