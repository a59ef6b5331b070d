/**
 * @module controllers/serving/serve-container — the model's `serve` container as hosting runs it
 * (contract §4.1), shared by endpoint instances (endpoint/fleet-runner.ts) and transform jobs
 * (transform-job/instances.ts): `serve` after the image ENTRYPOINT, model data from the shared
 * ModelCache mounted read-only at /opt/ml/model (an empty directory without model data), port 8080
 * published on 127.0.0.1, the resource's own network, instance-type limits. The callers keep what
 * differs: names, labels, logs, and how a failure is told.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { containerCommand } from '../../resources/container-command.js';
import type { ContainerLimits } from '../../resources/instance-types.js';
import { portUrl, type ContainerRuntime, type ContainerSpec, type StagingPlan } from '../../runtime/container-runtime.js';
import { specLimits } from '../resource-network.js';
import { MODELS_MOUNT } from '../../resources/multi-model.js';
import type { ModelCache } from './model-cache.js';

/** The directory mounted at /opt/ml/model: the extracted model data, or an empty one (§4.1). */
export async function modelDirFor(cache: ModelCache, modelCacheDir: string, modelDataUrl: string | undefined, timeoutSeconds: number): Promise<string> {
  if (modelDataUrl) return cache.prepare(modelDataUrl, { timeoutSeconds });
  const dir = join(modelCacheDir, 'empty');
  await mkdir(dir, { recursive: true });
  return dir;
}

export interface ServeContainerInput {
  name: string;
  /** The local image (resolved through the runtime). */
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Bind-mounted at /opt/ml/model (one engine). */
  modelDir?: string;
  /** Multi-model instances: the host directory mounted read-only at /opt/ml/models (serving/multi-model-loader.ts). */
  modelsDir?: string;
  /** Instead of `modelDir`, for engines that stage on their nodes: the model data put in place there. */
  staging?: StagingPlan;
  network: string;
  limits: ContainerLimits;
  /** The port `serve` listens on (default 8080; an inference pipeline's SAGEMAKER_BIND_TO_PORT). */
  port?: number;
  /** The container's host name and network alias (an inference pipeline's ContainerHostname). */
  hostname?: string;
}

/** What the engine is asked to create for one `serve` container. */
export function serveContainerSpec(o: ServeContainerInput): ContainerSpec {
  const cmd = containerCommand('serve');
  return {
    name: o.name,
    image: o.image,
    ...(cmd.entrypoint ? { entrypoint: cmd.entrypoint } : {}),
    ...(cmd.cmd ? { cmd: cmd.cmd } : {}),
    env: o.env,
    labels: o.labels,
    ...(o.staging
      ? { staging: o.staging }
      : {
          binds: [
            { hostPath: o.modelDir ?? '', containerPath: '/opt/ml/model', readOnly: true },
            ...(o.modelsDir ? [{ hostPath: o.modelsDir, containerPath: MODELS_MOUNT, readOnly: true }] : []),
          ],
        }),
    publishPorts: [o.port ?? 8080],
    ...(o.hostname ? { hostname: o.hostname } : {}),
    // A pipeline container is reachable by its ContainerHostname from the other containers on the network.
    network: { name: o.network, ...(o.hostname ? { aliases: [o.hostname] } : {}) },
    ...specLimits(o.limits),
  };
}

/** After start: where `port` (8080) is published (`portUrl`: 127.0.0.1 on one engine, the node's address on a cluster), or how the container ended up without one. */
export async function servingOrigin(runtime: ContainerRuntime, containerId: string, port = 8080): Promise<{ origin: string } | { problem: string; running: boolean; exitCode: number | null | undefined }> {
  const info = await runtime.inspectContainer(containerId);
  const origin = info ? portUrl(info, port) : undefined;
  if (origin) return { origin };
  return { problem: info?.running ? 'no published port' : `exit code ${info?.exitCode ?? 'unknown'}`, running: info?.running ?? false, exitCode: info?.exitCode };
}
