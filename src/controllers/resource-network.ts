/**
 * @module controllers/resource-network — the private network every endpoint and job runs on, and
 * what its containers may reach (docs/container-isolation.md):
 *
 *   resource                     network                       reaches
 *   endpoint / transform job     own bridge, NAT               internet; not the host, not other resources
 *   training / processing job    own bridge, NAT (algo-N DNS)  same
 *   … with EnableNetworkIsolation
 *     endpoint / transform job   own bridge, no NAT, no ICC    nothing (Slipway reaches its published port)
 *     multi-host job             own internal bridge           its peers only
 *     single-host job            none                          nothing
 *
 * "Not the host" is the host firewall's INPUT guard (runtime/docker/host-firewall.ts); the
 * operator lifts it with SLIPWAY_CONTAINER_HOST_ACCESS=allow. Other resources are out of reach
 * because Docker drops traffic between bridges.
 */
import { RuntimeIsolationError, type ContainerSpec, type NetworkOptions } from '../runtime/container-runtime.js';
import type { ContainerLimits } from '../resources/instance-types.js';

/** How a network that holds one resource's containers is made. */
export function networkOptionsFor(o: { isolated: boolean; serving: boolean; hostAccess: boolean }): NetworkOptions {
  // Serving containers keep their published port, which an `internal` bridge would drop.
  if (o.isolated) return o.serving ? { outbound: false, interContainer: false } : { internal: true };
  return o.hostAccess ? {} : { host: false };
}

/**
 * The FailureReason when the network cannot be guarded as asked (no iptables, not root, engine on
 * another host), or undefined for other errors (retried).
 */
export function networkFailureReason(err: unknown, isolated: boolean): string | undefined {
  if (!(err instanceof RuntimeIsolationError)) return undefined;
  if (isolated) return `EnableNetworkIsolation could not be enforced on this host: ${err.message}`;
  return (
    `Containers could not be kept away from this host's own services: ${err.message}. Run Slipway as root on the ` +
    `Docker engine's host, or set SLIPWAY_CONTAINER_HOST_ACCESS=allow to let containers reach the host.`
  );
}

/** The ContainerSpec members that carry an instance type's limits. */
export function specLimits(l: ContainerLimits): Pick<ContainerSpec, 'limits' | 'shmSizeBytes' | 'gpus'> {
  return {
    limits: {
      ...(l.nanoCpus ? { nanoCpus: l.nanoCpus } : {}),
      ...(l.memoryBytes ? { memoryBytes: l.memoryBytes } : {}),
      pidsLimit: l.pidsLimit,
    },
    shmSizeBytes: l.shmSizeBytes,
    ...(l.gpus > 0 ? { gpus: l.gpus } : {}),
  };
}
