/**
 * @module runtime/select-runtime — the composition root's choice of container engine:
 * `SLIPWAY_RUNTIME=docker` (default: one engine, DOCKER_HOST or /var/run/docker.sock) or `swarm`
 * (DOCKER_HOST points at a Swarm manager; docs/cluster.md). Anything else is refused at start-up.
 */
import type { ContainerRuntime } from './container-runtime.js';
import { DockerRuntime } from './docker/docker-runtime.js';
import { SwarmRuntime } from './swarm/swarm-runtime.js';

export const RUNTIME_KINDS = ['docker', 'swarm'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** The engine `SLIPWAY_RUNTIME` names; throws with the accepted values for any other. */
export function runtimeKind(env: NodeJS.ProcessEnv = process.env): RuntimeKind {
  const v = (env.SLIPWAY_RUNTIME ?? '').trim().toLowerCase() || 'docker';
  if ((RUNTIME_KINDS as readonly string[]).includes(v)) return v as RuntimeKind;
  throw new Error(`SLIPWAY_RUNTIME=${JSON.stringify(env.SLIPWAY_RUNTIME)}: expected one of ${RUNTIME_KINDS.join(', ')}`);
}

export function createRuntime(env: NodeJS.ProcessEnv, opts: { networkPool: string | false; gpuDevices: readonly string[] }): ContainerRuntime {
  return runtimeKind(env) === 'swarm' ? new SwarmRuntime() : new DockerRuntime({ networkPool: opts.networkPool, gpuDevices: opts.gpuDevices });
}
