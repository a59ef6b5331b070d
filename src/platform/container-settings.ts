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
  if (pool && pool !== 'engine') parsePool(pool);
  return {
    hostAccess: choice('SLIPWAY_CONTAINER_HOST_ACCESS', ['deny', 'allow'], 'deny') === 'allow',
    networkPool: pool === 'engine' ? false : pool || '10.213.0.0/16',
    admission: {
      enabled: choice('SLIPWAY_ADMISSION', ['on', 'off'], 'on') === 'on',
      // CPU: OpenStack Nova's ratio for VMs on one host; memory: limits, not reservations (docs/container-isolation.md).
      cpuOvercommit: ratio('SLIPWAY_CPU_OVERCOMMIT', 16, 0.01),
      memoryOvercommit: ratio('SLIPWAY_MEMORY_OVERCOMMIT', 4, 0.01),
      gpus: Math.floor(ratio('SLIPWAY_GPUS', 0, 0)),
    },
  };
}
