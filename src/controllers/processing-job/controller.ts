/**
 * @module controllers/processing-job/controller — runs a processing job's containers as SageMaker
 * does (contract §6) and records what happens as the job's status.
 *
 *   pending ──resolve image, per-host workspaces: config, inputs staged, FIFOs──► staged
 *   staged  ──network (N>1), create + start containers (deterministic names)──► running
 *   running ──watch: logs → LogStore, exits, MaxRuntime, stop, Continuous uploads, Pipe feeders──► exited
 *   exited  ──upload every output (also for Failed and Stopped jobs), ExitMessage──► done (+ clean-up)
 *
 * Steps are persisted in `internal.step` and safe to redo; in-memory watchers are rebuilt from
 * the deterministic container names after a restart.
 */
import { readFile, rm } from 'node:fs/promises';
import { LABELS, type ContainerInfo, type ContainerSpec } from '../../runtime/container-runtime.js';
import { logger } from '../../server/logger.js';
import type { ResourceRecord } from '../../storage/resource-store.js';
import { joinUri } from '../../storage/s3-uri.js';
import { containerCommand } from '../container-command.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { limitsFor } from '../instance-types.js';
import { followContainerLogs } from '../job-common/container-logs.js';
import { homeTag } from '../job-common/home-tag.js';
import { guardReconcile } from '../job-common/reconcile-guard.js';
import { ClientError } from '../training-job/data-source.js';
import { listFiles, putToUri, uploadTree } from '../training-job/packaging.js';
import { runPipeFeeder } from '../training-job/pipe-feeder.js';
import { algorithmFailureReason, truncateReason, wireTime } from '../training-job/status.js';
import type { HostState } from '../training-job/types.js';
import { DONE, requeueAfter, type ReconcileResult } from '../work-queue.js';
import { decodeExitMessage, outputLocalPath } from './container-config.js';
import { PROCESSING_LOG_GROUP, type ProcessingJobDoc, type ProcessingJobInternal, type ProcessingOutputDoc } from './types.js';
import { inputObjects, pipeLocation, prepareProcessingWorkspace, processingJobDir, processingMounts, processingWorkspace } from './workspace.js';
import { createReadStream } from 'node:fs';

type JobRecord = ResourceRecord<ProcessingJobDoc, ProcessingJobInternal>;
const KIND = 'processing-job';

/** StopProcessingJob / MaxRuntimeInSeconds: SIGINT and SIGTERM, then SIGKILL after this grace (contract §6: reuse 120 s). */
export const PROCESSING_STOP_GRACE_SECONDS = 120;
const PEER_FAILURE_GRACE_SECONDS = 10;

export interface ProcessingJobControllerOptions {
  /** How often Continuous output directories are scanned (a file unchanged over one scan is uploaded). */
  continuousScanMs?: number;
  now?: () => number;
}

interface Watcher {
  abort: AbortController;
  followers: Promise<void>[];
  stopSent: boolean;
  /** Per host, output name → (relative path → `size:mtime` last uploaded). */
  uploaded: Map<string, Map<string, string>>[];
  /** Per host, output name → (relative path → `size:mtime` seen at the previous scan). */
  seen: Map<string, Map<string, string>>[];
  scanTimer?: NodeJS.Timeout;
  scanning?: Promise<void>;
}

type Outcome = { status: 'Completed' } | { status: 'Failed'; reason: string } | { status: 'Stopped' };

export class ProcessingJobController implements Controller {
  readonly kind = KIND;
  private readonly watchers = new Map<string, Watcher>();
  private readonly errors = new Map<string, number>();
  private readonly tag: string;
  private readonly scanMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly deps: ControllerDeps, opts: ProcessingJobControllerOptions = {}) {
    this.tag = homeTag(deps.config.home);
    this.scanMs = opts.continuousScanMs ?? Number(process.env.SLIPWAY_CONTINUOUS_SCAN_MS ?? 1000);
    this.now = opts.now ?? Date.now;
  }

  readonly reconcile = async (key: string): Promise<ReconcileResult> => {
    const name = key.slice(key.indexOf(':') + 1);
    return guardReconcile(this.guard, name, 'processing job', () => this.step(name));
  };

  private readonly guard = {
    errors: this.errors,
    stopping: () => this.stopped,
    finished: (name: string) => (this.get(name)?.internal.step ?? 'done') === 'done',
    fail: (name: string, reason: string) => this.fail(name, reason),
  };

  async resume(): Promise<void> {
    for (const rec of this.deps.resources.listByStatus(KIND, ['InProgress', 'Stopping'])) this.deps.queue.enqueue(`${KIND}:${rec.name}`);
    try {
      const mine = await this.deps.runtime.listContainers({ [LABELS.kind]: KIND, [LABELS.home]: this.deps.config.home }, { all: true });
      for (const c of mine) {
        const rec = c.labels[LABELS.name] ? this.get(c.labels[LABELS.name]!) : undefined;
        if (!rec || rec.internal.step === 'done') await this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined);
      }
    } catch (err) {
      logger.warn({ err }, 'could not list processing containers on resume');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers.values()) this.dispose(w);
    await Promise.allSettled([...this.watchers.values()].flatMap((w) => [...w.followers, w.scanning]));
    this.watchers.clear();
  }

  // ---------------------------------------------------------------------------------------------

  private get(name: string): JobRecord | undefined {
    return this.deps.resources.get<ProcessingJobDoc, ProcessingJobInternal>(KIND, name);
  }

  private update(name: string, mutate: (rec: JobRecord) => void): JobRecord {
    const now = this.now();
    const rec = this.deps.resources.update<ProcessingJobDoc, ProcessingJobInternal>(
      KIND,
      name,
      (r) => {
        mutate(r);
        r.status = r.doc.ProcessingJobStatus;
        r.doc.LastModifiedTime = wireTime(now);
      },
      { now },
    );
    if (!rec) throw new Error(`processing job ${name} disappeared`);
    return rec;
  }

  private labels(rec: JobRecord, host?: string): Record<string, string> {
    return {
      [LABELS.managed]: 'true',
      [LABELS.kind]: KIND,
      [LABELS.name]: rec.name,
      [LABELS.arn]: rec.arn,
      [LABELS.home]: this.deps.config.home,
      ...(host ? { [LABELS.host]: host } : {}),
    };
  }

  private async step(name: string): Promise<ReconcileResult> {
    let rec = this.get(name);
    if (!rec) return DONE;
    if (rec.internal.step === 'done') {
      this.drop(name);
      return DONE;
    }
    const stopping = rec.doc.ProcessingJobStatus === 'Stopping';
    if (stopping && (rec.internal.step === 'pending' || rec.internal.step === 'staged')) {
      rec = this.update(name, (r) => (r.internal.step = 'exited'));
    }
    switch (rec.internal.step) {
      case 'pending':
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
    const image = rec.doc.AppSpecification.ImageUri;
    const resolved = await this.deps.runtime.resolveImage(image);
    if (!resolved) {
      const bare = image.replace(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\//, '');
      throw new ClientError(`Image '${image}' not found on the Docker engine. Build or tag it locally (docker build -t ${bare} .) and try again.`);
    }
    const count = rec.doc.ProcessingResources.ClusterConfig.InstanceCount;
    const epoch = Math.floor(this.now() / 1000);
    rec = this.update(rec.name, (r) => {
      r.internal.image = resolved.local;
      r.internal.hosts ??= Array.from({ length: count }, (_, i): HostState => {
        const host = `algo-${i + 1}`;
        return { host, containerName: `slipway-proc-${r.name.toLowerCase()}-${host}-${this.tag}`, logStream: `${r.name}/${host}-${epoch}` };
      });
      r.doc.ProcessingStartTime ??= wireTime(this.now());
    });
    let files = 0;
    let bytes = 0;
    for (const [i, h] of rec.internal.hosts!.entries()) {
      const st = await prepareProcessingWorkspace(this.deps.objects, processingWorkspace(this.deps.config.workDir, rec.name, h.host), rec.doc, h.host, i);
      files += st.files;
      bytes += st.bytes;
    }
    this.platformLog(rec, `Staged ${files} input file(s), ${bytes} bytes, for ${count} host(s).`);
    this.update(rec.name, (r) => (r.internal.step = 'staged'));
  }

  private platformLog(rec: JobRecord, message: string): void {
    const t = this.now();
    for (const h of rec.internal.hosts ?? []) this.deps.logs.append(PROCESSING_LOG_GROUP, h.logStream, [{ timestamp: t, message: `[slipway] ${message}` }]);
  }

  private async start(rec: JobRecord): Promise<void> {
    const doc = rec.doc;
    const hosts = rec.internal.hosts!;
    const isolated = doc.NetworkConfig?.EnableNetworkIsolation === true;
    let network: string | undefined;
    if (hosts.length > 1) {
      network = `slipway-proc-${rec.name.toLowerCase()}-${this.tag}`;
      await this.deps.runtime.createNetwork(network, this.labels(rec), { internal: isolated });
    }
    const engine = await this.deps.runtime.info().catch(() => ({ cpus: 0, memoryBytes: 0 }));
    const cluster = doc.ProcessingResources.ClusterConfig;
    const limits = engine.cpus > 0 ? limitsFor(cluster.InstanceType, engine.cpus, engine.memoryBytes) : { warnings: [] };
    // No `train`/`serve`: the image's own ENTRYPOINT/CMD unless overridden (contract §6).
    const cmd = containerCommand(undefined, {
      containerEntrypoint: doc.AppSpecification.ContainerEntrypoint,
      containerArguments: doc.AppSpecification.ContainerArguments,
    });
    const ids: string[] = [];
    for (const h of hosts) {
      let id = (await this.deps.runtime.inspectContainer(h.containerName))?.id;
      if (!id) {
        const spec: ContainerSpec = {
          name: h.containerName,
          image: rec.internal.image!,
          ...(cmd.entrypoint ? { entrypoint: cmd.entrypoint } : {}),
          ...(cmd.cmd ? { cmd: cmd.cmd } : {}),
          env: { ...(doc.Environment ?? {}) },
          labels: this.labels(rec, h.host),
          binds: processingMounts(processingWorkspace(this.deps.config.workDir, rec.name, h.host), doc),
          hostname: h.host,
          limits: { nanoCpus: limits.nanoCpus, memoryBytes: limits.memoryBytes },
          ...(network ? { network: { name: network, aliases: [h.host] } } : isolated ? { networkDisabled: true } : {}),
        };
        id = await this.deps.runtime.createContainer(spec);
      }
      ids.push(id);
    }
    rec = this.update(rec.name, (r) => {
      r.internal.network = network;
      r.internal.hosts!.forEach((h, i) => (h.containerId = ids[i]));
    });
    for (const w of limits.warnings) this.platformLog(rec, w);
    for (const id of ids) await this.deps.runtime.startContainer(id);
    rec = this.update(rec.name, (r) => (r.internal.step = 'running'));
    this.watch(rec);
  }

  /** Returns a requeue while containers run; undefined once every host has exited. */
  private async supervise(rec: JobRecord): Promise<ReconcileResult | undefined> {
    const hosts = rec.internal.hosts ?? [];
    const infos = await Promise.all(hosts.map((h) => this.deps.runtime.inspectContainer(h.containerId ?? h.containerName)));
    const vanished = hosts.filter((_, i) => !infos[i]);
    if (vanished.length > 0) {
      await this.fail(rec.name, `InternalServerError: The processing container of ${vanished.map((h) => h.host).join(', ')} vanished while the job was running.`);
      return DONE;
    }
    const w = this.watch(rec);
    const all = infos as ContainerInfo[];
    const nowMs = this.now();
    const startMs = (rec.doc.ProcessingStartTime ?? wireTime(rec.creationTime)) * 1000;
    const limitMs = (rec.doc.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400) * 1000;
    if (rec.doc.ProcessingJobStatus === 'InProgress' && nowMs - startMs >= limitMs) {
      rec = this.update(rec.name, (r) => {
        r.doc.ProcessingJobStatus = 'Stopping';
        r.internal.stopReason = 'MaxRuntimeExceeded';
      });
    }
    for (const c of all) if (c.state === 'created') await this.deps.runtime.startContainer(c.id);
    const running = all.filter((i) => i.running || i.state === 'created' || i.state === 'restarting');
    const failedHost = all.some((i) => !i.running && i.state !== 'created' && (i.exitCode ?? 0) !== 0);
    if (running.length > 0 && !w.stopSent && (rec.doc.ProcessingJobStatus === 'Stopping' || failedHost)) {
      // Stop requested, or one host failed: that fails the job, so the others stop too.
      w.stopSent = true;
      const grace = failedHost && rec.doc.ProcessingJobStatus !== 'Stopping' ? PEER_FAILURE_GRACE_SECONDS : PROCESSING_STOP_GRACE_SECONDS;
      for (const c of running) {
        // The processing docs name SIGINT (then SIGKILL); stopContainer adds SIGTERM and the grace.
        void this.deps.runtime
          .killContainer(c.id, 'SIGINT')
          .catch(() => undefined)
          .then(() => this.deps.runtime.stopContainer(c.id, grace))
          .catch((err: unknown) => logger.warn({ err, container: c.id }, 'stopping a processing container failed'));
      }
    }
    if (running.length > 0) {
      const remaining = rec.doc.ProcessingJobStatus === 'InProgress' ? Math.max(50, startMs + limitMs - nowMs) : 30_000;
      return requeueAfter(Math.min(remaining, 30_000));
    }
    // Every host exited: let the followers drain so FailureReason sees the last lines.
    await Promise.race([Promise.allSettled(w.followers), new Promise((r) => setTimeout(r, 5_000))]);
    this.update(rec.name, (r) => {
      r.internal.step = 'exited';
      r.internal.hosts!.forEach((h, i) => (h.exitCode = infos[i]!.exitCode ?? -1));
    });
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
      const bad = hosts.findIndex((h) => (h.exitCode ?? 0) !== 0);
      if (bad < 0) outcome = badMessage ? { status: 'Failed', reason: 'ClientError: /opt/ml/output/message is not valid UTF-8.' } : { status: 'Completed' };
      else {
        const h = hosts[bad]!;
        const own = await readFile(wss[bad]!.messageFile).then(decodeExitMessage, () => undefined);
        const tail = this.deps.logs.tail(PROCESSING_LOG_GROUP, h.logStream, 10);
        outcome = { status: 'Failed', reason: algorithmFailureReason(own, h.exitCode ?? -1, tail, hosts.length > 1 ? h.host : undefined) };
      }
    }
    // Outputs are uploaded whatever the outcome, as SageMaker does for failed and stopped jobs.
    if (rec.internal.hosts) {
      try {
        await this.uploadOutputs(rec, w, false);
      } catch (err) {
        const reason = err instanceof ClientError ? err.message : `InternalServerError: uploading outputs failed: ${(err as Error).message}`;
        if (outcome.status === 'Completed') outcome = { status: 'Failed', reason };
        else logger.warn({ err, job: rec.name }, 'output upload of an unsuccessful processing job failed');
      }
    }
    this.update(rec.name, (r) => this.finish(r, outcome, message));
    this.drop(rec.name);
    await this.cleanup(rec, outcome.status === 'Failed');
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
          await uploadTree(this.deps.objects, dir, o.S3Output!.S3Uri, uploaded);
          continue;
        }
        const seen = this.sigMap(w?.seen, i, o)!;
        for (const f of await listFiles(dir)) {
          const sig = `${f.size}:${f.mtimeMs}`;
          const stable = seen.get(f.rel) === sig;
          seen.set(f.rel, sig);
          if (!stable || uploaded.get(f.rel) === sig) continue;
          await putToUri(this.deps.objects, joinUri(o.S3Output!.S3Uri, f.rel), createReadStream(f.path));
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

  private async cleanup(rec: JobRecord, failed: boolean): Promise<void> {
    for (const h of rec.internal.hosts ?? []) {
      await this.deps.runtime.removeContainer(h.containerId ?? h.containerName, { force: true }).catch(() => undefined);
    }
    if (rec.internal.network) await this.deps.runtime.removeNetwork(rec.internal.network).catch(() => undefined);
    if (!(failed && this.deps.config.keepFailedWorkspaces)) {
      await rm(processingJobDir(this.deps.config.workDir, rec.name), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async fail(name: string, reason: string): Promise<void> {
    const rec = this.get(name);
    if (!rec || rec.internal.step === 'done') return;
    this.update(name, (r) => this.finish(r, { status: 'Failed', reason }));
    this.drop(name);
    await this.cleanup(rec, true);
  }

  // --- watcher: logs, exits, Pipe feeders, Continuous uploads -----------------------------------

  private watch(rec: JobRecord): Watcher {
    const existing = this.watchers.get(rec.name);
    if (existing) return existing;
    const w: Watcher = { abort: new AbortController(), followers: [], stopSent: false, uploaded: [], seen: [] };
    this.watchers.set(rec.name, w);
    const key = `${KIND}:${rec.name}`;
    const hosts = rec.internal.hosts ?? [];
    for (const [i, h] of hosts.entries()) {
      const id = h.containerId ?? h.containerName;
      w.followers.push(
        followContainerLogs({ runtime: this.deps.runtime, logs: this.deps.logs, group: PROCESSING_LOG_GROUP, stream: h.logStream, container: id, signal: w.abort.signal }),
      );
      this.deps.runtime.waitContainer(id, w.abort.signal).then(
        () => this.deps.queue.enqueue(key),
        () => {
          if (!w.abort.signal.aborted) this.deps.queue.enqueue(key, 1_000);
        },
      );
      const ws = processingWorkspace(this.deps.config.workDir, rec.name, h.host);
      for (const input of rec.doc.ProcessingInputs ?? []) {
        if (input.S3Input?.S3InputMode !== 'Pipe') continue;
        runPipeFeeder({
          ...pipeLocation(ws, input),
          list: () => inputObjects(this.deps.objects, input, i, hosts.length),
          gzip: input.S3Input.S3CompressionType === 'Gzip',
          recordIO: false,
          signal: w.abort.signal,
        }).catch((err: unknown) => logger.warn({ err, job: rec.name, input: input.InputName }, 'pipe feeder failed'));
      }
    }
    if ((rec.doc.ProcessingOutputConfig?.Outputs ?? []).some((o) => o.S3Output?.S3UploadMode === 'Continuous')) {
      w.scanTimer = setInterval(() => {
        if (w.scanning) return;
        const current = this.get(rec.name);
        if (!current || current.internal.step !== 'running') return;
        w.scanning = this.uploadOutputs(current, w, true)
          .catch((err: unknown) => logger.warn({ err, job: rec.name }, 'continuous upload failed'))
          .finally(() => (w.scanning = undefined));
      }, this.scanMs);
      w.scanTimer.unref();
    }
    return w;
  }

  private dispose(w: Watcher): void {
    w.abort.abort();
    if (w.scanTimer) clearInterval(w.scanTimer);
  }

  private drop(name: string): void {
    const w = this.watchers.get(name);
    if (!w) return;
    this.dispose(w);
    this.watchers.delete(name);
  }
}
