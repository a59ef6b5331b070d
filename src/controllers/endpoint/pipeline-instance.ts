/**
 * @module controllers/endpoint/pipeline-instance — the containers of one instance of an inference
 * pipeline (a model with several Containers, resources/inference-pipeline.ts): each runs `serve`
 * with its own model data at /opt/ml/model and its own Environment, on the endpoint's network,
 * with its ContainerHostname as host name, and its port (SAGEMAKER_BIND_TO_PORT for images that
 * accept it, else 8080 in its own network namespace) published on 127.0.0.1. The instance is
 * healthy when every container answers /ping; it dies with any of them (./instance.ts).
 *
 *   createPipelineContainers ──▶ FleetRunner.attach(members) ──▶ startPipelineContainers (origins)
 *   after a restart: adoptablePipelines groups labelled containers back into instances
 */
import type { ContainerInfo, ContainerRuntime, StagingPlan } from '../../runtime/container-runtime.js';
import { portUrl } from '../../runtime/container-runtime.js';
import { LABELS } from '../../runtime/container-runtime.js';
import { missingImageMessage } from '../../runtime/image-ref.js';
import type { ContainerLimits } from '../../resources/instance-types.js';
import { acceptsBindToPort, pipelinePort, type PipelinePlan } from '../../resources/inference-pipeline.js';
import { checkHealth, type HealthVerdict } from '../serving/health.js';
import type { ModelCache } from '../serving/model-cache.js';
import { modelDirFor, serveContainerSpec, servingOrigin } from '../serving/serve-container.js';
import { TerminalFailure } from '../terminal-failure.js';
import type { Instance, PipelineMember } from './instance.js';

/** On each container of a pipeline instance: its ContainerHostname, position and served port (adoption reads them). */
export const LABEL_PIPELINE_HOST = 'slipway.pipeline-host';
export const LABEL_PIPELINE_INDEX = 'slipway.pipeline-index';
export const LABEL_PIPELINE_PORT = 'slipway.pipeline-port';

export interface PipelineContainersInput {
  runtime: ContainerRuntime;
  cache: ModelCache;
  modelCacheDir: string;
  pipeline: PipelinePlan;
  variantName: string;
  /** Container names are `<baseName>-<n>`. */
  baseName: string;
  labels: Record<string, string>;
  network: string;
  limits: ContainerLimits;
  downloadTimeoutSeconds: number;
  /**
   * Names being created (the orphan sweeper leaves them be). Each is added before its container is
   * made and stays until the caller has attached the instance: an early member must not look
   * orphaned while the later ones are still being made.
   */
  starting: Set<string>;
  /**
   * For engines that stage on their nodes: copies a container's extracted model data onto the
   * node its task lands on (serving/model-staging.ts). Members are separate tasks there and may land
   * on different nodes: they talk only through Slipway, which calls them in turn.
   */
  staging?: (modelDir: string) => Promise<StagingPlan>;
}

/** The engine's name for container `index` of an instance. */
export function pipelineContainerName(baseName: string, index: number): string {
  return `${baseName}-${index + 1}`;
}

/** A created container of the instance and the port it serves on. */
export interface CreatedMember extends PipelineMember {
  port: number;
}

/**
 * Creates (does not start) every container of one instance. Throws TerminalFailure for a missing
 * image; on any failure the containers made so far are removed, so nothing is left half-made.
 */
export async function createPipelineContainers(o: PipelineContainersInput): Promise<CreatedMember[]> {
  const made: CreatedMember[] = [];
  try {
    for (const [k, c] of o.pipeline.containers.entries()) {
      const resolved = await o.runtime.resolveImage(c.image);
      if (!resolved) throw new TerminalFailure(missingImageMessage(c.image, `for container ${c.hostname} of production variant ${o.variantName}`));
      const modelDir = await modelDirFor(o.cache, o.modelCacheDir, c.modelDataUrl, o.downloadTimeoutSeconds);
      const { port, env } = pipelinePort(k, acceptsBindToPort(resolved.image.labels));
      const name = pipelineContainerName(o.baseName, k);
      o.starting.add(name);
      const containerId = await o.runtime.createContainer(
          serveContainerSpec({
            name,
            image: resolved.local,
            env: { ...c.environment, ...env },
            labels: { ...o.labels, [LABEL_PIPELINE_HOST]: c.hostname, [LABEL_PIPELINE_INDEX]: String(k), [LABEL_PIPELINE_PORT]: String(port) },
            ...(o.staging ? { staging: await o.staging(modelDir) } : { modelDir }),
            network: o.network,
            limits: o.limits,
            port,
            hostname: c.hostname,
          }),
        );
      made.push({ hostname: c.hostname, containerId, port });
    }
  } catch (err) {
    await Promise.all(made.map((m) => o.runtime.removeContainer(m.containerId, { force: true }).catch(() => undefined)));
    throw err;
  }
  return made;
}

/** Starts the containers in order and records where each serves; the problem of the first that has no published port. */
export async function startPipelineContainers(runtime: ContainerRuntime, inst: Instance, made: readonly CreatedMember[]): Promise<string | undefined> {
  for (const m of made) await runtime.startContainer(m.containerId);
  for (const [k, m] of made.entries()) {
    const served = await servingOrigin(runtime, m.containerId, m.port);
    if (!('origin' in served)) return `container ${m.hostname}: ${served.problem}`;
    inst.members![k]!.origin = served.origin;
  }
  inst.origin = inst.members![0]!.origin;
  return undefined;
}

/** GET /ping on every container of the instance: healthy only when all are; unknown when this side could not check one. */
export async function instanceHealth(i: Pick<Instance, 'origin' | 'members'>): Promise<HealthVerdict> {
  if (!i.members) return i.origin ? checkHealth(i.origin) : 'unhealthy';
  const verdicts = await Promise.all(i.members.map((m) => (m.origin ? checkHealth(m.origin) : Promise.resolve<HealthVerdict>('unhealthy'))));
  if (verdicts.includes('unhealthy')) return 'unhealthy';
  return verdicts.includes('unknown') ? 'unknown' : 'healthy';
}

/** True for a container that belongs to a pipeline instance. */
export function isPipelineContainer(c: Pick<ContainerInfo, 'labels'>): boolean {
  return c.labels[LABEL_PIPELINE_HOST] !== undefined;
}

/**
 * After a restart: a pipeline instance's containers grouped back by instance id. A group is
 * adoptable when it has `expected(group)` members, all running with their port published; the
 * others are returned for removal.
 */
export function adoptablePipelines(
  containers: readonly ContainerInfo[],
  expected: (first: ContainerInfo) => number | undefined,
): { instances: { first: ContainerInfo; members: PipelineMember[] }[]; strays: ContainerInfo[] } {
  const groups = new Map<string, ContainerInfo[]>();
  for (const c of containers) {
    const key = `${c.labels[LABELS.name] ?? ''}\n${c.labels[LABELS.instance] ?? c.id}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const instances: { first: ContainerInfo; members: PipelineMember[] }[] = [];
  const strays: ContainerInfo[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => Number(a.labels[LABEL_PIPELINE_INDEX]) - Number(b.labels[LABEL_PIPELINE_INDEX]));
    const members = sorted.map((c) => ({ hostname: c.labels[LABEL_PIPELINE_HOST]!, containerId: c.id, origin: portUrl(c, Number(c.labels[LABEL_PIPELINE_PORT])) }));
    const complete = sorted.length === expected(sorted[0]!) && sorted.every((c, k) => c.running && Number(c.labels[LABEL_PIPELINE_INDEX]) === k) && members.every((m) => m.origin);
    if (complete) instances.push({ first: sorted[0]!, members: members.map((m) => ({ hostname: m.hostname, containerId: m.containerId, origin: m.origin! })) });
    else strays.push(...sorted);
  }
  return { instances, strays };
}
