/**
 * @module controllers/transform-job/instances — the model's `serve` containers for one transform
 * job, started as the endpoint controller starts hosting instances (contract §4.1, §5): model data
 * from the shared ModelCache mounted read-only at /opt/ml/model (on a cluster engine: staged per
 * instance on its node, serving/model-staging.ts), port 8080 published (`portUrl`),
 * the job's own network, instance-type limits, healthy once `GET /ping` answers 200. The container
 * itself is hosting's (../serving/serve-container.ts); this adds the job's names and failure texts.
 */
import { missingImageMessage } from '../../runtime/image-ref.js';
import { Pool, request } from 'undici';
import { LABELS, containerCeiling, type ContainerRuntime, type StagingPlan } from '../../runtime/container-runtime.js';
import { ping } from '../serving/health.js';
import type { ModelCache } from '../serving/model-cache.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_SECONDS } from '../../resources/endpoint.js';
import { limitsFor } from '../../resources/instance-types.js';
import type { GpuSettings } from '../../platform/container-settings.js';
import { modelDirFor, serveContainerSpec, servingOrigin } from '../serving/serve-container.js';
import { TerminalFailure } from '../terminal-failure.js';
import { resolveImageOrFail } from '../resolve-image.js';
import type { ContainerDefinitionDoc } from '../../resources/model.js';

export interface ServeInstance {
  id: string;
  containerId: string;
  origin: string;
  logStream: string;
}

export interface StartServeOptions {
  runtime: ContainerRuntime;
  cache: ModelCache;
  modelCacheDir: string;
  container: ContainerDefinitionDoc;
  env: Record<string, string>;
  instanceType: string;
  /** The host's GPUs (SLIPWAY_GPUS, SLIPWAY_GPU_FALLBACK). */
  hostGpus: GpuSettings;
  name: string;
  instanceId: string;
  labels: Record<string, string>;
  /** The job's own network (resource-network.ts). */
  network: string;
  /**
   * For engines that stage on their nodes (`runtime.stagesData`): a fresh plan that copies the
   * cache's extracted model data onto this instance's node (serving/model-staging.ts).
   */
  staging?: (modelDir: string) => Promise<StagingPlan>;
}

/** Creates and starts one `serve` container; the caller waits for health. */
export async function startServeContainer(o: StartServeOptions): Promise<{ containerId: string; origin: string }> {
  const resolved = await resolveImageOrFail(o.runtime, o.container.Image!, true);
  if (!resolved) throw TerminalFailure.client(missingImageMessage(o.container.Image!, 'of the model'));
  // A cluster engine stages the model on the node it picks (each instance its own copy); one engine mounts the shared cache.
  // No ModelDataDownloadTimeoutInSeconds on transform jobs: the hosting default is the time budget.
  const modelDir = await modelDirFor(o.cache, o.modelCacheDir, o.container.ModelDataUrl, DEFAULT_DOWNLOAD_TIMEOUT_SECONDS);
  const model = o.runtime.stagesData ? { staging: await stagingFor(o, modelDir) } : { modelDir };
  const engine = await o.runtime.info().then(containerCeiling, () => ({ cpus: 1, memoryBytes: 1024 ** 3, maxTasks: undefined }));
  const limits = limitsFor(o.instanceType, engine.cpus || 1, engine.memoryBytes || 1024 ** 3, engine.maxTasks, o.hostGpus);
  await o.runtime.removeContainer(o.name, { force: true }).catch(() => undefined);
  const labels = { ...o.labels, [LABELS.instance]: o.instanceId };
  const containerId = await o.runtime.createContainer(serveContainerSpec({ name: o.name, image: resolved.local, env: o.env, labels, ...model, network: o.network, limits }));
  await o.runtime.startContainer(containerId);
  const served = await servingOrigin(o.runtime, containerId);
  if (!('origin' in served)) throw TerminalFailure.client(`The model container exited at start (exit code ${served.exitCode ?? 'unknown'}).`);
  return { containerId, origin: served.origin };
}

function stagingFor(o: StartServeOptions, modelDir: string): Promise<StagingPlan> {
  if (!o.staging) throw TerminalFailure.client('SLIPWAY_ADVERTISE_URL must be set with SLIPWAY_RUNTIME=swarm: nodes fetch model data from Slipway there.');
  return o.staging(modelDir);
}

/** Polls /ping until 200; rejects when the container exits, the signal aborts or the time is up. */
export async function waitHealthy(runtime: ContainerRuntime, containerId: string, origin: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted) {
    if (await ping(origin)) return;
    const info = await runtime.inspectContainer(containerId);
    if (!info?.running) throw TerminalFailure.client(`The model container exited before it answered GET /ping (exit code ${info?.exitCode ?? 'unknown'}).`);
    if (Date.now() > deadline) throw TerminalFailure.client(`The model container did not answer GET /ping with 200 within ${Math.round(timeoutMs / 1000)} seconds.`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('aborted');
}

export interface ExecutionParameters {
  MaxConcurrentTransforms?: number;
  BatchStrategy?: 'MultiRecord' | 'SingleRecord';
  MaxPayloadInMB?: number;
}

/** `GET /execution-parameters` (optional; non-200 = not offered). Accepts `MULTI_RECORD` and `MultiRecord`. */
export async function executionParameters(origin: string): Promise<ExecutionParameters> {
  try {
    const res = await request(`${origin}/execution-parameters`, { method: 'GET', headersTimeout: 2_000, bodyTimeout: 2_000, signal: AbortSignal.timeout(2_000) });
    const text = await res.body.text();
    if (res.statusCode !== 200) return {};
    const j = JSON.parse(text) as Record<string, unknown>;
    const out: ExecutionParameters = {};
    if (typeof j.MaxConcurrentTransforms === 'number' && j.MaxConcurrentTransforms >= 1) out.MaxConcurrentTransforms = Math.floor(j.MaxConcurrentTransforms);
    if (typeof j.MaxPayloadInMB === 'number' && j.MaxPayloadInMB >= 0) out.MaxPayloadInMB = j.MaxPayloadInMB;
    const bs = String(j.BatchStrategy ?? '').replace(/_/g, '').toLowerCase();
    if (bs === 'multirecord') out.BatchStrategy = 'MultiRecord';
    else if (bs === 'singlerecord') out.BatchStrategy = 'SingleRecord';
    return out;
  } catch {
    return {};
  }
}

/** A non-2xx answer or a transport failure of one invocation. */
export class InvocationError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** POST /invocations over a keep-alive pool sized to MaxConcurrentTransforms, with ModelClientConfig's timeout and retries. */
export function invoker(origin: string, o: { connections: number; timeoutMs: number; maxRetries: number; contentType?: string; accept?: string; signal: AbortSignal; onAttempt?: (status: number, ms: number) => void }) {
  const pool = new Pool(origin, { connections: o.connections, keepAliveTimeout: 10_000, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs });
  const headers: Record<string, string> = {};
  if (o.contentType) headers['content-type'] = o.contentType;
  if (o.accept) headers.accept = o.accept;
  const once = async (body: Buffer | import('node:stream').Readable): Promise<Buffer> => {
    const t0 = Date.now();
    let res;
    try {
      res = await pool.request({ path: '/invocations', method: 'POST', headers, body, signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]) });
    } catch (err) {
      o.onAttempt?.(0, Date.now() - t0);
      if (o.signal.aborted) throw new InvocationError('the job was stopped', false);
      throw new InvocationError(`the request to the model container failed: ${(err as Error).message} (InvocationsTimeoutInSeconds ${o.timeoutMs / 1000})`, true);
    }
    const data = Buffer.from(await res.body.arrayBuffer());
    o.onAttempt?.(res.statusCode, Date.now() - t0);
    if (res.statusCode >= 200 && res.statusCode < 300) return data;
    const text = data.subarray(0, 300).toString('utf8').trim();
    throw new InvocationError(`the model container answered ${res.statusCode}${text ? `: ${text}` : ''}`, res.statusCode >= 500 || res.statusCode === 429);
  };
  return {
    invoke: async (body: Buffer | import('node:stream').Readable): Promise<Buffer> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(body);
        } catch (err) {
          const retry = err instanceof InvocationError && err.retryable && Buffer.isBuffer(body) && attempt < o.maxRetries && !o.signal.aborted;
          if (!retry) throw err;
        }
      }
    },
    close: () => pool.close().catch(() => undefined),
  };
}
