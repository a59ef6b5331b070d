/**
 * @module controllers/job-common/host-jobs — the plumbing the training and processing controllers
 * share for a job that runs one container per host (`algo-1` … `algo-N`): reading and updating
 * the record, deterministic names and labels, the reconcile guard, adoption on resume, the
 * network + container start step, exit watching, failure attribution, watchers and clean-up.
 * Each controller keeps its own step machine and what only it does (metrics, Continuous uploads).
 */
import { missingImageMessage } from '../../runtime/image-ref.js';
import { rm } from 'node:fs/promises';
import { LABELS, containerCeiling, type BindMount, type ContainerInfo, type ContainerSpec, type StagingPlan } from '../../runtime/container-runtime.js';
import { logger } from '../../platform/logger.js';
import type { ContainerCommand } from '../../resources/container-command.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { instanceDemand } from '../../resources/demand.js';
import type { Claim } from '../admission/ledger.js';
import { limitsFor } from '../../resources/instance-types.js';
import { networkFailureReason, networkOptionsFor, specLimits } from '../resource-network.js';
import { TerminalFailure } from '../terminal-failure.js';
import { resolveImageOrFail } from '../resolve-image.js';
import { requeueAfter, type ReconcileResult } from '../work-queue.js';
import { followContainerLogs, type FollowOptions } from '../container-logs.js';
import { OrphanSweeper } from '../orphan-sweeper.js';
import { homeTag } from '../home-tag.js';
import { guardReconcile } from './reconcile-guard.js';
import { LIVE_JOB_STATUSES, type HostState } from '../../resources/job.js';
import { jobStatusOf } from '../../resources/job-kinds.js';
import type { Clock } from '../../platform/clock.js';
import { nameOfKey, resourceKey, type DocOf, type ResourceRecord } from '../../resources/kinds.js';
import { wireTime } from '../../resources/wire-time.js';
import { algorithmFailureReason } from '../../resources/failure-reason.js';

/** Least time between two shown changes of a waiting job's reason. */
const WAIT_MESSAGE_MIN_MS = 10_000;

/** What every in-memory watcher of a running job has; controllers add their own timers. */
export interface HostWatcher {
  abort: AbortController;
  followers: Promise<void>[];
  stopSent: boolean;
  /** Set by background work that found the input data unusable (a Pipe feeder): the job fails with it. */
  dataError?: string;
}

/** The job kinds that run one container per host (transform runs serve containers: controllers/transform-job). */
export type HostJobKind = 'training-job' | 'processing-job';

export interface HostJobOptions<K extends HostJobKind, W extends HostWatcher> {
  kind: K;
  /** `training job`, for messages. */
  what: string;
  /** Containers and networks are named `slipway-<namePrefix>-<job>-…-<home tag>`. */
  namePrefix: string;
  logGroup: string;
  /** The job's directory, removed on clean-up (kept for failed jobs when so configured). */
  jobDir: (workDir: string, job: string) => string;
  now: Clock;
  /** Stops a watcher's timers and aborts its followers. */
  dispose: (w: W) => void;
  /** Background work `stop()` waits for besides the log followers. */
  pending?: (w: W) => (Promise<void> | undefined)[];
  /** The instances the job asks for, for admission by capacity. */
  instances: (doc: DocOf<K>) => { type: string; count: number };
  /** The image the job names (resolved before it queues for capacity, so a missing one fails at once). */
  image: (doc: DocOf<K>) => string;
  /** Shows why a job waits for capacity (training: the Starting secondary status's message). */
  showWaiting: (job: string, message: string) => Promise<unknown>;
}

/** How a host's container runs; `binds` is called only for a container not created yet. */
export interface HostContainerOptions {
  command: ContainerCommand;
  env: Record<string, string>;
  binds: (h: HostState) => BindMount[];
  /** For engines that stage on their nodes (`runtime.stagesData`): the host's plan, used instead of `binds`. */
  staging?: (h: HostState, index: number) => Promise<StagingPlan>;
  instanceType: string;
  isolated: boolean;
}

/** The MaxRuntimeInSeconds clock of a running job. */
export interface RuntimeClock {
  nowMs: number;
  startMs: number;
  limitMs: number;
}

export class HostJobs<K extends HostJobKind, W extends HostWatcher> {
  readonly watchers = new Map<string, W>();
  private readonly errors = new Map<string, number>();
  private readonly tag: string;
  private stopped = false;
  private readonly sweeper: OrphanSweeper;
  /** The waiting reason each job last showed, and when. */
  private readonly waitShown = new Map<string, { message: string; at: number }>();

  constructor(
    private readonly deps: ControllerDeps,
    private readonly o: HostJobOptions<K, W>,
  ) {
    this.tag = homeTag(deps.config.clusterId);
    deps.admission.register(async () => await this.claims());
    // Containers and networks of finished jobs whose clean-up could not remove them (engine unreachable) go later.
    this.sweeper = new OrphanSweeper({
      runtime: deps.runtime,
      kind: o.kind,
      home: deps.config.clusterId,
      ownsContainer: (c) => this.live(c.labels[LABELS.name]),
      ownsNetwork: async (name) => (await this.deps.resources.listByStatus(this.o.kind, LIVE_JOB_STATUSES)).some((r) => this.networkName(r.name) === name && r.internal.step !== 'done'),
      onReconnect: async () => {
        for (const r of await this.deps.resources.listByStatus(this.o.kind, LIVE_JOB_STATUSES)) this.deps.queue.enqueue(this.key(r.name));
      },
    });
  }

  /** Whether the job named so exists and is not done (its containers may run). */
  private async live(job: string | undefined): Promise<boolean> {
    const rec = job ? await this.get(job) : undefined;
    return rec !== undefined && rec.internal.step !== 'done';
  }

  /**
   * What this kind's jobs hold or wait for: a job holds its instances from admission until it is
   * done (jobs from before admission existed hold them once past `pending`); an InProgress job
   * not admitted yet waits, in creation order.
   */
  async claims(): Promise<Claim[]> {
    const out: Claim[] = [];
    for (const r of await this.deps.resources.listByStatus(this.o.kind, LIVE_JOB_STATUSES)) {
      if (r.internal.step === 'done') continue;
      const held = r.internal.admitted !== undefined || r.internal.step !== 'pending';
      if (!held && jobStatusOf(this.o.kind, r.doc) !== 'InProgress') continue;
      const { type, count } = this.o.instances(r.doc);
      out.push({ key: this.key(r.name), kind: 'job', order: r.creationTime, demand: r.internal.admitted ?? instanceDemand(type, count), held });
    }
    return out;
  }

  /**
   * Asks admission for a pending job's instances; true once admitted (recorded in the job), false
   * while it waits (the reason shown through `showWaiting`; the caller requeues).
   */
  async admit(rec: ResourceRecord<K>): Promise<boolean> {
    if (rec.internal.admitted) return true;
    if (!rec.internal.image) {
      const image = await this.resolveImage(this.o.image(rec.doc));
      rec = await this.update(rec.name, (r) => {
        r.internal.image = image;
      });
    }
    const { type, count } = this.o.instances(rec.doc);
    const demand = instanceDemand(type, count);
    const decision = await this.deps.admission.request({ key: this.key(rec.name), kind: 'job', order: rec.creationTime, demand, what: `${count} x ${type}` }, () =>
      this.update(rec.name, (r) => {
        r.internal.admitted = demand;
      }),
    );
    if (decision.admit) {
      this.waitShown.delete(rec.name);
      return true;
    }
    // The figures in the message move with every admission: show a change at most every 10 s.
    const shown = this.waitShown.get(rec.name);
    if (!shown || (shown.message !== decision.message && Date.now() - shown.at >= WAIT_MESSAGE_MIN_MS)) {
      this.waitShown.set(rec.name, { message: decision.message, at: Date.now() });
      await this.o.showWaiting(rec.name, decision.message);
    }
    return false;
  }

  key(name: string): string {
    return resourceKey(this.o.kind, name);
  }

  /** Reconciles the job again soon (background work found something). */
  requeue(name: string): void {
    this.deps.queue.enqueue(this.key(name));
  }

  async get(name: string): Promise<ResourceRecord<K> | undefined> {
    return await this.deps.resources.get(this.o.kind, name);
  }

  /** Mutates the record in one transaction, mirroring the wire status and LastModifiedTime. */
  async update(name: string, mutate: (rec: ResourceRecord<K>) => void): Promise<ResourceRecord<K>> {
    const now = this.o.now();
    const rec = await this.deps.resources.update(
      this.o.kind,
      name,
      (r) => {
        mutate(r);
        r.status = jobStatusOf(this.o.kind, r.doc);
        r.doc.LastModifiedTime = wireTime(now);
      },
      { now },
    );
    if (!rec) throw new Error(`${this.o.what} ${name} disappeared`);
    return rec;
  }

  /**
   * The record a reconcile should step, or undefined when the job is gone or done (its watcher
   * dropped). A stop requested before any container ran skips to `exited`: nothing to signal.
   */
  async toStep(name: string): Promise<ResourceRecord<K> | undefined> {
    const rec = await this.get(name);
    if (!rec) return undefined;
    if (rec.internal.step === 'done') {
      this.drop(name);
      return undefined;
    }
    if (jobStatusOf(this.o.kind, rec.doc) === 'Stopping' && (rec.internal.step === 'pending' || rec.internal.step === 'staged')) {
      return await this.update(name, (r) => {
        r.internal.step = 'exited';
      });
    }
    return rec;
  }

  /** Runs `step` under the reconcile guard (a TerminalFailure fails the job; repeated errors too). */
  async reconcile(key: string, step: (name: string) => Promise<ReconcileResult>, fail: (name: string, reason: string) => Promise<void>): Promise<ReconcileResult> {
    const name = nameOfKey(key);
    const guard = {
      errors: this.errors,
      stopping: () => this.stopped,
      finished: async (n: string) => ((await this.get(n))?.internal.step ?? 'done') === 'done',
      fail,
    };
    return await guardReconcile(guard, name, this.o.what, () => step(name));
  }

  async resume(): Promise<void> {
    for (const rec of await this.deps.resources.listByStatus(this.o.kind, LIVE_JOB_STATUSES)) this.deps.queue.enqueue(this.key(rec.name));
    // Containers of this home whose job is gone or finished (e.g. a crash between upload and
    // clean-up) are removed; the record's own reconcile handles the live ones.
    try {
      const mine = await this.deps.runtime.listContainers({ [LABELS.kind]: this.o.kind, [LABELS.home]: this.deps.config.clusterId }, { all: true });
      for (const c of mine) {
        if (!await this.live(c.labels[LABELS.name])) await this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined);
      }
    } catch (err) {
      logger.warn({ err }, `could not list ${this.o.what.replace(/ job$/, '')} containers on resume`);
    }
    this.sweeper.start();
  }

  /** Shuts the watchers down; containers keep running. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.sweeper.stop();
    for (const w of this.watchers.values()) this.o.dispose(w);
    await Promise.allSettled([...this.watchers.values()].flatMap((w) => [...w.followers, ...(this.o.pending?.(w) ?? []).filter((p) => p !== undefined)]));
    this.watchers.clear();
  }

  /** Disposes and forgets the job's watcher, if any. */
  drop(name: string): void {
    const w = this.watchers.get(name);
    if (!w) return;
    this.o.dispose(w);
    this.watchers.delete(name);
  }

  labels(rec: ResourceRecord<K>, host?: string): Record<string, string> {
    return {
      [LABELS.managed]: 'true',
      [LABELS.kind]: this.o.kind,
      [LABELS.name]: rec.name,
      [LABELS.arn]: rec.arn,
      [LABELS.home]: this.deps.config.clusterId,
      ...(host ? { [LABELS.host]: host } : {}),
    };
  }

  /** Platform messages (limit clamps, staging summary) go to the job's log like container output. */
  async platformLog(rec: ResourceRecord<K>, message: string): Promise<void> {
    const t = this.o.now();
    for (const h of rec.internal.hosts ?? []) await this.deps.logs.append(this.o.logGroup, h.logStream, [{ timestamp: t, message: `[slipway] ${message}` }]);
  }

  /** The local image for `image` (ECR names resolved); a TerminalFailure when the engine lacks it. */
  async resolveImage(image: string): Promise<string> {
    const resolved = await resolveImageOrFail(this.deps.runtime, image, true);
    if (resolved) return resolved.local;
    throw TerminalFailure.client(missingImageMessage(image));
  }

  /** The job's own network (deterministic, so a retry finds it). */
  networkName(job: string): string {
    return `slipway-${this.o.namePrefix}-${job.toLowerCase()}-${this.tag}`;
  }

  /** Host states with deterministic container names and log streams fixed at the first start. */
  planHosts(job: string, count: number): HostState[] {
    const startSec = Math.floor(this.o.now() / 1000);
    return Array.from({ length: count }, (_, i): HostState => {
      const host = `algo-${i + 1}`;
      return { host, containerName: `slipway-${this.o.namePrefix}-${job.toLowerCase()}-${host}-${this.tag}`, logStream: `${job}/${host}-${startSec}` };
    });
  }

  /**
   * The staged → running work: the job's own network (none for an isolated single host), one
   * container per host (found by its deterministic name if a previous attempt made it), ids
   * recorded, then every container started.
   */
  async startContainers(rec: ResourceRecord<K>, c: HostContainerOptions): Promise<ResourceRecord<K>> {
    const hosts = rec.internal.hosts!;
    let network: string | undefined;
    if (hosts.length > 1 || !c.isolated) {
      network = this.networkName(rec.name);
      // Hosts of an isolated job still reach each other (SageMaker allows inter-container traffic).
      const opts = networkOptionsFor({ isolated: c.isolated, serving: false, hostAccess: this.deps.config.containers.hostAccess });
      try {
        await this.deps.runtime.createNetwork(network, this.labels(rec), opts);
      } catch (err) {
        // Never run a job less guarded than asked: it fails with the reason instead of retrying.
        const reason = networkFailureReason(err, c.isolated);
        if (reason) throw TerminalFailure.client(reason);
        throw err;
      }
    }
    const engine = await this.deps.runtime.info().then(containerCeiling, () => undefined);
    // Without the engine's figures the instance type's own limits apply unclamped.
    const limits = limitsFor(c.instanceType, engine?.cpus || Number.MAX_SAFE_INTEGER, engine?.memoryBytes || Number.MAX_SAFE_INTEGER, engine?.maxTasks, this.deps.config.containers.gpus);
    const ids: string[] = [];
    const remote = this.deps.runtime.stagesData === true;
    if (remote && !c.staging) throw TerminalFailure.client(`This ${this.o.what} cannot run on a cluster engine yet: its data cannot be staged on the chosen node (docs/cluster.md).`);
    for (const [i, h] of hosts.entries()) {
      let id = (await this.deps.runtime.inspectContainer(h.containerName))?.id;
      if (!id) {
        const spec: ContainerSpec = {
          name: h.containerName,
          image: rec.internal.image!,
          ...(c.command.entrypoint ? { entrypoint: c.command.entrypoint } : {}),
          ...(c.command.cmd ? { cmd: c.command.cmd } : {}),
          env: c.env,
          labels: this.labels(rec, h.host),
          ...(remote ? { staging: await c.staging!(h, i) } : { binds: c.binds(h) }),
          hostname: h.host,
          ...specLimits(limits),
          // Each SageMaker host is an instance of its own: on a cluster, a node of its own.
          ...(remote && hosts.length > 1 ? { placement: { apartGroup: this.networkName(rec.name) } } : {}),
          ...(network ? { network: { name: network, aliases: [h.host] } } : c.isolated ? { networkDisabled: true } : {}),
        };
        id = await this.deps.runtime.createContainer(spec);
      }
      ids.push(id);
    }
    rec = await this.update(rec.name, (r) => {
      r.internal.network = network;
      r.internal.hosts!.forEach((h, i) => (h.containerId = ids[i]));
    });
    for (const w of limits.warnings) await this.platformLog(rec, w);
    // All hosts at once, as SageMaker starts a cluster's containers: on a cluster engine a start
    // waits for the task to run, and a peer's algo-N resolves only from then on.
    await Promise.all(ids.map((id) => this.deps.runtime.startContainer(id)));
    return rec;
  }

  /** Every host's container; `vanished` names the hosts whose container is gone. */
  async inspectHosts(rec: ResourceRecord<K>): Promise<{ infos: ContainerInfo[]; vanished?: string }> {
    const hosts = rec.internal.hosts ?? [];
    const infos = await Promise.all(hosts.map((h) => this.deps.runtime.inspectContainer(h.containerId ?? h.containerName)));
    const vanished = hosts.filter((_, i) => !infos[i]);
    return { infos: infos as ContainerInfo[], ...(vanished.length > 0 ? { vanished: vanished.map((h) => h.host).join(', ') } : {}) };
  }

  clock(startSec: number | undefined, creationTime: number, maxRuntimeSeconds: number): RuntimeClock {
    return { nowMs: this.o.now(), startMs: (startSec ?? wireTime(creationTime)) * 1000, limitMs: maxRuntimeSeconds * 1000 };
  }

  static expired(c: RuntimeClock): boolean {
    return c.nowMs - c.startMs >= c.limitMs;
  }

  /**
   * Starts containers created but never started (a crash between create and start) and sorts
   * the hosts: those still running, and the first that exited non-zero.
   */
  async wakeHosts(all: ContainerInfo[]): Promise<{ running: ContainerInfo[]; failed?: ContainerInfo }> {
    for (const c of all) if (c.state === 'created') await this.deps.runtime.startContainer(c.id);
    const running = all.filter((i) => i.running || i.state === 'created' || i.state === 'restarting');
    const failed = all.find((i) => !i.running && i.state !== 'created' && (i.exitCode ?? 0) !== 0);
    return { running, ...(failed ? { failed } : {}) };
  }

  /** While hosts run: back at the MaxRuntime deadline (InProgress), and at least every 30 s. */
  static requeueRunning(inProgress: boolean, c: RuntimeClock): ReconcileResult {
    const remaining = inProgress ? Math.max(50, c.startMs + c.limitMs - c.nowMs) : 30_000;
    return requeueAfter(Math.min(remaining, 30_000));
  }

  /**
   * Every host has exited: lets the log followers drain so FailureReason sees the last lines,
   * runs `beforeExited`, and records step `exited` with each host's exit code.
   */
  async markExited(rec: ResourceRecord<K>, infos: ContainerInfo[], w: W, beforeExited?: () => Promise<void>): Promise<void> {
    await Promise.race([Promise.allSettled(w.followers), new Promise((r) => setTimeout(r, 5_000))]);
    await beforeExited?.();
    await this.update(rec.name, (r) => {
      r.internal.step = 'exited';
      r.internal.hosts!.forEach((h, i) => (h.exitCode = infos[i]!.exitCode ?? -1));
    });
  }

  /** Copies a host container's output into the job's log stream. */
  followLogs(h: HostState, container: string, w: W, hooks: Pick<FollowOptions, 'onLine' | 'onFlush'> = {}): Promise<void> {
    return followContainerLogs({ runtime: this.deps.runtime, logs: this.deps.logs, group: this.o.logGroup, stream: h.logStream, container, signal: w.abort.signal, ...hooks });
  }

  /** Requeues the job when the container exits (after 1 s when waiting itself fails). */
  wakeOnExit(job: string, container: string, w: W): void {
    const key = this.key(job);
    this.deps.runtime.waitContainer(container, w.abort.signal).then(
      () => this.deps.queue.enqueue(key),
      () => {
        if (!w.abort.signal.aborted) this.deps.queue.enqueue(key, 1_000);
      },
    );
  }

  /**
   * The FailureReason of the first host that exited non-zero (its own failure text from
   * `readOwn`, else the log tail), or undefined when every host exited 0.
   */
  async hostFailureReason(rec: ResourceRecord<K>, readOwn: (hostIndex: number) => Promise<string | undefined>): Promise<string | undefined> {
    const hosts = rec.internal.hosts ?? [];
    const bad = hosts.findIndex((h) => (h.exitCode ?? 0) !== 0);
    if (bad < 0) return undefined;
    const h = hosts[bad]!;
    const own = await readOwn(bad);
    const tail = await this.deps.logs.tail(this.o.logGroup, h.logStream, 10);
    return algorithmFailureReason(own, h.exitCode ?? -1, tail, hosts.length > 1 ? h.host : undefined);
  }

  /** Removes the containers and network; the workspace too unless a failed job's is kept. */
  async cleanup(rec: ResourceRecord<K>, failed: boolean): Promise<void> {
    for (const h of rec.internal.hosts ?? []) {
      await this.deps.runtime.removeContainer(h.containerId ?? h.containerName, { force: true }).catch(() => undefined);
    }
    if (rec.internal.network) await this.deps.runtime.removeNetwork(rec.internal.network).catch(() => undefined);
    if (!(failed && this.deps.config.keepFailedWorkspaces)) {
      await rm(this.o.jobDir(this.deps.config.workDir, rec.name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/**
 * Base of the training and processing controllers: the Controller surface (reconcile under the
 * guard, resume, stop) over a HostJobs; subclasses supply the step machine and how a job fails.
 */
export abstract class HostJobController<K extends HostJobKind, W extends HostWatcher> implements Controller {
  readonly kind: K;
  protected readonly jobs: HostJobs<K, W>;
  protected readonly watchers: Map<string, W>;
  protected readonly now: Clock;

  constructor(protected readonly deps: ControllerDeps, o: HostJobOptions<K, W>) {
    this.kind = o.kind;
    this.now = o.now;
    this.jobs = new HostJobs(deps, o);
    this.watchers = this.jobs.watchers;
  }

  readonly reconcile = (key: string): Promise<ReconcileResult> =>
    this.jobs.reconcile(
      key,
      (name) => this.step(name),
      (name, reason) => this.fail(name, reason),
    );

  resume(): Promise<void> {
    return this.jobs.resume();
  }

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  protected async get(name: string): Promise<ResourceRecord<K> | undefined> {
    return await this.jobs.get(name);
  }

  protected async update(name: string, mutate: (rec: ResourceRecord<K>) => void): Promise<ResourceRecord<K>> {
    return await this.jobs.update(name, mutate);
  }

  /** One reconcile of the job's step machine. */
  protected abstract step(name: string): Promise<ReconcileResult>;

  /** Fails the job with `reason` (unless already done) and cleans up. */
  protected abstract fail(name: string, reason: string): Promise<void>;
}
