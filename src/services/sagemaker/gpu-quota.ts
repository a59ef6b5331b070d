/**
 * @module services/sagemaker/gpu-quota — GPU instance types on a host that offers Slipway no GPUs
 * are refused when the resource is created, the way SageMaker refuses an instance type over the
 * account's quota (ResourceLimitExceeded, nothing created), unless the operator lets them run on
 * CPUs (SLIPWAY_GPU_FALLBACK=cpu). A host with fewer GPUs than a type has runs it on what it has
 * (resources/instance-types.ts `limitsFor`), as it does with CPUs and memory.
 */
import type { GpuSettings } from '../../platform/container-settings.js';
import { gpuShortfall } from '../../resources/instance-types.js';
import { ResourceLimitExceeded } from './errors.js';

export type QuotaUsage = 'training job' | 'processing job' | 'transform job' | 'endpoint';

/** Throws ResourceLimitExceeded when `count` × `instanceType` needs GPUs this host does not offer. */
export function checkGpuQuota(instanceType: string | undefined, count: number, usage: QuotaUsage, gpus: GpuSettings): void {
  const short = gpuShortfall(instanceType, gpus);
  if (!short) return;
  // First sentence as SageMaker words a quota refusal; then what the operator can change.
  throw new ResourceLimitExceeded(
    `The account-level service limit '${instanceType} for ${usage} usage' is 0 Instances, with current utilization of 0 Instances ` +
      `and a request delta of ${count} Instances. ${instanceType} has ${short.gpus} GPU(s) and this Slipway host offers none: ` +
      `the operator sets SLIPWAY_GPUS to the GPUs it may use, or SLIPWAY_GPU_FALLBACK=cpu to run GPU instance types on CPUs.`,
  );
}
