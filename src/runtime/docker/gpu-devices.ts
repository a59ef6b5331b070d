/**
 * @module runtime/docker/gpu-devices — which of the host's GPUs a new container gets, so two live
 * containers never share one (issue 16, item 5).
 *
 *   createContainer({ gpus: 2 }) ──lock──▶ list containers labelled slipway.gpu-devices (the engine is the truth,
 *                                         so a restart of Slipway loses nothing) ──▶ pick 2 that no
 *                                         created/running one holds ──▶ create with DeviceRequests + the label
 *
 * The engine is asked the way `docker run --gpus device=0,1` asks: a device request for the `gpu`
 * capability with those ids, which the NVIDIA Container Toolkit (or any driver registered for the
 * capability) fulfils; `NVIDIA_VISIBLE_DEVICES` names them too, for hosts that run the legacy
 * `nvidia` runtime by default. Exited containers hold nothing: Slipway never restarts a container
 * in place (a new instance is a new container).
 */
import type Docker from 'dockerode';
import { ContainerStartError } from '../container-runtime.js';

export const GPU_DEVICES_LABEL = 'slipway.gpu-devices';

/** States in which a container holds its devices (it runs, or may be started). */
const HOLDING = new Set(['created', 'running', 'paused', 'restarting']);

/** `count` devices of `offered`, in order, that `held` does not name; undefined when fewer are free. */
export function pickGpuDevices(offered: readonly string[], held: ReadonlySet<string>, count: number): string[] | undefined {
  const free = offered.filter((d) => !held.has(d));
  return free.length >= count ? free.slice(0, count) : undefined;
}

/** The create body asking for exactly `devices`. */
export function withGpuDevices(body: Docker.ContainerCreateOptions, devices: readonly string[]): Docker.ContainerCreateOptions {
  return {
    ...body,
    Env: [...(body.Env ?? []).filter((e) => !e.startsWith('NVIDIA_VISIBLE_DEVICES=')), `NVIDIA_VISIBLE_DEVICES=${devices.join(',')}`],
    Labels: { ...(body.Labels ?? {}), [GPU_DEVICES_LABEL]: devices.join(',') },
    HostConfig: {
      ...body.HostConfig,
      DeviceRequests: [{ Driver: '', Count: 0, DeviceIDs: [...devices], Capabilities: [['gpu']], Options: {} }],
    },
  };
}

/** Hands out the host's GPUs to containers one creation at a time. */
export class GpuDevices {
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly docker: Docker,
    /** Device ids/UUIDs Slipway may give out (SLIPWAY_GPUS). */
    private readonly offered: readonly string[],
  ) {}

  /**
   * Runs `create` with `count` devices no live container holds. Calls are serialised, so two
   * creations never pick the same device. Throws ContainerStartError (permanent when the host has
   * too few GPUs at all; retried when they are only taken right now).
   */
  async assign<T>(count: number, create: (devices: string[]) => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      if (this.offered.length < count) {
        throw new ContainerStartError(
          this.offered.length === 0
            ? `it needs ${count} GPU(s) and this host offers Slipway none (set SLIPWAY_GPUS to the GPUs it may use, or SLIPWAY_GPU_FALLBACK=cpu to run GPU instance types on CPUs)`
            : `it needs ${count} GPU(s) and this host offers Slipway ${this.offered.length} (SLIPWAY_GPUS)`,
          true,
        );
      }
      const devices = pickGpuDevices(this.offered, await this.held(), count);
      if (!devices) throw new ContainerStartError(`all of this host's GPUs for Slipway (${this.offered.join(',')}) are held by other containers`, false);
      return create(devices);
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async held(): Promise<Set<string>> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [GPU_DEVICES_LABEL] } });
    const held = new Set<string>();
    for (const c of list) {
      if (!HOLDING.has(c.State)) continue;
      for (const d of (c.Labels?.[GPU_DEVICES_LABEL] ?? '').split(',')) if (d) held.add(d);
    }
    return held;
  }
}
