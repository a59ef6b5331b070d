/**
 * @module controllers/serving/multi-model-loader — loads the models of multi-model endpoints into
 * their instances on first use, as SageMaker's platform does for a multi-model container
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html):
 *
 *   InvokeEndpoint(TargetModel=m) ──▶ ensure(instance, m)
 *      held?  ──yes──▶ model_name (ModelCacheHit 1)
 *      no ──▶ ModelCache: <prefix>m extracted once per host (budgets, off the main thread)
 *          ──▶ hard links into <modelCacheDir>/mme/<instance>/<model_name>/model  (= /opt/ml/models/… inside)
 *          ──▶ POST /models {model_name, url}   507 → unload the least recently used, try again
 *          ──▶ model_name (ModelCacheHit 0, ModelDownloadingTime, ModelLoadingTime, LoadedModelCount)
 *
 * Loads on one instance run one at a time (the container's memory is what 507 is about); hits
 * never wait. At most `maxModelsPerInstance` models stay loaded per instance: the least recently
 * used one is unloaded (`DELETE /models/<model_name>`, its directory removed) before another
 * loads. What an instance holds is kept in memory; after a restart the container may still hold
 * models, which its 409 on load reports, so nothing is loaded twice.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { request } from 'undici';
import { logger } from '../../platform/logger.js';
import type { Metrics } from '../../metrics/metrics.js';
import { MODELS_MOUNT, TargetModelError, containerModelName, targetModelUri, type ModelLoader, type MultiModelTarget } from '../../resources/multi-model.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_SECONDS } from '../../resources/endpoint.js';
import type { ControllerDeps } from '../controller.js';
import { ModelCache, ModelDataError } from './model-cache.js';

const execFileAsync = promisify(execFile);

/** The host directory mounted at /opt/ml/models in a multi-model instance. */
export function multiModelDir(modelCacheDir: string, instanceId: string): string {
  return join(modelCacheDir, 'mme', instanceId);
}

export interface MultiModelLoaderOptions {
  cache: ModelCache;
  modelCacheDir: string;
  metrics: Metrics;
  /** Models kept loaded per instance before the least recently used is unloaded. */
  maxModelsPerInstance: number;
  /** Time budget of one model's download and extraction. */
  downloadTimeoutSeconds: number;
  /** Time budget of one load or unload call to the container. */
  callTimeoutMs: number;
}

interface Held {
  target: string;
  lastUsed: number;
}

interface InstanceModels {
  models: Map<string, Held>;
  /** Loads run one after another per instance. */
  chain: Promise<unknown>;
}

export class MultiModelLoader implements ModelLoader {
  private readonly instances = new Map<string, InstanceModels>();

  /** The loader as the server wires it into the data plane: the controllers' model cache and budgets. */
  static forServer(deps: Omit<ControllerDeps, 'admission'>): MultiModelLoader {
    return new MultiModelLoader({
      cache: ModelCache.forControllers(deps),
      modelCacheDir: deps.config.modelCacheDir,
      metrics: deps.metrics,
      maxModelsPerInstance: deps.config.multiModelMaxModels,
      downloadTimeoutSeconds: DEFAULT_DOWNLOAD_TIMEOUT_SECONDS,
      callTimeoutMs: 60_000,
    });
  }

  constructor(private readonly o: MultiModelLoaderOptions) {}

  holds(instanceId: string, targetModel: string): boolean {
    return this.instances.get(instanceId)?.models.has(containerModelName(targetModel)) ?? false;
  }

  async ensure(t: MultiModelTarget, targetModel: string): Promise<string> {
    const st = this.state(t.instanceId);
    const name = containerModelName(targetModel);
    const held = st.models.get(name);
    if (held) {
      held.lastUsed = Date.now();
      this.o.metrics.recordModelLookup(t.endpoint, t.variant, { hit: true, loadedCount: st.models.size });
      return name;
    }
    const run = st.chain.then(() => this.load(t, st, name, targetModel));
    st.chain = run.catch(() => undefined);
    return run;
  }

  forget(instanceId: string): void {
    this.instances.delete(instanceId);
    void rm(multiModelDir(this.o.modelCacheDir, instanceId), { recursive: true, force: true }).catch(() => undefined);
  }

  private state(instanceId: string): InstanceModels {
    let st = this.instances.get(instanceId);
    if (!st) {
      st = { models: new Map(), chain: Promise.resolve() };
      this.instances.set(instanceId, st);
    }
    return st;
  }

  private async load(t: MultiModelTarget, st: InstanceModels, name: string, targetModel: string): Promise<string> {
    const held = st.models.get(name);
    if (held) {
      // Loaded by the call this one waited behind.
      held.lastUsed = Date.now();
      return name;
    }
    const uri = targetModelUri(t.prefix, targetModel);
    const t0 = performance.now();
    let source: string;
    try {
      source = await this.o.cache.prepare(uri, { timeoutSeconds: this.o.downloadTimeoutSeconds });
    } catch (err) {
      if (!(err instanceof ModelDataError)) throw err;
      const missing = /^Could not find model data/.test(err.message);
      // SageMaker's wording for a TargetModel with no object behind it.
      throw new TargetModelError(
        missing ? `Failed to download model data (${uri}). Please ensure that there is an object located at the URL.` : `Model data of TargetModel ${targetModel}: ${err.message}`,
        'client',
      );
    }
    const downloadUs = Math.round((performance.now() - t0) * 1000);
    let unloadUs: number | undefined;
    while (st.models.size >= this.o.maxModelsPerInstance) unloadUs = await this.unloadLeastRecent(t, st);

    const dir = join(multiModelDir(this.o.modelCacheDir, t.instanceId), name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    // Hard links: the extracted files are shared with the host's cache (same file system), not copied.
    await execFileAsync('cp', ['-al', '--', source, join(dir, 'model')]);

    const t1 = performance.now();
    for (;;) {
      const r = await this.call(t, 'POST', '/models', targetModel, JSON.stringify({ model_name: name, url: `${MODELS_MOUNT}/${name}/model` }));
      // 409: the container already holds it (it kept it across a restart of Slipway).
      if ((r.status >= 200 && r.status < 300) || r.status === 409) break;
      if (r.status === 507 && st.models.size > 0) {
        unloadUs = await this.unloadLeastRecent(t, st);
        continue;
      }
      await rm(dir, { recursive: true, force: true });
      throw new TargetModelError(
        r.status === 507
          ? `The model container has no memory left to load TargetModel ${targetModel} (507) and holds no other model to unload.`
          : `The model container could not load TargetModel ${targetModel} (${r.status}): ${r.body}`,
        'model',
        r.status,
      );
    }
    const loadUs = Math.round((performance.now() - t1) * 1000);
    st.models.set(name, { target: targetModel, lastUsed: Date.now() });
    this.o.metrics.recordModelLookup(t.endpoint, t.variant, { hit: false, downloadUs, loadUs, ...(unloadUs !== undefined ? { unloadUs } : {}), loadedCount: st.models.size });
    return name;
  }

  /** Unloads the model used longest ago; returns how long it took (µs). */
  private async unloadLeastRecent(t: MultiModelTarget, st: InstanceModels): Promise<number> {
    let oldest: [string, Held] | undefined;
    for (const e of st.models) if (!oldest || e[1].lastUsed < oldest[1].lastUsed) oldest = e;
    const [name, held] = oldest!;
    const t0 = performance.now();
    st.models.delete(name);
    const r = await this.call(t, 'DELETE', `/models/${name}`, held.target);
    // 404: it was not loaded any more; either way its files go.
    if (r.status >= 300 && r.status !== 404) logger.warn({ endpoint: t.endpoint, instance: t.instanceId, status: r.status }, 'the model container refused to unload a model');
    await rm(join(multiModelDir(this.o.modelCacheDir, t.instanceId), name), { recursive: true, force: true });
    return Math.round((performance.now() - t0) * 1000);
  }

  private async call(t: MultiModelTarget, method: 'POST' | 'DELETE', path: string, targetModel: string, body?: string): Promise<{ status: number; body: string }> {
    try {
      const r = await request(`${t.origin}${path}`, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-amzn-sagemaker-target-model': targetModel },
        ...(body !== undefined ? { body } : {}),
        headersTimeout: this.o.callTimeoutMs,
        bodyTimeout: this.o.callTimeoutMs,
      });
      const text = (await r.body.text()).slice(0, 1024);
      return { status: r.statusCode, body: text };
    } catch (err) {
      throw new TargetModelError(`The model container did not answer ${method} ${path}: ${(err as Error).message}`, 'model');
    }
  }
}
