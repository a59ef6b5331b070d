/**
 * @module controllers/training-job/controller — runs a training job's containers as SageMaker
 * does (contract §3) and records what happens as the job's status.
 *
 *   pending ──admitted by capacity (waits in Starting), resolve image, workspaces, stage inputs,
 *             restore checkpoints──► staged
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
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import { logger } from '../../platform/logger.js';
import type { SlipwayConfig } from '../../platform/config.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { joinUri } from '../../resources/s3-uri.js';
import { containerCommand } from '../../resources/container-command.js';
import type { ControllerDeps } from '../controller.js';
import { HostJobController, HostJobs, type HostWatcher } from '../job-common/host-jobs.js';
import { ADMISSION_POLL_MS } from '../admission/admission.js';
import { DONE, requeueAfter, type ReconcileResult } from '../work-queue.js';
import { channelInputMode } from '../../resources/training-config-files.js';
import { channelObjects } from '../job-common/data-source.js';
import { MetricExtractor } from './metrics.js';
import { listFiles, mergeDirs, uploadTarGz, uploadTree, type OutputTarget } from '../job-common/packaging.js';
import { mkfifo, runPipeFeeder } from '../job-common/pipe-feeder.js';
import { TRAINING_LOG_GROUP, type HostState, type TrainingJobDoc, finish, mergeFinalMetrics, setSecondaryStatus, type FinalOutcome } from '../../resources/training-job.js';
import { hostWorkspace, jobDir, mountsFor, prepareWorkspace, restoreCheckpoints, stageInputs } from './workspace.js';
import type { Clock } from '../../platform/clock.js';
import type { ResourceRecord } from '../../resources/kinds.js';
import { wireTime } from '../../resources/wire-time.js';
import { failureReasonFor } from '../job-common/failure-reason.js';
import { TerminalFailure } from '../terminal-failure.js';
import { collectHosts, hasPipeChannels, pullSyncedFolders, trainingStagingPlan } from './remote-staging.js';
import { RemoteFeeds } from '../staging/remote-feeds.js';

type JobRecord = ResourceRecord<'training-job'>;

/** SIGTERM → SIGKILL grace for StopTrainingJob and MaxRuntimeInSeconds (contract §3.8: `docker stop -t 120`). */
export const STOP_GRACE_SECONDS = 120;
/** Grace for the other hosts once one host has failed. */
const PEER_FAILURE_GRACE_SECONDS = 10;
const METRIC_SERIES_CAP = 10_000;

export interface TrainingJobControllerOptions {
  /** How often checkpoints are synced to S3 while the job runs. */
  checkpointSyncMs?: number;
  now?: Clock;
}

/** In-memory helpers attached to one running job (rebuilt after a restart). */
interface JobWatcher extends HostWatcher {
  extractor: MetricExtractor;
  series: Record<string, [number, number][]>;
  metricsDirty: boolean;
  syncTimer?: NodeJS.Timeout;
  /** Per `<folder>:<host index>`: what was last uploaded (path → size+mtime), so a sync sends only changes. */
  syncSigs: Map<string, Map<string, string>>;
  syncBusy?: Promise<void>;
  statsTimer?: NodeJS.Timeout;
}

/** The host folders synced to S3 while a job runs. */
function syncedFolders(doc: TrainingJobDoc): { folder: 'checkpoints' | 'tensorboard'; uri: string }[] {
  const out: { folder: 'checkpoints' | 'tensorboard'; uri: string }[] = [];
  if (doc.CheckpointConfig?.S3Uri) out.push({ folder: 'checkpoints', uri: doc.CheckpointConfig.S3Uri });
  if (doc.TensorBoardOutputConfig?.S3OutputPath) out.push({ folder: 'tensorboard', uri: doc.TensorBoardOutputConfig.S3OutputPath });
  return out;
}

/** How often running hosts' CPU and memory are sampled. */
const STATS_INTERVAL_MS = 10_000;

export class TrainingJobController extends HostJobController<'training-job', JobWatcher> {
  private readonly config: SlipwayConfig;
  private readonly objects: ObjectStore;
  private readonly out: OutputTarget;
  private readonly runtime: ContainerRuntime;
  private readonly metrics: Metrics;
  private readonly checkpointSyncMs: number;
  /** Pipe-mode feed sessions of jobs on a cluster engine (in memory, as the one-engine feeders are). */
  private readonly remoteFeeds: RemoteFeeds;

  constructor(deps: ControllerDeps, opts: TrainingJobControllerOptions = {}) {
    super(deps, {
      kind: 'training-job',
      what: 'training job',
      namePrefix: 'train',
      logGroup: TRAINING_LOG_GROUP,
      jobDir,
      now: opts.now ?? Date.now,
      dispose: (w) => {
        w.abort.abort();
        if (w.syncTimer) clearInterval(w.syncTimer);
        if (w.statsTimer) clearInterval(w.statsTimer);
      },
      instances: (doc) => ({ type: doc.ResourceConfig.InstanceType, count: doc.ResourceConfig.InstanceCount }),
      image: (doc) => doc.AlgorithmSpecification.TrainingImage,
      // SageMaker reports waiting for instances in the Starting status's message.
      showWaiting: (job, message) => this.update(job, (r) => setSecondaryStatus(r.doc, 'Starting', this.now(), message)),
    });
    this.config = deps.config;
    this.objects = deps.objects;
    this.out = { objects: deps.objects, paths: deps.localPaths };
    this.runtime = deps.runtime;
    this.metrics = deps.metrics;
    this.remoteFeeds = new RemoteFeeds(deps.config.dataLimits.gzipInputMaxBytes, (job) => this.jobs.requeue(job));
    this.checkpointSyncMs = opts.checkpointSyncMs ?? Number(process.env.SLIPWAY_CHECKPOINT_SYNC_SECONDS ?? 30) * 1000;
  }

  protected async step(name: string): Promise<ReconcileResult> {
    let rec = await this.jobs.toStep(name);
    if (!rec) return DONE;
    if (rec.internal.step === 'pending') {
      if (!(await this.jobs.admit(rec))) return requeueAfter(ADMISSION_POLL_MS);
      await this.prepare(rec);
      rec = (await this.get(name))!;
      if (rec.doc.TrainingJobStatus === 'Stopping') return requeueAfter(0);
    }
    if (rec.internal.step === 'staged') {
      await this.startContainers(rec);
      rec = (await this.get(name))!;
    }
    if (rec.internal.step === 'running') {
      const res = await this.supervise(rec);
      if (res) return res;
      rec = (await this.get(name))!;
    }
    if (rec.internal.step === 'exited') await this.finalize(rec);
    return DONE;
  }

  /** Resolves the image (a missing one fails the job via the guard) and lays out every host's /opt/ml. */
  private async prepare(rec: JobRecord): Promise<void> {
    const image = await this.jobs.resolveImage(rec.doc.AlgorithmSpecification.TrainingImage);
    const count = rec.doc.ResourceConfig.InstanceCount;
    rec = await this.update(rec.name, (r) => {
      r.internal.image = image;
      r.internal.hosts ??= this.jobs.planHosts(r.name, count);
      r.doc.TrainingStartTime ??= wireTime(this.now());
      setSecondaryStatus(r.doc, 'Downloading', this.now(), 'Starting the training job. Preparing the instances for training and downloading input data');
    });
    if (this.runtime.stagesData) {
      // A cluster engine: each host's node stages its own data when its container is created.
      const refused = (this.deps.staging ? undefined : 'SLIPWAY_ADVERTISE_URL must be set with SLIPWAY_RUNTIME=swarm: nodes fetch input data from Slipway there.');
      if (refused) throw TerminalFailure.client(refused);
      await this.update(rec.name, (r) => {
        r.internal.step = 'staged';
      });
      return;
    }
    let files = 0;
    let bytes = 0;
    for (const [i, h] of rec.internal.hosts!.entries()) {
      const ws = hostWorkspace(this.config.workDir, rec.name, h.host);
      await prepareWorkspace(ws, rec.doc, h.host);
      const st = await stageInputs(this.objects, ws, rec.doc, i, this.deps.localPaths);
      files += st.files;
      bytes += st.bytes;
      for (const ch of rec.doc.InputDataConfig ?? []) {
        if (channelInputMode(rec.doc, ch) === 'Pipe') await mkfifo(join(ws.data, `${ch.ChannelName}_0`));
      }
      await restoreCheckpoints(this.objects, ws, rec.doc, this.deps.localPaths);
    }
    await this.jobs.platformLog(rec, `Staged ${files} input file(s), ${bytes} bytes, for ${count} host(s).`);
    await this.update(rec.name, (r) => {
      r.internal.step = 'staged';
    });
  }

  private async startContainers(rec: JobRecord): Promise<void> {
    const doc = rec.doc;
    rec = await this.jobs.startContainers(rec, {
      command: containerCommand('train', {
        containerEntrypoint: doc.AlgorithmSpecification.ContainerEntrypoint,
        containerArguments: doc.AlgorithmSpecification.ContainerArguments,
      }),
      env: { ...(doc.Environment ?? {}), TRAINING_JOB_NAME: rec.name, TRAINING_JOB_ARN: rec.arn },
      binds: (h) => mountsFor(hostWorkspace(this.config.workDir, rec.name, h.host), doc),
      ...(this.deps.staging ? { staging: (h, i) => trainingStagingPlan(this.deps.staging!, this.objects, this.deps.localPaths, doc, h.host, i, this.remoteFeeds.for(rec.name, h.host)) } : {}),
      instanceType: doc.ResourceConfig.InstanceType,
      isolated: doc.EnableNetworkIsolation === true,
    });
    rec = await this.update(rec.name, (r) => {
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
    const { infos, vanished } = await this.jobs.inspectHosts(rec);
    if (vanished) {
      const watcher = this.watchers.get(rec.name);
      await this.fail(
        rec.name,
        `InternalServerError: The training container of ${vanished} vanished ${
          watcher ? 'while the job was running (removed outside Slipway)' : 'while Slipway was down'
        }.`,
      );
      return DONE;
    }
    const watcher = this.ensureWatcher(rec);
    const hosts = (rec.internal.hosts ?? []).map((h) => h.host);
    const dataError = watcher.dataError ?? (this.runtime.stagesData ? this.remoteFeeds.failure(hasPipeChannels(rec.doc), rec.name, hosts) : undefined);
    if (dataError) {
      // Before any exit is noticed: the feeder reports before its reader sees EOF.
      await this.fail(rec.name, dataError);
      return DONE;
    }

    const clock = this.jobs.clock(rec.doc.TrainingStartTime, rec.creationTime, rec.doc.StoppingCondition.MaxRuntimeInSeconds);
    if (rec.doc.TrainingJobStatus === 'InProgress' && HostJobs.expired(clock)) {
      rec = await this.update(rec.name, (r) => {
        r.doc.TrainingJobStatus = 'Stopping';
        r.internal.stopReason = 'MaxRuntimeExceeded';
        setSecondaryStatus(r.doc, 'Stopping', this.now(), 'Stopping the job: it exceeded MaxRuntimeInSeconds');
      });
    }
    const { running, failed } = await this.jobs.wakeHosts(infos);
    if (rec.doc.TrainingJobStatus === 'Stopping' && !watcher.stopSent && running.length > 0) {
      watcher.stopSent = true;
      await this.update(rec.name, (r) => {
        r.internal.stopSentAt ??= this.now();
      });
      for (const c of running) this.stopInBackground(c.id, STOP_GRACE_SECONDS);
    }
    if (failed && running.length > 0 && !watcher.stopSent) {
      // Failure of any host fails the job (contract §3.7): stop the others.
      watcher.stopSent = true;
      for (const c of running) this.stopInBackground(c.id, PEER_FAILURE_GRACE_SECONDS);
    }
    if (running.length > 0) return HostJobs.requeueRunning(rec.doc.TrainingJobStatus === 'InProgress', clock);
    await this.jobs.markExited(rec, infos, watcher, () => this.flushMetrics(rec.name, watcher));
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
    // A cluster engine: model/, output/, the failure file and checkpoints come back from each
    // host's node first, once a running checkpoint pull (same helper task name) is over.
    await this.watchers.get(rec.name)?.syncBusy;
    const lost = this.runtime.stagesData && this.deps.staging
      ? await collectHosts(this.runtime, this.deps.staging, doc, hosts.map((h, i) => ({ id: h.containerId ?? h.containerName, ws: wss[i]! })))
      : undefined;
    if (doc.TrainingJobStatus === 'Stopping') {
      outcome = { status: 'Stopped', secondary: rec.internal.stopReason ?? 'Stopped' };
    } else {
      const reason = await this.jobs.hostFailureReason(rec, (bad) => readFile(wss[bad]!.failureFile, 'utf8').catch(() => undefined));
      outcome = reason === undefined ? { status: 'Completed' } : { status: 'Failed', reason };
      if (reason === undefined && lost) outcome = { status: 'Failed', reason: `InternalServerError: The training output could not be collected from its node: ${lost}` };
    }

    if (outcome.status !== 'Failed') {
      await this.update(rec.name, (r) => setSecondaryStatus(r.doc, 'Uploading', this.now()));
      try {
        await this.uploadOutputs(rec, wss.map((w) => w.model), wss.map((w) => w.outputData));
        await this.syncFolders(rec, this.watchers.get(rec.name));
      } catch (err) {
        // A stopped job's upload is best effort (contract §3.8); a completed one fails on it.
        if (outcome.status === 'Completed') {
          logger.warn({ err, job: rec.name }, 'uploading the model failed');
          outcome = { status: 'Failed', reason: failureReasonFor(err, 'uploading the model') };
        } else logger.warn({ err, job: rec.name }, 'upload of a stopped job failed');
      }
    }

    const watcher = this.watchers.get(rec.name);
    if (watcher) await this.flushMetrics(rec.name, watcher);
    await this.update(rec.name, (r) => {
      finish(r.doc, outcome, this.now());
      r.internal.step = 'done';
    });
    this.jobs.drop(rec.name);
    this.remoteFeeds.end(rec.name);
    await this.jobs.cleanup(rec, outcome.status === 'Failed');
  }

  private async uploadOutputs(rec: JobRecord, modelDirs: string[], outputDirs: string[]): Promise<void> {
    const base = joinUri(rec.doc.OutputDataConfig.S3OutputPath, rec.name, 'output');
    const dir = jobDir(this.config.workDir, rec.name);
    const model = await mergeDirs(modelDirs, join(dir, 'merged', 'model'));
    if (rec.doc.OutputDataConfig.CompressionType === 'NONE') await uploadTree(this.out, model, joinUri(base, 'model'));
    else await uploadTarGz(this.out, model, joinUri(base, 'model.tar.gz'));
    const output = await mergeDirs(outputDirs, join(dir, 'merged', 'output'));
    await uploadTarGz(this.out, output, joinUri(base, 'output.tar.gz'));
  }

  /**
   * Uploads what changed in each host's synced folders: checkpoints to CheckpointConfig.S3Uri and
   * TensorBoard data to TensorBoardOutputConfig.S3OutputPath (hosts share the destination, as in SageMaker).
   */
  private async syncFolders(rec: JobRecord, watcher: JobWatcher | undefined): Promise<void> {
    const targets = syncedFolders(rec.doc);
    if (targets.length === 0) return;
    const hosts = rec.internal.hosts ?? [];
    for (const [i, h] of hosts.entries()) {
      const ws = hostWorkspace(this.config.workDir, rec.name, h.host);
      for (const t of targets) {
        const key = `${t.folder}:${i}`;
        const sigs = watcher?.syncSigs.get(key) ?? new Map<string, string>();
        if (watcher) watcher.syncSigs.set(key, sigs);
        const dir = ws[t.folder];
        if ((await listFiles(dir)).length === 0) continue;
        await uploadTree(this.out, dir, t.uri, sigs);
      }
    }
  }

  /** A cluster engine: the hosts' checkpoints and TensorBoard data from their nodes into their workspace folders, for `syncFolders`. */
  private async pullFromNodes(rec: JobRecord): Promise<void> {
    if (!this.runtime.stagesData || !this.deps.staging) return;
    const hosts = (rec.internal.hosts ?? []).map((h) => ({ id: h.containerId ?? h.containerName, ws: hostWorkspace(this.config.workDir, rec.name, h.host) }));
    await pullSyncedFolders(this.runtime, this.deps.staging, rec.doc, hosts);
  }

  protected async fail(name: string, reason: string): Promise<void> {
    const rec = await this.get(name);
    if (!rec || rec.internal.step === 'done') return;
    const watcher = this.watchers.get(name);
    if (watcher) await this.flushMetrics(name, watcher);
    await this.update(name, (r) => {
      finish(r.doc, { status: 'Failed', reason }, this.now());
      r.internal.step = 'done';
    });
    this.jobs.drop(name);
    this.remoteFeeds.end(name);
    // Stop what may still run (a host whose peer vanished) before removing it.
    await this.jobs.cleanup(rec, true);
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
      syncSigs: new Map(),
    };
    this.watchers.set(rec.name, w);
    const hosts = rec.internal.hosts ?? [];
    for (const [i, h] of hosts.entries()) {
      const id = h.containerId ?? h.containerName;
      w.followers.push(this.followLogs(rec.name, h, id, w));
      this.jobs.wakeOnExit(rec.name, id, w);
      const ws = hostWorkspace(this.config.workDir, rec.name, h.host);
      for (const ch of rec.doc.InputDataConfig ?? []) {
        const src = ch.DataSource.S3DataSource;
        // A cluster engine's feeders run on the nodes (remote-staging.ts).
        if (channelInputMode(rec.doc, ch) !== 'Pipe' || !src || this.runtime.stagesData) continue;
        runPipeFeeder({
          dataDir: ws.data,
          channel: ch.ChannelName,
          list: () => channelObjects(this.objects, src, i, hosts.length, this.deps.localPaths),
          gzip: ch.CompressionType === 'Gzip',
          gzipMaxBytes: this.config.dataLimits.gzipInputMaxBytes,
          recordIO: ch.RecordWrapperType === 'RecordIO',
          signal: w.abort.signal,
          onDataError: (reason) => {
            w.dataError ??= reason;
            this.jobs.requeue(rec.name);
          },
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
    if (syncedFolders(rec.doc).length > 0 && this.checkpointSyncMs > 0) {
      w.syncTimer = setInterval(() => {
        if (w.syncBusy) return;
        w.syncBusy = (async () => {
          const current = await this.get(rec.name);
          if (current?.internal.step !== 'running') return;
          await this.pullFromNodes(current);
          await this.syncFolders(current, w);
        })()
          .catch((err: unknown) => logger.warn({ err, job: rec.name }, 'checkpoint or TensorBoard sync failed'))
          .finally(() => (w.syncBusy = undefined));
      }, this.checkpointSyncMs);
      w.syncTimer.unref();
    }
    return w;
  }

  private followLogs(job: string, h: HostState, id: string, w: JobWatcher): Promise<void> {
    return this.jobs.followLogs(h, id, w, {
      onLine: (line) => {
        if (w.extractor.empty) return;
        const skippedBefore = w.extractor.skippedLines;
        for (const d of w.extractor.scan(line.message, line.timestamp)) {
          const s = (w.series[d.MetricName] ??= []);
          s.push([d.Timestamp, d.Value]);
          this.metrics.recordTrainingMetric(job, d.MetricName, d.Value, d.Timestamp * 1000);
          if (s.length > METRIC_SERIES_CAP) s.splice(0, s.length - METRIC_SERIES_CAP);
          w.metricsDirty = true;
        }
        if (skippedBefore === 0 && w.extractor.skippedLines > 0) {
          logger.warn({ job }, 'MetricDefinitions: matching time budget spent; some log lines are not scanned for metrics');
        }
      },
      onFlush: async () => {
        if (w.metricsDirty) await this.flushMetrics(job, w);
      },
    });
  }

  private async flushMetrics(name: string, w: JobWatcher): Promise<void> {
    if (!w.metricsDirty) return;
    w.metricsDirty = false;
    try {
      await this.update(name, (r) => {
        mergeFinalMetrics(r.doc, w.extractor.latest);
        r.internal.metricSeries = w.series;
      });
    } catch {
      // job deleted meanwhile
    }
  }
}
