/**
 * @module controllers/training-job/controller — runs a training job's containers as SageMaker
 * does (contract §3) and records what happens as the job's status.
 *
 *   pending ──resolve image, workspaces, stage inputs, restore checkpoints──► staged
 *   staged  ──network (N>1), create + start containers (deterministic names)──► running
 *   running ──watch: logs → LogStore + metrics, exits, MaxRuntime, stop, checkpoint sync──► exited
 *   exited  ──Uploading: model.tar.gz / output.tar.gz, final checkpoints──► done (+ clean-up)
 *
 * Every step is persisted in `internal.step` and safe to redo, so a reconcile after a crash (or
 * a `kill -9` of the server) picks up where the last one stopped. In-memory watchers (log
 * followers, exit waiters, Pipe feeders, checkpoint timers) are rebuilt from the containers'
 * labels and deterministic names on resume.
 */
import type { Metrics } from '../../metrics/metrics.js';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LABELS, type ContainerInfo, type ContainerSpec, type ContainerRuntime } from '../../runtime/container-runtime.js';
import { logger } from '../../server/logger.js';
import type { SlipwayConfig } from '../../server/config.js';
import type { LogStore } from '../../storage/log-store.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { ResourceRecord, ResourceStore } from '../../storage/resource-store.js';
import { joinUri } from '../../storage/s3-uri.js';
import { containerCommand } from '../container-command.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { limitsFor } from '../instance-types.js';
import { followContainerLogs } from '../job-common/container-logs.js';
import { homeTag } from '../job-common/home-tag.js';
import { guardReconcile } from '../job-common/reconcile-guard.js';
import { DONE, requeueAfter, type ReconcileResult, type WorkQueue } from '../work-queue.js';
import { channelInputMode } from './container-config.js';
import { ClientError, channelObjects } from './data-source.js';
import { MetricExtractor } from './metrics.js';
import { listFiles, mergeDirs, uploadTarGz, uploadTree } from './packaging.js';
import { mkfifo, runPipeFeeder } from './pipe-feeder.js';
import { algorithmFailureReason, finish, mergeFinalMetrics, setSecondaryStatus, wireTime, type FinalOutcome } from './status.js';
import { TRAINING_LOG_GROUP, type HostState, type TrainingJobDoc, type TrainingJobInternal } from './types.js';
import { hostWorkspace, jobDir, mountsFor, prepareWorkspace, restoreCheckpoints, stageInputs } from './workspace.js';

type JobRecord = ResourceRecord<TrainingJobDoc, TrainingJobInternal>;

/** SIGTERM → SIGKILL grace for StopTrainingJob and MaxRuntimeInSeconds (contract §3.8: `docker stop -t 120`). */
export const STOP_GRACE_SECONDS = 120;
/** Grace for the other hosts once one host has failed. */
const PEER_FAILURE_GRACE_SECONDS = 10;
const METRIC_SERIES_CAP = 10_000;

export interface TrainingJobControllerOptions {
  /** How often checkpoints are synced to S3 while the job runs. */
  checkpointSyncMs?: number;
  now?: () => number;
}

/** In-memory helpers attached to one running job (rebuilt after a restart). */
interface JobWatcher {
  abort: AbortController;
  followers: Promise<void>[];
  extractor: MetricExtractor;
  series: Record<string, [number, number][]>;
  metricsDirty: boolean;
  stopSent: boolean;
  checkpointTimer?: NodeJS.Timeout;
  checkpointSigs: Map<string, string>[];
  checkpointBusy?: Promise<void>;
  statsTimer?: NodeJS.Timeout;
}

/** How often running hosts' CPU and memory are sampled. */
const STATS_INTERVAL_MS = 10_000;

export class TrainingJobController implements Controller {
  readonly kind = 'training-job';
  private readonly config: SlipwayConfig;
  private readonly resources: ResourceStore;
  private readonly logs: LogStore;
  private readonly objects: ObjectStore;
  private readonly runtime: ContainerRuntime;
  private readonly queue: WorkQueue;
  private readonly metrics: Metrics;
  private readonly watchers = new Map<string, JobWatcher>();
  private readonly errors = new Map<string, number>();
  private readonly homeTag: string;
  private readonly checkpointSyncMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(deps: ControllerDeps, opts: TrainingJobControllerOptions = {}) {
    this.config = deps.config;
    this.resources = deps.resources;
    this.logs = deps.logs;
    this.objects = deps.objects;
    this.runtime = deps.runtime;
    this.queue = deps.queue;
    this.metrics = deps.metrics;
    this.homeTag = homeTag(deps.config.home);
    this.checkpointSyncMs = opts.checkpointSyncMs ?? Number(process.env.SLIPWAY_CHECKPOINT_SYNC_SECONDS ?? 30) * 1000;
    this.now = opts.now ?? Date.now;
  }

  readonly reconcile = async (key: string, _signal: AbortSignal): Promise<ReconcileResult> => {
    const name = key.slice(key.indexOf(':') + 1);
    return guardReconcile(this.guard, name, 'training job', () => this.step(name));
  };

  private readonly guard = {
    errors: this.errors,
    stopping: () => this.stopped,
    finished: (name: string) => (this.get(name)?.internal.step ?? 'done') === 'done',
    fail: (name: string, reason: string) => this.fail(name, reason),
  };

  async resume(): Promise<void> {
    const live = this.resources.listByStatus<TrainingJobDoc, TrainingJobInternal>('training-job', ['InProgress', 'Stopping']);
    for (const rec of live) this.queue.enqueue(`training-job:${rec.name}`);
    // Containers of this home whose job is gone or finished (e.g. a crash between upload and
    // clean-up) are removed; the record's own reconcile handles the live ones.
    try {
      const mine = await this.runtime.listContainers({ [LABELS.kind]: 'training-job', [LABELS.home]: this.config.home }, { all: true });
      for (const c of mine) {
        const job = c.labels[LABELS.name];
        const rec = job ? this.get(job) : undefined;
        if (!rec || rec.internal.step === 'done') await this.runtime.removeContainer(c.id, { force: true }).catch(() => undefined);
      }
    } catch (err) {
      logger.warn({ err }, 'could not list training containers on resume');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers.values()) this.disposeWatcher(w);
    await Promise.allSettled([...this.watchers.values()].flatMap((w) => w.followers));
    this.watchers.clear();
  }

  // ---------------------------------------------------------------------------------------------

  private get(name: string): JobRecord | undefined {
    return this.resources.get<TrainingJobDoc, TrainingJobInternal>('training-job', name);
  }

  private update(name: string, mutate: (rec: JobRecord) => void): JobRecord {
    const now = this.now();
    const rec = this.resources.update<TrainingJobDoc, TrainingJobInternal>(
      'training-job',
      name,
      (r) => {
        mutate(r);
        r.status = r.doc.TrainingJobStatus;
        r.doc.LastModifiedTime = wireTime(now);
      },
      { now },
    );
    if (!rec) throw new Error(`training job ${name} disappeared`);
    return rec;
  }

  private containerName(job: string, host: string): string {
    return `slipway-train-${job.toLowerCase()}-${host}-${this.homeTag}`;
  }

  private networkName(job: string): string {
    return `slipway-train-${job.toLowerCase()}-${this.homeTag}`;
  }

  private labels(rec: JobRecord, host?: string): Record<string, string> {
    const l: Record<string, string> = {
      [LABELS.managed]: 'true',
      [LABELS.kind]: 'training-job',
      [LABELS.name]: rec.name,
      [LABELS.arn]: rec.arn,
      [LABELS.home]: this.config.home,
    };
    if (host) l[LABELS.host] = host;
    return l;
  }

  /** Platform messages (limit clamps, staging summary) go to the job's log like container output. */
  private platformLog(rec: JobRecord, message: string): void {
    const t = this.now();
    for (const h of rec.internal.hosts ?? []) this.logs.append(TRAINING_LOG_GROUP, h.logStream, [{ timestamp: t, message: `[slipway] ${message}` }]);
  }

  private async step(name: string): Promise<ReconcileResult> {
    let rec = this.get(name);
    if (!rec) return DONE;
    if (rec.internal.step === 'done') {
      this.dropWatcher(name);
      return DONE;
    }
    // Stop requested before any container ran: nothing to signal, finish as Stopped.
    if (rec.doc.TrainingJobStatus === 'Stopping' && (rec.internal.step === 'pending' || rec.internal.step === 'staged')) {
      rec = this.update(name, (r) => {
        r.internal.step = 'exited';
      });
    }
    if (rec.internal.step === 'pending') {
      const failed = await this.prepare(rec);
      if (failed) return DONE;
      rec = this.get(name)!;
      if (rec.doc.TrainingJobStatus === 'Stopping') return requeueAfter(0);
    }
    if (rec.internal.step === 'staged') {
      await this.startContainers(rec);
      rec = this.get(name)!;
    }
    if (rec.internal.step === 'running') {
      const res = await this.supervise(rec);
      if (res) return res;
      rec = this.get(name)!;
    }
    if (rec.internal.step === 'exited') await this.finalize(rec);
    return DONE;
  }

  /** Resolves the image and lays out every host's /opt/ml. Returns true when the job failed. */
  private async prepare(rec: JobRecord): Promise<boolean> {
    const image = rec.doc.AlgorithmSpecification.TrainingImage;
    const resolved = await this.runtime.resolveImage(image);
    if (!resolved) {
      const bare = image.replace(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\//, '');
      await this.fail(
        rec.name,
        `ClientError: Image '${image}' not found on the Docker engine. Build or tag it locally (docker build -t ${bare} .) and try again.`,
      );
      return true;
    }
    const count = rec.doc.ResourceConfig.InstanceCount;
    const startSec = Math.floor(this.now() / 1000);
    rec = this.update(rec.name, (r) => {
      r.internal.image = resolved.local;
      r.internal.hosts ??= Array.from({ length: count }, (_, i): HostState => {
        const host = `algo-${i + 1}`;
        return { host, containerName: this.containerName(r.name, host), logStream: `${r.name}/${host}-${startSec}` };
      });
      r.doc.TrainingStartTime ??= wireTime(this.now());
      setSecondaryStatus(r.doc, 'Downloading', this.now(), 'Starting the training job. Preparing the instances for training and downloading input data');
    });
    let files = 0;
    let bytes = 0;
    for (const [i, h] of rec.internal.hosts!.entries()) {
      const ws = hostWorkspace(this.config.workDir, rec.name, h.host);
      await prepareWorkspace(ws, rec.doc, h.host);
      const st = await stageInputs(this.objects, ws, rec.doc, i);
      files += st.files;
      bytes += st.bytes;
      for (const ch of rec.doc.InputDataConfig ?? []) {
        if (channelInputMode(rec.doc, ch) === 'Pipe') await mkfifo(join(ws.data, `${ch.ChannelName}_0`));
      }
      await restoreCheckpoints(this.objects, ws, rec.doc);
    }
    this.platformLog(rec, `Staged ${files} input file(s), ${bytes} bytes, for ${count} host(s).`);
    this.update(rec.name, (r) => {
      r.internal.step = 'staged';
    });
    return false;
  }

  private async startContainers(rec: JobRecord): Promise<void> {
    const doc = rec.doc;
    const hosts = rec.internal.hosts!;
    const count = hosts.length;
    const isolated = doc.EnableNetworkIsolation === true;
    let network: string | undefined;
    if (count > 1) {
      network = this.networkName(rec.name);
      // Hosts of an isolated job still reach each other (SageMaker allows inter-container traffic).
      await this.runtime.createNetwork(network, this.labels(rec), { internal: isolated });
    }
    const host = await this.runtime.info().catch(() => ({ cpus: 0, memoryBytes: 0 }));
    const limits = host.cpus > 0 ? limitsFor(doc.ResourceConfig.InstanceType, host.cpus, host.memoryBytes) : { warnings: [] };
    const cmd = containerCommand('train', {
      containerEntrypoint: doc.AlgorithmSpecification.ContainerEntrypoint,
      containerArguments: doc.AlgorithmSpecification.ContainerArguments,
    });
    const ids: string[] = [];
    for (const h of hosts) {
      const existing = await this.runtime.inspectContainer(h.containerName);
      let id = existing?.id;
      if (!id) {
        const ws = hostWorkspace(this.config.workDir, rec.name, h.host);
        const spec: ContainerSpec = {
          name: h.containerName,
          image: rec.internal.image!,
          ...(cmd.entrypoint ? { entrypoint: cmd.entrypoint } : {}),
          ...(cmd.cmd ? { cmd: cmd.cmd } : {}),
          env: { ...(doc.Environment ?? {}), TRAINING_JOB_NAME: rec.name, TRAINING_JOB_ARN: rec.arn },
          labels: this.labels(rec, h.host),
          binds: mountsFor(ws, doc),
          hostname: h.host,
          limits: { nanoCpus: limits.nanoCpus, memoryBytes: limits.memoryBytes },
          ...(network ? { network: { name: network, aliases: [h.host] } } : isolated ? { networkDisabled: true } : {}),
        };
        id = await this.runtime.createContainer(spec);
      }
      ids.push(id);
    }
    rec = this.update(rec.name, (r) => {
      r.internal.network = network;
      r.internal.hosts!.forEach((h, i) => (h.containerId = ids[i]));
    });
    for (const w of limits.warnings) this.platformLog(rec, w);
    for (const id of ids) await this.runtime.startContainer(id);
    rec = this.update(rec.name, (r) => {
      r.internal.step = 'running';
      setSecondaryStatus(r.doc, 'Training', this.now());
    });
    this.ensureWatcher(rec);
  }

  /**
   * While containers run: keep the watcher attached, enforce MaxRuntime and stop requests, and
   * notice exits. Returns a requeue while the job runs; undefined once step is `exited`.
   */
  private async supervise(rec: JobRecord): Promise<ReconcileResult | undefined> {
    const hosts = rec.internal.hosts ?? [];
    const infos: (ContainerInfo | undefined)[] = await Promise.all(
      hosts.map((h) => this.runtime.inspectContainer(h.containerId ?? h.containerName)),
    );
    const vanished = hosts.filter((_, i) => !infos[i]);
    if (vanished.length > 0) {
      const watcher = this.watchers.get(rec.name);
      await this.fail(
        rec.name,
        `InternalServerError: The training container of ${vanished.map((h) => h.host).join(', ')} vanished ${
          watcher ? 'while the job was running (removed outside Slipway)' : 'while Slipway was down'
        }.`,
      );
      return DONE;
    }
    const watcher = this.ensureWatcher(rec);

    const nowMs = this.now();
    const startMs = (rec.doc.TrainingStartTime ?? wireTime(rec.creationTime)) * 1000;
    const limitMs = rec.doc.StoppingCondition.MaxRuntimeInSeconds * 1000;
    if (rec.doc.TrainingJobStatus === 'InProgress' && nowMs - startMs >= limitMs) {
      rec = this.update(rec.name, (r) => {
        r.doc.TrainingJobStatus = 'Stopping';
        r.internal.stopReason = 'MaxRuntimeExceeded';
        setSecondaryStatus(r.doc, 'Stopping', this.now(), 'Stopping the job: it exceeded MaxRuntimeInSeconds');
      });
    }
    const all = infos as ContainerInfo[];
    // Created but never started (a crash between create and start): start it now.
    for (const c of all) if (c.state === 'created') await this.runtime.startContainer(c.id);
    const running = all.filter((i) => i.running || i.state === 'created' || i.state === 'restarting');
    if (rec.doc.TrainingJobStatus === 'Stopping' && !watcher.stopSent && running.length > 0) {
      watcher.stopSent = true;
      this.update(rec.name, (r) => {
        r.internal.stopSentAt ??= this.now();
      });
      for (const c of running) this.stopInBackground(c.id, STOP_GRACE_SECONDS);
    }
    const failedHost = all.find((i) => !i.running && i.state !== 'created' && (i.exitCode ?? 0) !== 0);
    if (failedHost && running.length > 0 && !watcher.stopSent) {
      // Failure of any host fails the job (contract §3.7): stop the others.
      watcher.stopSent = true;
      for (const c of running) this.stopInBackground(c.id, PEER_FAILURE_GRACE_SECONDS);
    }
    if (running.length > 0) {
      const remaining = rec.doc.TrainingJobStatus === 'InProgress' ? Math.max(50, startMs + limitMs - nowMs) : 30_000;
      return requeueAfter(Math.min(remaining, 30_000));
    }

    // Every host has exited: let the log followers drain so FailureReason sees the last lines.
    await Promise.race([Promise.allSettled(watcher.followers), new Promise((r) => setTimeout(r, 5_000))]);
    this.flushMetrics(rec.name, watcher);
    this.update(rec.name, (r) => {
      r.internal.step = 'exited';
      r.internal.hosts!.forEach((h, i) => (h.exitCode = infos[i]!.exitCode ?? -1));
    });
    return undefined;
  }

  private stopInBackground(id: string, grace: number): void {
    this.runtime.stopContainer(id, grace).catch((err: unknown) => logger.warn({ err, container: id }, 'stopping a training container failed'));
  }

  private async finalize(rec: JobRecord): Promise<void> {
    const doc = rec.doc;
    const hosts = rec.internal.hosts ?? [];
    const wss = hosts.map((h) => hostWorkspace(this.config.workDir, rec.name, h.host));
    let outcome: FinalOutcome;
    if (doc.TrainingJobStatus === 'Stopping') {
      outcome = { status: 'Stopped', secondary: rec.internal.stopReason ?? 'Stopped' };
    } else {
      const bad = hosts.findIndex((h) => (h.exitCode ?? 0) !== 0);
      if (bad < 0) outcome = { status: 'Completed' };
      else {
        const h = hosts[bad]!;
        const failure = await readFile(wss[bad]!.failureFile, 'utf8').catch(() => undefined);
        const tail = this.logs.tail(TRAINING_LOG_GROUP, h.logStream, 10);
        outcome = { status: 'Failed', reason: algorithmFailureReason(failure, h.exitCode ?? -1, tail, hosts.length > 1 ? h.host : undefined) };
      }
    }

    if (outcome.status !== 'Failed') {
      this.update(rec.name, (r) => setSecondaryStatus(r.doc, 'Uploading', this.now()));
      try {
        await this.uploadOutputs(rec, wss.map((w) => w.model), wss.map((w) => w.outputData));
        if (doc.CheckpointConfig) await this.syncCheckpoints(rec, this.watchers.get(rec.name));
      } catch (err) {
        // A stopped job's upload is best effort (contract §3.8); a completed one fails on it.
        if (outcome.status === 'Completed') {
          outcome = { status: 'Failed', reason: err instanceof ClientError ? err.message : `InternalServerError: uploading the model failed: ${(err as Error).message}` };
        } else logger.warn({ err, job: rec.name }, 'upload of a stopped job failed');
      }
    }

    const watcher = this.watchers.get(rec.name);
    if (watcher) this.flushMetrics(rec.name, watcher);
    this.update(rec.name, (r) => {
      finish(r.doc, outcome, this.now());
      r.internal.step = 'done';
    });
    this.dropWatcher(rec.name);
    await this.cleanup(rec, outcome.status === 'Failed');
  }

  private async uploadOutputs(rec: JobRecord, modelDirs: string[], outputDirs: string[]): Promise<void> {
    const base = joinUri(rec.doc.OutputDataConfig.S3OutputPath, rec.name, 'output');
    const dir = jobDir(this.config.workDir, rec.name);
    const model = await mergeDirs(modelDirs, join(dir, 'merged', 'model'));
    if (rec.doc.OutputDataConfig.CompressionType === 'NONE') await uploadTree(this.objects, model, joinUri(base, 'model'));
    else await uploadTarGz(this.objects, model, joinUri(base, 'model.tar.gz'));
    const output = await mergeDirs(outputDirs, join(dir, 'merged', 'output'));
    await uploadTarGz(this.objects, output, joinUri(base, 'output.tar.gz'));
  }

  private async syncCheckpoints(rec: JobRecord, watcher: JobWatcher | undefined): Promise<void> {
    const uri = rec.doc.CheckpointConfig?.S3Uri;
    if (!uri) return;
    const hosts = rec.internal.hosts ?? [];
    for (const [i, h] of hosts.entries()) {
      const ws = hostWorkspace(this.config.workDir, rec.name, h.host);
      const sigs = watcher?.checkpointSigs[i] ?? new Map<string, string>();
      if (watcher) watcher.checkpointSigs[i] = sigs;
      if ((await listFiles(ws.checkpoints)).length === 0) continue;
      await uploadTree(this.objects, ws.checkpoints, uri, sigs);
    }
  }

  private async cleanup(rec: JobRecord, failed: boolean): Promise<void> {
    for (const h of rec.internal.hosts ?? []) {
      await this.runtime.removeContainer(h.containerId ?? h.containerName, { force: true }).catch(() => undefined);
    }
    if (rec.internal.network) await this.runtime.removeNetwork(rec.internal.network).catch(() => undefined);
    if (!(failed && this.config.keepFailedWorkspaces)) {
      await rm(jobDir(this.config.workDir, rec.name), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async fail(name: string, reason: string): Promise<void> {
    const rec = this.get(name);
    if (!rec || rec.internal.step === 'done') return;
    const watcher = this.watchers.get(name);
    if (watcher) this.flushMetrics(name, watcher);
    this.update(name, (r) => {
      finish(r.doc, { status: 'Failed', reason }, this.now());
      r.internal.step = 'done';
    });
    this.dropWatcher(name);
    // Stop what may still run (a host whose peer vanished) before removing it.
    await this.cleanup(rec, true);
  }

  // --- watcher ---------------------------------------------------------------------------------

  private ensureWatcher(rec: JobRecord): JobWatcher {
    const existing = this.watchers.get(rec.name);
    if (existing) return existing;
    const w: JobWatcher = {
      abort: new AbortController(),
      followers: [],
      extractor: new MetricExtractor(rec.doc.AlgorithmSpecification.MetricDefinitions),
      series: rec.internal.metricSeries ?? {},
      metricsDirty: false,
      stopSent: false,
      checkpointSigs: [],
    };
    this.watchers.set(rec.name, w);
    const key = `training-job:${rec.name}`;
    const hosts = rec.internal.hosts ?? [];
    for (const [i, h] of hosts.entries()) {
      const id = h.containerId ?? h.containerName;
      w.followers.push(this.followLogs(rec.name, h, id, w));
      this.runtime
        .waitContainer(id, w.abort.signal)
        .then(
          () => this.queue.enqueue(key),
          () => {
            if (!w.abort.signal.aborted) this.queue.enqueue(key, 1_000);
          },
        );
      const ws = hostWorkspace(this.config.workDir, rec.name, h.host);
      for (const ch of rec.doc.InputDataConfig ?? []) {
        const src = ch.DataSource.S3DataSource;
        if (channelInputMode(rec.doc, ch) !== 'Pipe' || !src) continue;
        runPipeFeeder({
          dataDir: ws.data,
          channel: ch.ChannelName,
          list: () => channelObjects(this.objects, src, i, hosts.length),
          gzip: ch.CompressionType === 'Gzip',
          recordIO: ch.RecordWrapperType === 'RecordIO',
          signal: w.abort.signal,
        }).catch((err: unknown) => logger.warn({ err, job: rec.name, channel: ch.ChannelName }, 'pipe feeder failed'));
      }
    }
    // CPU and memory per host, as SageMaker's /aws/sagemaker/TrainingJobs instance metrics.
    w.statsTimer = setInterval(() => {
      for (const h of hosts) {
        void this.runtime
          .stats(h.containerId ?? h.containerName)
          .then((st) => {
            if (st) this.metrics.recordTrainingHost(rec.name, h.host, st.cpuPercent, st.memoryLimitBytes > 0 ? (100 * st.memoryBytes) / st.memoryLimitBytes : 0);
          })
          .catch(() => undefined);
      }
    }, STATS_INTERVAL_MS);
    w.statsTimer.unref();
    if (rec.doc.CheckpointConfig && this.checkpointSyncMs > 0) {
      w.checkpointTimer = setInterval(() => {
        if (w.checkpointBusy) return;
        const current = this.get(rec.name);
        if (!current || current.internal.step !== 'running') return;
        w.checkpointBusy = this.syncCheckpoints(current, w)
          .catch((err: unknown) => logger.warn({ err, job: rec.name }, 'checkpoint sync failed'))
          .finally(() => (w.checkpointBusy = undefined));
      }, this.checkpointSyncMs);
      w.checkpointTimer.unref();
    }
    return w;
  }

  private followLogs(job: string, h: HostState, id: string, w: JobWatcher): Promise<void> {
    return followContainerLogs({
      runtime: this.runtime,
      logs: this.logs,
      group: TRAINING_LOG_GROUP,
      stream: h.logStream,
      container: id,
      signal: w.abort.signal,
      onLine: (line) => {
        if (w.extractor.empty) return;
        for (const d of w.extractor.scan(line.message, line.timestamp)) {
          const s = (w.series[d.MetricName] ??= []);
          s.push([d.Timestamp, d.Value]);
          this.metrics.recordTrainingMetric(job, d.MetricName, d.Value, d.Timestamp * 1000);
          if (s.length > METRIC_SERIES_CAP) s.splice(0, s.length - METRIC_SERIES_CAP);
          w.metricsDirty = true;
        }
      },
      onFlush: () => {
        if (w.metricsDirty) this.flushMetrics(job, w);
      },
    });
  }

  private flushMetrics(name: string, w: JobWatcher): void {
    if (!w.metricsDirty) return;
    w.metricsDirty = false;
    try {
      this.update(name, (r) => {
        mergeFinalMetrics(r.doc, w.extractor.latest);
        r.internal.metricSeries = w.series;
      });
    } catch {
      // job deleted meanwhile
    }
  }

  private disposeWatcher(w: JobWatcher): void {
    w.abort.abort();
    if (w.checkpointTimer) clearInterval(w.checkpointTimer);
    if (w.statsTimer) clearInterval(w.statsTimer);
  }

  private dropWatcher(name: string): void {
    const w = this.watchers.get(name);
    if (!w) return;
    this.disposeWatcher(w);
    this.watchers.delete(name);
  }
}

