/**
 * @module controllers/processing-job/controller — runs a processing job's containers as SageMaker
 * does (contract §6) and records what happens as the job's status.
 *
 *   pending ──admitted by capacity, resolve image, per-host workspaces: config, inputs staged, FIFOs──► staged
 *           (a cluster engine: nothing here; each host's node stages its tree at create, remote-staging.ts)
 *   staged  ──network (N>1), create + start containers (deterministic names)──► running
 *   running ──watch: logs → LogStore, exits, MaxRuntime, stop, Continuous uploads (a cluster engine: pulled from the nodes first), Pipe feeders──► exited
 *   exited  ──(a cluster engine: output folders sent back from each node) upload every output (also for Failed and Stopped jobs), ExitMessage──► done (+ clean-up)
 *
 * Steps are persisted in `internal.step` and safe to redo; in-memory watchers are rebuilt from
 * the deterministic container names after a restart.
 */
import { readFile } from 'node:fs/promises';
import { logger } from '../../platform/logger.js';
import { joinUri } from '../../resources/s3-uri.js';
import { containerCommand } from '../../resources/container-command.js';
import type { ControllerDeps } from '../controller.js';
import { HostJobController, HostJobs, type HostWatcher } from '../job-common/host-jobs.js';
import { failureReasonFor } from '../job-common/failure-reason.js';
import { listFiles, putToUri, uploadTree, type OutputTarget } from '../job-common/packaging.js';
import { runPipeFeeder } from '../job-common/pipe-feeder.js';
import { ADMISSION_POLL_MS } from '../admission/admission.js';
import { DONE, requeueAfter, type ReconcileResult } from '../work-queue.js';
import { outputLocalPath } from '../../resources/processing-job.js';
import { PROCESSING_LOG_GROUP, type ProcessingOutputDoc } from '../../resources/processing-job.js';
import { decodeExitMessage, inputObjects, pipeLocation, prepareProcessingWorkspace, processingJobDir, processingMounts, processingWorkspace } from './workspace.js';
import { createReadStream } from 'node:fs';
import { collectStagedHosts } from '../staging/collect-staged.js';
import { TerminalFailure } from '../terminal-failure.js';
import { hasPipeInputs, processingCollectPaths, processingContinuousPaths, processingStagingPlan } from './remote-staging.js';
import { RemoteFeeds } from '../staging/remote-feeds.js';
import type { Clock } from '../../platform/clock.js';
import type { ResourceRecord } from '../../resources/kinds.js';
import { wireTime } from '../../resources/wire-time.js';
import { truncateReason } from '../../resources/failure-reason.js';

type JobRecord = ResourceRecord<'processing-job'>;
const KIND = 'processing-job';

/** StopProcessingJob / MaxRuntimeInSeconds: SIGINT and SIGTERM, then SIGKILL after this grace (contract §6: reuse 120 s). */
export const PROCESSING_STOP_GRACE_SECONDS = 120;
const PEER_FAILURE_GRACE_SECONDS = 10;

export interface ProcessingJobControllerOptions {
  /** How often Continuous output directories are scanned (a file unchanged over one scan is uploaded). */
  continuousScanMs?: number;
  /** On an engine that stages on its nodes: how often Continuous output directories are pulled from them and scanned. */
  continuousPullMs?: number;
  now?: Clock;
}

interface Watcher extends HostWatcher {
  /** Per host, output name → (relative path → `size:mtime` last uploaded). */
  uploaded: Map<string, Map<string, string>>[];
  /** Per host, output name → (relative path → `size:mtime` seen at the previous scan). */
  seen: Map<string, Map<string, string>>[];
  scanTimer?: NodeJS.Timeout;
  scanning?: Promise<void>;
}

type Outcome = { status: 'Completed' } | { status: 'Failed'; reason: string } | { status: 'Stopped' };

export class ProcessingJobController extends HostJobController<'processing-job', Watcher> {
  private readonly scanMs: number;
  private readonly pullMs: number;
  /** Pipe-mode feed sessions of jobs on a cluster engine (controllers/staging/remote-feeds.ts). */
  private readonly remoteFeeds: RemoteFeeds;
  private readonly output: OutputTarget;
  /** Jobs whose wait for capacity has been logged. */
  private readonly waitingLogged = new Set<string>();

  constructor(deps: ControllerDeps, opts: ProcessingJobControllerOptions = {}) {
    super(deps, {
      kind: KIND,
      what: 'processing job',
      namePrefix: 'proc',
      logGroup: PROCESSING_LOG_GROUP,
      jobDir: processingJobDir,
      now: opts.now ?? Date.now,
      dispose: (w) => {
        w.abort.abort();
        if (w.scanTimer) clearInterval(w.scanTimer);
      },
      pending: (w) => [w.scanning],
      instances: (doc) => ({ type: doc.ProcessingResources.ClusterConfig.InstanceType, count: doc.ProcessingResources.ClusterConfig.InstanceCount }),
      image: (doc) => doc.AppSpecification.ImageUri,
      // DescribeProcessingJob has no status message: the reason goes to the job's log, once.
      showWaiting: async (job, message) => {
        if (this.waitingLogged.has(job)) return;
        this.waitingLogged.add(job);
        const rec = await this.update(job, (r) => (r.internal.hosts ??= this.jobs.planHosts(r.name, r.doc.ProcessingResources.ClusterConfig.InstanceCount)));
        await this.jobs.platformLog(rec, message);
      },
    });
    this.remoteFeeds = new RemoteFeeds(deps.config.dataLimits.gzipInputMaxBytes, (job) => this.jobs.requeue(job));
    this.scanMs = opts.continuousScanMs ?? Number(process.env.SLIPWAY_CONTINUOUS_SCAN_MS ?? 1000);
    // Each pull is an uploader task on every host's node (a scheduling round on the cluster engine): not every second.
    this.pullMs = opts.continuousPullMs ?? Number(process.env.SLIPWAY_CONTINUOUS_PULL_SECONDS ?? 5) * 1000;
    this.output = { objects: deps.objects, paths: deps.localPaths };
  }

  protected async step(name: string): Promise<ReconcileResult> {
    const rec = await this.jobs.toStep(name);
    if (!rec) return DONE;
    switch (rec.internal.step) {
      case 'pending':
        if (!(await this.jobs.admit(rec))) return requeueAfter(ADMISSION_POLL_MS);
        this.waitingLogged.delete(name);
        await this.prepare(rec);
        return requeueAfter(0);
      case 'staged':
        await this.start(rec);
        return requeueAfter(0);
      case 'running':
        return (await this.supervise(rec)) ?? requeueAfter(0);
      case 'exited':
        await this.finalize(rec);
        return DONE;
      default:
        return DONE;
    }
  }

  private async prepare(rec: JobRecord): Promise<void> {
    const image = await this.jobs.resolveImage(rec.doc.AppSpecification.ImageUri);
    const count = rec.doc.ProcessingResources.ClusterConfig.InstanceCount;
    rec = await this.update(rec.name, (r) => {
      r.internal.image = image;
      r.internal.hosts ??= this.jobs.planHosts(r.name, count);
      r.doc.ProcessingStartTime ??= wireTime(this.now());
    });
    if (this.deps.runtime.stagesData) {
      // A cluster engine: each host's node stages its own data when its container is created.
      const refused = (this.deps.staging ? undefined : 'SLIPWAY_ADVERTISE_URL must be set with SLIPWAY_RUNTIME=swarm: nodes fetch input data from Slipway there.');
      if (refused) throw TerminalFailure.client(refused);
      await this.update(rec.name, (r) => (r.internal.step = 'staged'));
      return;
    }
    let files = 0;
    let bytes = 0;
    for (const [i, h] of rec.internal.hosts!.entries()) {
      const st = await prepareProcessingWorkspace(this.deps.objects, processingWorkspace(this.deps.config.workDir, rec.name, h.host), rec.doc, h.host, i, this.deps.localPaths);
      files += st.files;
      bytes += st.bytes;
    }
    await this.jobs.platformLog(rec, `Staged ${files} input file(s), ${bytes} bytes, for ${count} host(s).`);
    await this.update(rec.name, (r) => (r.internal.step = 'staged'));
  }

  private async start(rec: JobRecord): Promise<void> {
    const doc = rec.doc;
    rec = await this.jobs.startContainers(rec, {
      // No `train`/`serve`: the image's own ENTRYPOINT/CMD unless overridden (contract §6).
      command: containerCommand(undefined, {
        containerEntrypoint: doc.AppSpecification.ContainerEntrypoint,
        containerArguments: doc.AppSpecification.ContainerArguments,
      }),
      env: { ...(doc.Environment ?? {}) },
      binds: (h) => processingMounts(processingWorkspace(this.deps.config.workDir, rec.name, h.host), doc),
      ...(this.deps.staging ? { staging: (h, i) => processingStagingPlan(this.deps.staging!, this.deps.objects, this.deps.localPaths, doc, h.host, i, this.remoteFeeds.for(rec.name, h.host)) } : {}),
      instanceType: doc.ProcessingResources.ClusterConfig.InstanceType,
      isolated: doc.NetworkConfig?.EnableNetworkIsolation === true,
    });
    rec = await this.update(rec.name, (r) => (r.internal.step = 'running'));
    this.watch(rec);
  }

  /** Returns a requeue while containers run; undefined once every host has exited. */
  private async supervise(rec: JobRecord): Promise<ReconcileResult | undefined> {
    const { infos, vanished } = await this.jobs.inspectHosts(rec);
    if (vanished) {
      await this.fail(rec.name, `InternalServerError: The processing container of ${vanished} vanished while the job was running.`);
      return DONE;
    }
    const w = this.watch(rec);
    const hosts = (rec.internal.hosts ?? []).map((h) => h.host);
    const dataError = w.dataError ?? (this.deps.runtime.stagesData ? this.remoteFeeds.failure(hasPipeInputs(rec.doc), rec.name, hosts) : undefined);
    if (dataError) {
      await this.fail(rec.name, dataError);
      return DONE;
    }
    const clock = this.jobs.clock(rec.doc.ProcessingStartTime, rec.creationTime, rec.doc.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400);
    if (rec.doc.ProcessingJobStatus === 'InProgress' && HostJobs.expired(clock)) {
      rec = await this.update(rec.name, (r) => {
        r.doc.ProcessingJobStatus = 'Stopping';
        r.internal.stopReason = 'MaxRuntimeExceeded';
      });
    }
    const { running, failed } = await this.jobs.wakeHosts(infos);
    if (running.length > 0 && !w.stopSent && (rec.doc.ProcessingJobStatus === 'Stopping' || failed)) {
      // Stop requested, or one host failed: that fails the job, so the others stop too.
      w.stopSent = true;
      const grace = failed && rec.doc.ProcessingJobStatus !== 'Stopping' ? PEER_FAILURE_GRACE_SECONDS : PROCESSING_STOP_GRACE_SECONDS;
      for (const c of running) {
        // The processing docs name SIGINT (then SIGKILL); stopContainer adds SIGTERM and the grace.
        void this.deps.runtime
          .killContainer(c.id, 'SIGINT')
          .catch(() => undefined)
          .then(() => this.deps.runtime.stopContainer(c.id, grace))
          .catch((err: unknown) => logger.warn({ err, container: c.id }, 'stopping a processing container failed'));
      }
    }
    if (running.length > 0) return HostJobs.requeueRunning(rec.doc.ProcessingJobStatus === 'InProgress', clock);
    await this.jobs.markExited(rec, infos, w);
    return undefined;
  }

  private async finalize(rec: JobRecord): Promise<void> {
    const hosts = rec.internal.hosts ?? [];
    const wss = hosts.map((h) => processingWorkspace(this.deps.config.workDir, rec.name, h.host));
    const w = this.watchers.get(rec.name);
    if (w) {
      if (w.scanTimer) clearInterval(w.scanTimer);
      await w.scanning;
    }
    // A cluster engine: output/ and every output directory come back from each host's node first.
    const lost = await this.collectFromNodes(rec);
    // ExitMessage: every host's message file, concatenated, first 1 KB (contract §6).
    let message = '';
    let badMessage = false;
    for (const ws of wss) {
      const bytes = await readFile(ws.messageFile).catch(() => undefined);
      if (!bytes) continue;
      const text = decodeExitMessage(bytes);
      if (text === undefined) badMessage = true;
      else message += text;
    }
    let outcome: Outcome;
    if (rec.doc.ProcessingJobStatus === 'Stopping') {
      outcome =
        rec.internal.stopReason === 'MaxRuntimeExceeded'
          ? { status: 'Failed', reason: `ClientError: The processing job ran longer than StoppingCondition.MaxRuntimeInSeconds (${rec.doc.StoppingCondition?.MaxRuntimeInSeconds} s) and was stopped.` }
          : { status: 'Stopped' };
    } else {
      const reason = await this.jobs.hostFailureReason(rec, (bad) => readFile(wss[bad]!.messageFile).then(decodeExitMessage, () => undefined));
      if (reason !== undefined) outcome = { status: 'Failed', reason };
      else outcome = badMessage ? { status: 'Failed', reason: 'ClientError: /opt/ml/output/message is not valid UTF-8.' } : { status: 'Completed' };
      if (outcome.status === 'Completed' && lost) outcome = { status: 'Failed', reason: `InternalServerError: The processing outputs could not be collected from their node: ${lost}` };
    }
    // Outputs are uploaded whatever the outcome, as SageMaker does for failed and stopped jobs.
    if (rec.internal.hosts) {
      try {
        await this.uploadOutputs(rec, w, false);
      } catch (err) {
        logger.warn({ err, job: rec.name }, 'uploading outputs failed');
        const reason = failureReasonFor(err, 'uploading outputs');
        if (outcome.status === 'Completed') outcome = { status: 'Failed', reason };
        else logger.warn({ err, job: rec.name }, 'output upload of an unsuccessful processing job failed');
      }
    }
    await this.update(rec.name, (r) => this.finish(r, outcome, message));
    this.jobs.drop(rec.name);
    this.remoteFeeds.end(rec.name);
    await this.jobs.cleanup(rec, outcome.status === 'Failed');
  }

  /**
   * On an engine that stages on its nodes: each host's folders back into its workspace here (all
   * outputs after exit, `continuous` only the Continuous ones while it runs; files unchanged since
   * the last pull are not sent again); the first failure's words, if any.
   */
  private async collectFromNodes(rec: JobRecord, continuous = false): Promise<string | undefined> {
    if (!this.deps.runtime.stagesData || !this.deps.staging) return undefined;
    const paths = continuous ? processingContinuousPaths(rec.doc) : processingCollectPaths(rec.doc);
    const hosts = (rec.internal.hosts ?? []).map((h) => ({ id: h.containerId ?? h.containerName, root: processingWorkspace(this.deps.config.workDir, rec.name, h.host).root, paths }));
    return collectStagedHosts(this.deps.runtime, this.deps.staging, hosts);
  }

  private finish(r: JobRecord, outcome: Outcome, message?: string): void {
    r.doc.ProcessingJobStatus = outcome.status;
    if (outcome.status === 'Failed') r.doc.FailureReason = truncateReason(outcome.reason);
    if (message) r.doc.ExitMessage = truncateReason(message);
    r.doc.ProcessingEndTime = wireTime(this.now());
    r.internal.step = 'done';
  }

  /**
   * Uploads output directories file by file to `S3Uri/<relative path>` (symlinks are not
   * followed). `continuousOnly`: a scan while the job runs — only Continuous outputs, and only
   * files unchanged since the previous scan (closed, as far as one can tell from outside).
   */
  private async uploadOutputs(rec: JobRecord, w: Watcher | undefined, continuousOnly: boolean): Promise<void> {
    const outputs = (rec.doc.ProcessingOutputConfig?.Outputs ?? []).filter((o) => o.S3Output && (!continuousOnly || o.S3Output.S3UploadMode === 'Continuous'));
    for (const [i, h] of (rec.internal.hosts ?? []).entries()) {
      const ws = processingWorkspace(this.deps.config.workDir, rec.name, h.host);
      for (const o of outputs) {
        const dir = ws.hostPath(outputLocalPath(o));
        const uploaded = this.sigMap(w?.uploaded, i, o) ?? new Map<string, string>();
        if (!continuousOnly) {
          await uploadTree(this.output, dir, o.S3Output!.S3Uri, uploaded);
          continue;
        }
        const seen = this.sigMap(w?.seen, i, o)!;
        for (const f of await listFiles(dir)) {
          const sig = `${f.size}:${f.mtimeMs}`;
          const stable = seen.get(f.rel) === sig;
          seen.set(f.rel, sig);
          if (!stable || uploaded.get(f.rel) === sig) continue;
          await putToUri(this.output, joinUri(o.S3Output!.S3Uri, f.rel), createReadStream(f.path));
          uploaded.set(f.rel, sig);
        }
      }
    }
  }

  private sigMap(maps: Map<string, Map<string, string>>[] | undefined, host: number, o: ProcessingOutputDoc): Map<string, string> | undefined {
    if (!maps) return undefined;
    const perHost = (maps[host] ??= new Map());
    let m = perHost.get(o.OutputName);
    if (!m) perHost.set(o.OutputName, (m = new Map()));
    return m;
  }

  protected async fail(name: string, reason: string): Promise<void> {
    const rec = await this.get(name);
    if (!rec || rec.internal.step === 'done') return;
    await this.update(name, (r) => this.finish(r, { status: 'Failed', reason }));
    this.jobs.drop(name);
    this.remoteFeeds.end(name);
    await this.jobs.cleanup(rec, true);
  }

  // --- watcher: logs, exits, Pipe feeders, Continuous uploads -----------------------------------

  private watch(rec: JobRecord): Watcher {
    const existing = this.watchers.get(rec.name);
    if (existing) return existing;
    const w: Watcher = { abort: new AbortController(), followers: [], stopSent: false, uploaded: [], seen: [] };
    this.watchers.set(rec.name, w);
    const hosts = rec.internal.hosts ?? [];
    for (const [i, h] of hosts.entries()) {
      const id = h.containerId ?? h.containerName;
      w.followers.push(this.jobs.followLogs(h, id, w));
      this.jobs.wakeOnExit(rec.name, id, w);
      const ws = processingWorkspace(this.deps.config.workDir, rec.name, h.host);
      for (const input of rec.doc.ProcessingInputs ?? []) {
        // A cluster engine's feeders run on the nodes (remote-staging.ts).
        if (input.S3Input?.S3InputMode !== 'Pipe' || this.deps.runtime.stagesData) continue;
        runPipeFeeder({
          ...pipeLocation(ws, rec.doc, input),
          list: () => inputObjects(this.deps.objects, input, i, hosts.length, this.deps.localPaths),
          label: `ProcessingInput ${input.InputName}`,
          gzip: input.S3Input.S3CompressionType === 'Gzip',
          gzipMaxBytes: this.deps.config.dataLimits.gzipInputMaxBytes,
          recordIO: false,
          signal: w.abort.signal,
          onDataError: (reason) => {
            w.dataError ??= reason;
            this.jobs.requeue(rec.name);
          },
        }).catch((err: unknown) => logger.warn({ err, job: rec.name, input: input.InputName }, 'pipe feeder failed'));
      }
    }
    if ((rec.doc.ProcessingOutputConfig?.Outputs ?? []).some((o) => o.S3Output?.S3UploadMode === 'Continuous')) {
      w.scanTimer = setInterval(() => {
        if (w.scanning) return;
        w.scanning = (async () => {
          const current = await this.get(rec.name);
          if (current?.internal.step !== 'running') return;
          // A cluster engine: the files come from the nodes first; a file is uploaded once two pulls saw it unchanged.
          const lost = await this.collectFromNodes(current, true);
          if (lost) throw new Error(`pulling Continuous outputs from the nodes failed: ${lost}`);
          await this.uploadOutputs(current, w, true);
        })()
          .catch((err: unknown) => logger.warn({ err, job: rec.name }, 'continuous upload failed'))
          .finally(() => (w.scanning = undefined));
      }, this.deps.runtime.stagesData ? this.pullMs : this.scanMs);
      w.scanTimer.unref();
    }
    return w;
  }
}
