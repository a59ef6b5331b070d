/**
 * @module controllers/transform-job/instances — the model's `serve` containers for one transform
 * job, started as the endpoint controller starts hosting instances (contract §4.1, §5): model data
 * from the shared ModelCache mounted read-only at /opt/ml/model, port 8080 published on 127.0.0.1,
 * the job's own network, instance-type limits, healthy once `GET /ping` answers 200. The endpoint controller keeps its
 * start-up private, so this is the small adapter over the same exported pieces.
 */
import { missingImageHint } from '../../runtime/image-ref.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { LABELS, type ContainerRuntime } from '../../runtime/container-runtime.js';
import { ping } from '../endpoint/health.js';
import type { ModelCache } from '../endpoint/model-cache.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_SECONDS } from '../endpoint/types.js';
import type { ContainerDefinitionDoc } from '../endpoint/types.js';
import { containerCommand } from '../container-command.js';
import { limitsFor } from '../instance-types.js';
import { specLimits } from '../resource-network.js';
import { ClientError } from '../training-job/data-source.js';

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
  name: string;
  instanceId: string;
  labels: Record<string, string>;
  /** The job's own network (resource-network.ts). */
  network: string;
}

/** Creates and starts one `serve` container; the caller waits for health. */
export async function startServeContainer(o: StartServeOptions): Promise<{ containerId: string; origin: string }> {
  const resolved = await o.runtime.resolveImage(o.container.Image!);
  if (!resolved) {
    const hint = missingImageHint(o.container.Image!);
    throw new ClientError(`The image '${o.container.Image}' of the model was not found ${hint.where}. ${hint.remedy}`);
  }
  let modelDir: string;
  // No ModelDataDownloadTimeoutInSeconds on transform jobs: the hosting default is the time budget.
  if (o.container.ModelDataUrl) modelDir = await o.cache.prepare(o.container.ModelDataUrl, { timeoutSeconds: DEFAULT_DOWNLOAD_TIMEOUT_SECONDS });
  else {
    modelDir = join(o.modelCacheDir, 'empty');
    await mkdir(modelDir, { recursive: true });
  }
  const engine = await o.runtime.info().catch(() => ({ cpus: 1, memoryBytes: 1024 ** 3, maxTasks: undefined }));
  const limits = limitsFor(o.instanceType, engine.cpus || 1, engine.memoryBytes || 1024 ** 3, engine.maxTasks);
  const cmd = containerCommand('serve');
  await o.runtime.removeContainer(o.name, { force: true }).catch(() => undefined);
  const containerId = await o.runtime.createContainer({
    name: o.name,
    image: resolved.local,
    ...(cmd.entrypoint ? { entrypoint: cmd.entrypoint } : {}),
    ...(cmd.cmd ? { cmd: cmd.cmd } : {}),
    env: o.env,
    labels: { ...o.labels, [LABELS.instance]: o.instanceId },
    binds: [{ hostPath: modelDir, containerPath: '/opt/ml/model', readOnly: true }],
    publishPorts: [8080],
    network: { name: o.network },
    ...specLimits(limits),
  });
  await o.runtime.startContainer(containerId);
  const info = await o.runtime.inspectContainer(containerId);
  const port = info?.ports[8080];
  if (!port) throw new ClientError(`The model container exited at start (exit code ${info?.exitCode ?? 'unknown'}).`);
  return { containerId, origin: `http://127.0.0.1:${port}` };
}

/** Polls /ping until 200; rejects when the container exits, the signal aborts or the time is up. */
export async function waitHealthy(runtime: ContainerRuntime, containerId: string, origin: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted) {
    if (await ping(origin)) return;
    const info = await runtime.inspectContainer(containerId);
    if (!info?.running) throw new ClientError(`The model container exited before it answered GET /ping (exit code ${info?.exitCode ?? 'unknown'}).`);
    if (Date.now() > deadline) throw new ClientError(`The model container did not answer GET /ping with 200 within ${Math.round(timeoutMs / 1000)} seconds.`);
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
