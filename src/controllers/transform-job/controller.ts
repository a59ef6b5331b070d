/**
 * @module controllers/transform-job/controller — runs batch transform jobs (contract §5).
 *
 *   InProgress ──admitted by capacity──► start the model's `serve` containers (TransformResources), wait for /ping,
 *              read /execution-parameters──► objects partitioned by key across instances
 *              ──each object streamed through /invocations──► `<S3OutputPath>/<rel>.out`
 *   ──all objects ok──► Completed   ──an object failed (no .out for it)──► Failed
 *   StopTransformJob ──► Stopping ──in-flight work aborted, outputs written so far deleted──► Stopped
 *
 * A run lives in memory; after a server restart an unfinished job starts over (outputs are
 * whole-object writes, so redoing them is safe) and leftover containers are removed; a job that
 * was Stopping ends Stopped with every `.out` it could have written deleted.
 */
import { TerminalFailure } from '../terminal-failure.js';
import { resolveImageOrFail } from '../resolve-image.js';
import { missingImageMessage } from '../../runtime/image-ref.js';
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { LABELS } from '../../runtime/container-runtime.js';
import { logger } from '../../platform/logger.js';
import { joinUri, parseDataUri } from '../../resources/s3-uri.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { ModelCache, ModelDataError } from '../serving/model-cache.js';
import { followContainerLogs } from '../container-logs.js';
import { homeTag } from '../home-tag.js';
import { OrphanSweeper } from '../orphan-sweeper.js';
import { networkFailureReason, networkOptionsFor } from '../resource-network.js';
import { channelObjects, shard, type SourceObject } from '../job-common/data-source.js';
import { putToUri } from '../job-common/packaging.js';
import { gunzipWithBudget } from '../job-common/gzip-input.js';
import { ADMISSION_POLL_MS } from '../admission/admission.js';
import { instanceDemand } from '../../resources/demand.js';
import type { Claim } from '../admission/ledger.js';
import { DONE, type ReconcileResult } from '../work-queue.js';
import { modelStagingPlan } from '../serving/model-staging.js';
import { DataProcessor } from './data-processing.js';
import { executionParameters, invoker, startServeContainer, waitHealthy, type ServeInstance } from './instances.js';
import { Semaphore, transformObject, type TransformParams } from './object-transformer.js';
import { TRANSFORM_LOG_GROUP, type TransformJobDoc, formatOf } from '../../resources/transform-job.js';
import { wireTime } from '../../resources/wire-time.js';
import { truncateReason } from '../../resources/failure-reason.js';
import { nameOfKey, resourceKey } from '../../resources/kinds.js';
import { failureReasonFor } from '../job-common/failure-reason.js';

const KIND = 'transform-job';
const MB = 1024 * 1024;
const DEFAULT_STARTUP_SECONDS = 600;

interface Run {
  abort: AbortController;
  done: Promise<void>;
}

/** SIGTERM, then SIGKILL after this, when a transform's serve containers are done. */
const STOP_GRACE_SECONDS = 10;
/** How long to let log followers catch up with stopped containers (the engine can lag under load). */
const LOG_DRAIN_LIMIT_MS = 30_000;

type Outcome = { status: 'Completed' } | { status: 'Failed'; reason: string } | { status: 'Stopped' };

/** What one run of a transform job works with; `instances`, `followers` and `written` are filled as it goes, for the cleanup after it. */
interface TransformRun {
  name: string;
  arn: string;
  doc: TransformJobDoc;
  /** Seconds; part of the instances' log stream names. */
  epoch: number;
  /** Aborts on StopTransformJob or shutdown. */
  signal: AbortSignal;
  instances: ServeInstance[];
  followers: Promise<void>[];
  /** Ends the log followers once the containers are stopped. */
  logsSignal: AbortSignal;
  /** Output objects written so far (removed again when the job is stopped). */
  written: string[];
}

export class TransformJobController implements Controller {
  readonly kind = KIND;
  private readonly runs = new Map<string, Run>();
  private readonly cache: ModelCache;
  private readonly tag: string;
  private readonly sweeper: OrphanSweeper;

  constructor(private readonly deps: ControllerDeps) {
    this.cache = ModelCache.forControllers(deps);
    this.tag = homeTag(deps.config.clusterId);
    deps.admission.register(async () => await this.claims());
    // A run removes its containers when it ends; those it could not (engine unreachable) go later.
    this.sweeper = new OrphanSweeper({
      runtime: deps.runtime,
      kind: KIND,
      home: deps.config.clusterId,
      ownsContainer: async (c) => this.runs.has(c.labels[LABELS.name] ?? ''),
      ownsNetwork: async (name) => [...this.runs.keys()].some((job) => this.networkName(job) === name),
      onReconnect: async () => undefined,
    });
  }

  /** Jobs hold their instances from admission until done; InProgress ones not admitted wait. */
  private async claims(): Promise<Claim[]> {
    const out: Claim[] = [];
    for (const r of await this.deps.resources.listByStatus(KIND, ['InProgress', 'Stopping'])) {
      if (r.internal.done || (!r.internal.admitted && r.doc.TransformJobStatus !== 'InProgress')) continue;
      const { InstanceType, InstanceCount } = r.doc.TransformResources;
      out.push({ key: resourceKey(KIND, r.name), kind: 'job', order: r.creationTime, demand: r.internal.admitted ?? instanceDemand(InstanceType, InstanceCount), held: !!r.internal.admitted });
    }
    return out;
  }

  /** Returns once the job is admitted by capacity; throws when `signal` aborts first. */
  private async waitForCapacity(name: string, signal: AbortSignal): Promise<void> {
    let logged = false;
    for (;;) {
      const rec = await this.deps.resources.get(KIND, name);
      if (!rec || rec.internal.admitted) return;
      const { InstanceType, InstanceCount } = rec.doc.TransformResources;
      const demand = instanceDemand(InstanceType, InstanceCount);
      const asking = { key: resourceKey(KIND, name), kind: 'job' as const, order: rec.creationTime, demand, what: `${InstanceCount} x ${InstanceType}` };
      const decision = await this.deps.admission.request(asking, () =>
        this.deps.resources.update(KIND, name, (r) => (r.internal.admitted = demand), { touch: false }),
      );
      if (decision.admit) return;
      // DescribeTransformJob has no status message: the reason goes to the job's log group, once.
      if (!logged) await this.deps.logs.append(TRANSFORM_LOG_GROUP, `${name}/admission`, [{ timestamp: Date.now(), message: `[slipway] ${decision.message}` }]);
      logged = true;
      await new Promise((r) => setTimeout(r, ADMISSION_POLL_MS));
      signal.throwIfAborted();
    }
  }

  readonly reconcile = async (key: string): Promise<ReconcileResult> => {
    const name = nameOfKey(key);
    const rec = await this.deps.resources.get(KIND, name);
    if (!rec || rec.internal.done) return DONE;
    const run = this.runs.get(name);
    if (run) {
      if (rec.doc.TransformJobStatus === 'Stopping') run.abort.abort();
      return DONE;
    }
    if (rec.doc.TransformJobStatus === 'Stopping') {
      // Stopping with no run here: the server went down mid-stop (or before the run began). The
      // run's list of written outputs died with it, so every output the job could have written
      // is removed — StopTransformJob keeps no output (contract §5).
      await this.removeContainers(name);
      await this.discardOutputs(rec.doc);
      await this.finish(name, { status: 'Stopped' });
      return DONE;
    }
    const abort = new AbortController();
    const r: Run = { abort, done: Promise.resolve() };
    this.runs.set(name, r);
    r.done = this.run(name, abort.signal)
      .catch(async (err: unknown) => {
        logger.error({ err, job: name }, 'transform job crashed');
        await this.finish(name, { status: 'Failed', reason: failureReasonFor(err) });
      })
      .finally(() => this.runs.delete(name));
    return DONE;
  };

  async resume(): Promise<void> {
    try {
      const mine = await this.deps.runtime.listContainers({ [LABELS.kind]: KIND, [LABELS.home]: this.deps.config.clusterId }, { all: true });
      for (const c of mine) await this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined);
      // Every run starts over after a restart, on a network of its own again.
      const nets = await this.deps.runtime.listNetworks({ [LABELS.kind]: KIND, [LABELS.home]: this.deps.config.clusterId });
      for (const n of nets) await this.deps.runtime.removeNetwork(n.name).catch(() => undefined);
    } catch (err) {
      logger.warn({ err }, 'could not list transform containers on resume');
    }
    for (const rec of await this.deps.resources.listByStatus(KIND, ['InProgress', 'Stopping'])) this.deps.queue.enqueue(resourceKey(KIND, rec.name));
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    await this.sweeper.stop();
    // Server shutdown: the job is restarted on resume, so its work stops here (status unchanged).
    for (const r of this.runs.values()) r.abort.abort(new Error('shutdown'));
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
  }

  // ---------------------------------------------------------------------------------------------

  private async finish(name: string, outcome: Outcome): Promise<void> {
    const now = Date.now();
    await this.deps.resources.update(
      KIND,
      name,
      (r) => {
        if (r.internal.done) return;
        r.doc.TransformJobStatus = outcome.status;
        r.status = outcome.status;
        if (outcome.status === 'Failed') r.doc.FailureReason = truncateReason(outcome.reason);
        r.doc.TransformEndTime = wireTime(now);
        r.doc.LastModifiedTime = wireTime(now);
        r.internal.done = true;
      },
      { now },
    );
  }

  private async removeContainers(name: string): Promise<void> {
    const left = await this.deps.runtime.listContainers({ [LABELS.kind]: KIND, [LABELS.name]: name, [LABELS.home]: this.deps.config.clusterId }, { all: true }).catch(() => []);
    await Promise.all(left.map((c) => this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined)));
    await this.deps.runtime.removeNetwork(this.networkName(name)).catch(() => undefined);
  }

  /** The job's own network (resource-network.ts). */
  private networkName(job: string): string {
    return `slipway-tj-${job.toLowerCase()}-${this.tag}`;
  }

  /** Deletes `<S3OutputPath>/<rel>.out` for every input object (best effort). */
  private async discardOutputs(doc: TransformJobDoc): Promise<void> {
    const src = doc.TransformInput.DataSource.S3DataSource;
    const objects = await channelObjects(this.deps.objects, { S3DataType: src.S3DataType, S3Uri: src.S3Uri }, 0, 1, this.deps.localPaths).catch(() => []);
    await this.deleteUris(objects.map((o) => joinUri(doc.TransformOutput.S3OutputPath, `${o.relPath}.out`)));
  }

  private async deleteUris(uris: string[]): Promise<void> {
    for (const uri of uris) {
      const loc = parseDataUri(uri);
      if (loc?.scheme === 's3') await this.deps.objects.deleteObject(loc.bucket, loc.key).catch(() => undefined);
    }
  }

  private async run(name: string, signal: AbortSignal): Promise<void> {
    const rec = (await this.deps.resources.get(KIND, name))!;
    const doc = rec.doc;
    const epoch = Math.floor(Date.now() / 1000);
    await this.deps.resources.update(KIND, name, (r) => {
      r.doc.TransformStartTime ??= wireTime(Date.now());
    });
    const instances: ServeInstance[] = [];
    const followers: Promise<void>[] = [];
    const logsAbort = new AbortController();
    const written: string[] = [];
    let outcome: Outcome;
    try {
      outcome = await this.transform({ name: rec.name, arn: rec.arn, doc, epoch, signal, instances, followers, logsSignal: logsAbort.signal, written });
    } catch (err) {
      if (signal.aborted) outcome = { status: 'Stopped' };
      else if (err instanceof TerminalFailure) outcome = { status: 'Failed', reason: err.reason };
      else throw err;
    } finally {
      // Stop first and let the log followers drain what the containers printed last (removing a
      // running container would drop its final lines), then remove.
      await Promise.all(instances.map((i) => this.deps.runtime.stopContainer(i.containerId, STOP_GRACE_SECONDS).catch(() => undefined)));
      await Promise.race([Promise.allSettled(followers), new Promise((r) => setTimeout(r, LOG_DRAIN_LIMIT_MS))]);
      logsAbort.abort();
      await Promise.all(instances.map((i) => this.deps.runtime.removeContainer(i.containerId, { force: true }).catch(() => undefined)));
      await this.deps.runtime.removeNetwork(this.networkName(name)).catch(() => undefined);
    }
    if (signal.aborted && signal.reason instanceof Error && signal.reason.message === 'shutdown') return;
    // StopTransformJob keeps no output (contract §5).
    if (outcome.status === 'Stopped') await this.deleteUris(written);
    await this.finish(name, outcome);
  }

  private async dataLog(stream: string, message: string): Promise<void> {
    await this.deps.logs.append(TRANSFORM_LOG_GROUP, `${stream}/data-log`, [{ timestamp: Date.now(), message }]);
  }

  /** One run of the job: serve containers up, every input object transformed, an outcome. */
  private async transform(run: TransformRun): Promise<Outcome> {
    const { name, arn, doc, epoch, signal, instances, followers, logsSignal, written } = run;
    const model = await this.deps.resources.get('model', doc.ModelName);
    if (!model) throw TerminalFailure.client(`Could not find model "${doc.ModelName}".`);
    const container = model.doc.PrimaryContainer ?? model.doc.Containers?.[0];
    if (!container?.Image) throw TerminalFailure.client(`Model ${doc.ModelName} has no container image.`);
    // A job that cannot run fails at once rather than after its turn for capacity.
    if (!(await resolveImageOrFail(this.deps.runtime, container.Image, true))) {
      throw TerminalFailure.client(missingImageMessage(container.Image, 'of the model'));
    }
    await this.waitForCapacity(name, signal);

    // Request values > execution-parameters > defaults (contract §5).
    const req = { MaxConcurrentTransforms: doc.MaxConcurrentTransforms, MaxPayloadInMB: doc.MaxPayloadInMB, BatchStrategy: doc.BatchStrategy };
    const env: Record<string, string> = { ...(container.Environment ?? {}), ...(doc.Environment ?? {}), SAGEMAKER_BATCH: 'true' };
    if (req.MaxPayloadInMB !== undefined) env.SAGEMAKER_MAX_PAYLOAD_IN_MB = String(req.MaxPayloadInMB);
    if (req.BatchStrategy) env.SAGEMAKER_BATCH_STRATEGY = req.BatchStrategy === 'MultiRecord' ? 'MULTI_RECORD' : 'SINGLE_RECORD';
    if (req.MaxConcurrentTransforms !== undefined) env.SAGEMAKER_MAX_CONCURRENT_TRANSFORMS = String(req.MaxConcurrentTransforms);

    const labels = { [LABELS.managed]: 'true', [LABELS.kind]: KIND, [LABELS.name]: name, [LABELS.arn]: arn, [LABELS.home]: this.deps.config.clusterId };
    const network = this.networkName(name);
    const isolated = model.doc.EnableNetworkIsolation === true;
    try {
      await this.deps.runtime.createNetwork(network, labels, networkOptionsFor({ isolated, serving: true, hostAccess: this.deps.config.containers.hostAccess }));
    } catch (err) {
      const reason = networkFailureReason(err, isolated);
      throw reason ? TerminalFailure.client(reason) : err;
    }
    const count = doc.TransformResources.InstanceCount;
    const startupMs = Number(process.env.SLIPWAY_TRANSFORM_STARTUP_SECONDS ?? DEFAULT_STARTUP_SECONDS) * 1000;
    for (let i = 0; i < count; i++) {
      const id = `i-${randomBytes(8).toString('hex')}`;
      const logStream = `${name}/${id}-${epoch}`;
      await this.deps.logs.ensureStream(TRANSFORM_LOG_GROUP, logStream);
      const started = await startServeContainer({
        runtime: this.deps.runtime,
        cache: this.cache,
        modelCacheDir: this.deps.config.modelCacheDir,
        container,
        env,
        instanceType: doc.TransformResources.InstanceType,
        hostGpus: this.deps.config.containers.gpus,
        name: `slipway-tj-${name.toLowerCase()}-${i + 1}-${this.tag}`,
        instanceId: id,
        labels,
        network,
        staging: (modelDir) => modelStagingPlan(this.deps.staging, modelDir),
      }).catch((err: unknown) => {
        if (err instanceof ModelDataError) throw TerminalFailure.client(err.detail);
        throw err;
      });
      const inst: ServeInstance = { id, containerId: started.containerId, origin: started.origin, logStream };
      instances.push(inst);
      followers.push(followContainerLogs({ runtime: this.deps.runtime, logs: this.deps.logs, group: TRANSFORM_LOG_GROUP, stream: logStream, container: inst.containerId, signal: logsSignal }));
    }
    try {
      await Promise.all(instances.map((i) => waitHealthy(this.deps.runtime, i.containerId, i.origin, startupMs, signal)));
    } catch (err) {
      if (err instanceof TerminalFailure) {
        await new Promise((r) => setTimeout(r, 500));
        const tail = await this.deps.logs.tail(TRANSFORM_LOG_GROUP, instances[0]!.logStream, 5);
        throw TerminalFailure.client(`${err.detail}${tail.length ? ` Last log lines: ${tail.join(' | ')}` : ''}`);
      }
      throw err;
    }

    const exec = await executionParameters(instances[0]!.origin);
    const maxPayloadMB = req.MaxPayloadInMB ?? exec.MaxPayloadInMB ?? 6;
    const params: TransformParams = {
      splitType: doc.TransformInput.SplitType ?? 'None',
      batchStrategy: req.BatchStrategy ?? exec.BatchStrategy ?? 'MultiRecord',
      maxPayloadBytes: Math.round(maxPayloadMB * MB),
      maxConcurrent: Math.max(1, req.MaxConcurrentTransforms ?? exec.MaxConcurrentTransforms ?? 1),
      assembleWith: doc.TransformOutput.AssembleWith ?? 'None',
    };
    const settings = `MaxConcurrentTransforms=${params.maxConcurrent}, MaxPayloadInMB=${maxPayloadMB}, BatchStrategy=${params.batchStrategy === 'MultiRecord' ? 'MULTI_RECORD' : 'SINGLE_RECORD'}`;
    for (const i of instances) await this.dataLog(i.logStream, `[sagemaker logs]: ${settings}`);

    const processor = new DataProcessor(doc.DataProcessing, formatOf(doc.TransformInput.ContentType), formatOf(doc.TransformOutput.Accept));
    const src = doc.TransformInput.DataSource.S3DataSource;
    const all = await channelObjects(this.deps.objects, { S3DataType: src.S3DataType, S3Uri: src.S3Uri }, 0, 1, this.deps.localPaths);
    const failures: string[] = [];
    const timeoutMs = (doc.ModelClientConfig?.InvocationsTimeoutInSeconds ?? 600) * 1000;
    const maxRetries = doc.ModelClientConfig?.InvocationsMaxRetries ?? 3;

    await Promise.all(
      instances.map(async (inst, i) => {
        const mine = shard(all, i, instances.length);
        const client = invoker(inst.origin, {
          connections: params.maxConcurrent,
          timeoutMs,
          maxRetries,
          contentType: doc.TransformInput.ContentType,
          accept: doc.TransformOutput.Accept,
          signal,
        });
        const limiter = new Semaphore(params.maxConcurrent);
        let next = 0;
        const worker = async () => {
          while (next < mine.length && !signal.aborted) {
            const obj = mine[next++]!;
            const failure = await this.transformOne(obj, doc, params, processor, client.invoke, limiter, inst, written);
            if (failure) failures.push(failure);
          }
        };
        try {
          // Objects are processed concurrently too (small files), sharing the instance's request limit.
          await Promise.all(Array.from({ length: Math.min(params.maxConcurrent, mine.length) }, worker));
        } finally {
          await client.close();
        }
      }),
    );
    if (signal.aborted) return { status: 'Stopped' };
    if (failures.length === 0) return { status: 'Completed' };
    const more = failures.length > 1 ? ` (${failures.length - 1} more object(s) failed; see the data-log streams)` : '';
    return { status: 'Failed', reason: `ClientError: ${failures[0]}${more}` };
  }

  /** One object → its `.out`; returns a failure text (the object gets no output) or undefined. */
  private async transformOne(
    obj: SourceObject,
    doc: TransformJobDoc,
    params: TransformParams,
    processor: DataProcessor,
    invoke: (b: Buffer | Readable) => Promise<Buffer>,
    limiter: Semaphore,
    inst: ServeInstance,
    written: string[],
  ): Promise<string | undefined> {
    const inputUri = objectUri(doc.TransformInput.DataSource.S3DataSource.S3Uri, obj.relPath, doc.TransformInput.DataSource.S3DataSource.S3DataType);
    const outUri = joinUri(doc.TransformOutput.S3OutputPath, `${obj.relPath}.out`);
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    const put = putToUri({ objects: this.deps.objects, paths: this.deps.localPaths }, outUri, out, doc.TransformOutput.Accept);
    put.catch(() => undefined);
    const t0 = Date.now();
    try {
      let source: Readable = await obj.open();
      if (doc.TransformInput.CompressionType === 'Gzip') source = gunzipWithBudget(source, { maxBytes: this.deps.config.dataLimits.gzipInputMaxBytes, what: 'the input' });
      const stats = await transformObject({ source, params, processor, invoke, limiter, out });
      out.end();
      await put;
      written.push(outUri);
      await this.dataLog(inst.logStream, `[sagemaker logs]: ${inputUri}: ${stats.records} record(s) in ${stats.requests} request(s), ${Date.now() - t0} ms`);
      return undefined;
    } catch (err) {
      const reason = err instanceof TerminalFailure ? err.detail : (err as Error).message;
      out.destroy(new Error(reason));
      await put.catch(() => undefined);
      const text = `${inputUri}: ${reason}`;
      await this.dataLog(inst.logStream, `[sagemaker logs]: ${text}`);
      return text;
    }
  }
}

/** Names an input object in messages: its URI for S3Prefix data (key relative to the prefix). */
function objectUri(s3Uri: string, rel: string, type: string): string {
  if (type === 'ManifestFile') return `${rel} (from manifest ${s3Uri})`;
  if (s3Uri.endsWith('/')) return s3Uri + rel;
  return s3Uri.endsWith(`/${rel}`) ? s3Uri : `${s3Uri} (object ${rel})`;
}
