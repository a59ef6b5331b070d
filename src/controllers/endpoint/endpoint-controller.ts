/**
 * @module controllers/endpoint/endpoint-controller — reconciles endpoints into fleets of `serve`
 * containers, keeps the data plane's routing table pointing at healthy instances, and records
 * status, per-variant counts and FailureReason.
 *
 *   Creating ──fleet healthy──▶ InService ◀──────────────┐
 *      │                          │ UpdateEndpoint         │ new fleet failed: old fleet keeps
 *      └─fails─▶ Failed           ▼                        │ serving, FailureReason set
 *                              Updating ──new fleet healthy: swap routes, drain, stop old──┘
 *   any ──DeleteEndpoint──▶ Deleting ──containers stopped──▶ (record removed)
 *
 * Instances: one container per instance, `serve` after the image ENTRYPOINT, Environment passed,
 * instance-type limits, model data from the ModelCache mounted read-only at /opt/ml/model, port
 * 8080 published on 127.0.0.1. An instance joins the route only after `GET /ping` answers 200.
 * The startup window is the variant's ContainerStartupHealthCheckTimeoutInSeconds, default 600 s
 * (the docs' old 4-minute figure is superseded by the 60–3600 s setting; 600 s matches the
 * inference toolkit's SAGEMAKER_STARTUP_TIMEOUT). Serving instances are pinged every 2 s; one
 * whose container exits (noticed at once through a wait on the container) or that fails three
 * pings in a row leaves the route and is replaced, while the endpoint stays InService.
 *
 * Networks (controllers/resource-network.ts): every endpoint's instances join a bridge of the
 * endpoint's own, out of reach of other endpoints' and jobs' containers and of the host's own
 * services, with outbound NAT. EnableNetworkIsolation: the model's instances join a second
 * per-endpoint bridge without outbound NAT and without inter-container traffic, while their 8080
 * stays published on 127.0.0.1 (an `internal` network would drop the published port). The runtime
 * also has the host drop every new connection coming from that bridge
 * (runtime/docker/host-firewall.ts), so a container reaches neither the host's own addresses nor
 * any other container, network or address beyond it; only replies to Slipway's requests on the
 * published port flow. A network that cannot be guarded so is not created (the runtime throws).
 *
 * Restarts: containers carry labels (endpoint, variant, instance, fleet generation, Slipway home);
 * `resume()` adopts those of its own home, pings them and republishes routes before returning, so
 * invocations continue within a moment of the server starting again.
 */
import { missingImageHint } from '../../runtime/image-ref.js';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LABELS, type ContainerInfo } from '../../runtime/container-runtime.js';
import { logger } from '../../server/logger.js';
import type { ResourceRecord } from '../../storage/resource-store.js';
import { containerCommand } from '../container-command.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { limitsFor } from '../instance-types.js';
import { networkFailureReason, networkOptionsFor, specLimits } from '../resource-network.js';
import { homeTag } from '../job-common/home-tag.js';
import { DONE, requeueAfter, type ReconcileResult } from '../work-queue.js';
import { checkHealth, ping } from './health.js';
import { ModelCache, ModelDataError } from './model-cache.js';
import { createInstance, watchInstance, type Instance } from './instance.js';
import { routingTableFor, type RoutingTable } from './routing-table.js';
import { captureSettings } from './capture-settings.js';
import { admitFleet, endpointClaims } from './fleet-admission.js';
import { OrphanSweeper } from '../orphan-sweeper.js';
import { startFailurePhrase } from '../job-common/failure-reason.js';
import {
  EndpointStatus,
  endpointLogGroup,
  type EndpointDoc,
  type EndpointInternal,
  type FleetPlan,
  type VariantPlan,
  type VariantSummaryDoc,
} from './types.js';

const LABEL_GENERATION = 'slipway.generation';
const LABEL_CONFIG = 'slipway.endpoint-config';
const RECONCILE_INTERVAL_MS = 1_000;
const HEALTH_INTERVAL_MS = 2_000;
const FAILED_PINGS_TO_REPLACE = 3;
/** SageMaker stops hosting containers with SIGTERM, then SIGKILL 30 s later (§4.1). */
const STOP_GRACE_SECONDS = 30;
/** How long a retired fleet may keep finishing requests in flight before it is stopped. */
const DRAIN_LIMIT_MS = 70_000;
const LOG_TAIL_LINES = 10;
const STATS_INTERVAL_MS = 10_000;
const MAX_REASON = 1024;

interface EndpointState {
  instances: Map<string, Instance>;
  /** No replacement attempts before this time after a failed one (InService only). */
  replaceBackoffUntil: number;
  /** Why a fleet waits for capacity, and since when (shown as VariantStatus). */
  waiting?: { message: string; since: number };
}

class FleetFailure extends Error {}

export class EndpointController implements Controller {
  readonly kind = 'endpoint';
  private readonly states = new Map<string, EndpointState>();
  private readonly table: RoutingTable;
  private readonly cache: ModelCache;
  private readonly background = new Set<Promise<unknown>>();
  private hostResources?: Promise<{ cpus: number; memoryBytes: number; maxTasks?: number }>;
  private stopped = false;
  private statsTimer?: NodeJS.Timeout;
  /** Names of containers being created, not yet tracked as instances (the sweeper leaves them be). */
  private readonly starting = new Set<string>();
  private readonly sweeper: OrphanSweeper;

  constructor(private readonly deps: ControllerDeps) {
    this.table = routingTableFor(deps.resources);
    // Until resume() has adopted what was serving, the data plane waits instead of "not found".
    this.table.beginRestore();
    this.cache = ModelCache.forControllers(deps);
    // A failed connection seen by the data plane: check that endpoint now, not at the next tick.
    this.table.onInstanceBroken((endpoint) => this.deps.queue.enqueue(`endpoint:${endpoint}`));
    deps.admission.register(() => endpointClaims(deps.resources));
    // Containers no instance owns (their removal failed, e.g. while the engine was unreachable) go.
    this.sweeper = new OrphanSweeper({
      runtime: deps.runtime,
      kind: 'endpoint',
      home: deps.config.home,
      ownsContainer: (c) => this.starting.has(c.name) || [...this.states.values()].some((st) => [...st.instances.values()].some((i) => i.containerId === c.id)),
      ownsNetwork: (name) => this.liveNetworks().has(name),
      onReconnect: () => {
        for (const rec of this.liveRecords()) this.deps.queue.enqueue(`endpoint:${rec.name}`);
      },
    });
    // CPUUtilization / MemoryUtilization per instance (SageMaker's /aws/sagemaker/Endpoints metrics).
    this.statsTimer = setInterval(() => void this.sampleStats(), STATS_INTERVAL_MS);
    this.statsTimer.unref();
  }

  private async sampleStats(): Promise<void> {
    for (const st of this.states.values()) {
      for (const i of st.instances.values()) {
        if (!i.healthy || i.exited) continue;
        const s = await this.deps.runtime.stats(i.containerId).catch(() => undefined);
        if (!s) continue;
        const memory = s.memoryLimitBytes > 0 ? (100 * s.memoryBytes) / s.memoryLimitBytes : 0;
        this.deps.metrics.recordEndpointInstance(i.endpoint, i.variant, i.id, s.cpuPercent, memory);
      }
    }
  }

  readonly reconcile = async (key: string): Promise<ReconcileResult> => {
    const name = key.slice(key.indexOf(':') + 1);
    const rec = this.deps.resources.get<EndpointDoc, EndpointInternal>('endpoint', name);
    if (!rec) {
      await this.teardown(name);
      return DONE;
    }
    switch (rec.status) {
      case EndpointStatus.Deleting:
        await this.teardown(name);
        this.deps.resources.delete('endpoint', name);
        return DONE;
      case EndpointStatus.Failed:
        await this.teardown(name);
        return DONE;
      case EndpointStatus.Creating:
        return this.reconcileCreating(rec);
      case EndpointStatus.InService:
        return this.reconcileServing(rec);
      case EndpointStatus.Updating:
        return this.reconcileUpdating(rec);
      default:
        return DONE;
    }
  };

  // --- lifecycle -------------------------------------------------------------------------------

  /** Endpoints whose containers may run. */
  private liveRecords(): ResourceRecord<EndpointDoc, EndpointInternal>[] {
    return this.deps.resources.listByStatus<EndpointDoc, EndpointInternal>('endpoint', [
      EndpointStatus.Creating,
      EndpointStatus.InService,
      EndpointStatus.Updating,
      EndpointStatus.Deleting,
    ]);
  }

  /** The networks endpoints that are not being deleted may use. */
  private liveNetworks(records = this.liveRecords()): Set<string> {
    return new Set(records.filter((r) => r.status !== EndpointStatus.Deleting).flatMap((r) => [this.networkName(r.name, true), this.networkName(r.name, false)]));
  }

  async resume(): Promise<void> {
    try {
      await this.adopt();
    } finally {
      this.table.endRestore();
    }
  }

  private async adopt(): Promise<void> {
    const records = this.liveRecords();
    const byName = new Map(records.map((r) => [r.name.toLowerCase(), r]));
    // Listed now, before any endpoint is enqueued; removed in the background (a crashed extraction
    // can leave 100,000 files, and adoption must not wait for them).
    this.track((await this.cache.removeLeftovers()).done);
    let containers: ContainerInfo[] = [];
    try {
      containers = await this.deps.runtime.listContainers(
        { [LABELS.managed]: 'true', [LABELS.kind]: 'endpoint', [LABELS.home]: this.deps.config.home },
        { all: true },
      );
    } catch (err) {
      logger.warn({ err }, 'endpoint controller: cannot list containers to adopt');
    }
    const adopted: Instance[] = [];
    const strays: Promise<unknown>[] = [];
    for (const c of containers) {
      const rec = byName.get((c.labels[LABELS.name] ?? '').toLowerCase());
      const generation = Number(c.labels[LABEL_GENERATION]);
      const known = rec && rec.status !== EndpointStatus.Deleting && (rec.internal.active.generation === generation || rec.internal.pending?.generation === generation);
      if (!rec || !known || !c.running || !c.ports[8080]) {
        // Belongs to nothing that should run (deleted while we were down, or a dead instance).
        strays.push(this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined));
        continue;
      }
      const inst = this.attach(rec.name, c.labels[LABELS.variant] ?? '', c.labels[LABELS.instance] ?? c.id.slice(0, 12), generation, c.id, c.startedAt?.getTime() ?? Date.now());
      inst.origin = `http://127.0.0.1:${c.ports[8080]}`;
      this.watch(inst);
      adopted.push(inst);
    }
    // Isolated networks of endpoints deleted while the server was down go once their containers have.
    const live = this.liveNetworks(records);
    this.track(
      Promise.all(strays).then(async () => {
        for (const n of await this.deps.runtime.listNetworks(this.networkLabels()).catch(() => [])) {
          if (!live.has(n.name)) await this.deps.runtime.removeNetwork(n.name).catch(() => undefined);
        }
      }),
    );
    await Promise.all(
      adopted.map(async (i) => {
        if (await ping(i.origin!)) {
          i.healthy = true;
          i.lastPing = Date.now();
        }
      }),
    );
    for (const rec of records) {
      if (rec.status === EndpointStatus.InService || rec.status === EndpointStatus.Updating) this.publish(rec);
      this.deps.queue.enqueue(`endpoint:${rec.name}`);
    }
    logger.info({ adopted: adopted.length, endpoints: records.length }, 'endpoint controller resumed');
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.table.endRestore();
    if (this.statsTimer) clearInterval(this.statsTimer);
    await this.sweeper.stop();
    for (const st of this.states.values()) for (const i of st.instances.values()) i.abort.abort();
    await Promise.allSettled([...this.background]);
  }

  // --- per status ------------------------------------------------------------------------------

  private async reconcileCreating(rec: ResourceRecord<EndpointDoc, EndpointInternal>): Promise<ReconcileResult> {
    try {
      const ready = await this.driveFleet(rec, rec.internal.active);
      if (!ready) {
        this.writeSummary(rec.name);
        return requeueAfter(500);
      }
    } catch (err) {
      if (!(err instanceof FleetFailure)) throw err;
      await this.teardown(rec.name);
      this.setStatus(rec.name, EndpointStatus.Failed, err.message);
      return DONE;
    }
    const updated = this.setStatus(rec.name, EndpointStatus.InService);
    if (updated) this.publish(updated);
    return requeueAfter(RECONCILE_INTERVAL_MS);
  }

  private async reconcileServing(rec: ResourceRecord<EndpointDoc, EndpointInternal>): Promise<ReconcileResult> {
    const st = this.state(rec.name);
    if (Date.now() >= st.replaceBackoffUntil) {
      try {
        await this.driveFleet(rec, rec.internal.active);
      } catch (err) {
        if (!(err instanceof FleetFailure)) throw err;
        // A replacement failed to start; keep serving with what is healthy and try again later.
        st.replaceBackoffUntil = Date.now() + 10_000;
        logger.warn({ endpoint: rec.name, reason: err.message }, 'replacement instance failed');
      }
    } else {
      await this.checkInstances(rec.name, rec.internal.active);
    }
    this.publish(rec);
    this.writeSummary(rec.name);
    return requeueAfter(RECONCILE_INTERVAL_MS);
  }

  private async reconcileUpdating(rec: ResourceRecord<EndpointDoc, EndpointInternal>): Promise<ReconcileResult> {
    const pending = rec.internal.pending;
    if (!pending) return this.reconcileScaling(rec);
    // Keep the old fleet healthy while the new one starts.
    await this.checkInstances(rec.name, rec.internal.active);
    this.publish(rec);
    let ready: boolean;
    try {
      ready = await this.driveFleet(rec, pending);
    } catch (err) {
      if (!(err instanceof FleetFailure)) throw err;
      await this.retire(rec.name, (i) => i.generation === pending.generation, false);
      this.deps.resources.update<EndpointDoc, EndpointInternal>('endpoint', rec.name, (r) => {
        delete r.internal.pending;
        r.status = EndpointStatus.InService;
        r.doc.EndpointStatus = EndpointStatus.InService;
        r.doc.FailureReason = truncate(err.message);
      });
      return requeueAfter(RECONCILE_INTERVAL_MS);
    }
    if (!ready) return requeueAfter(500);
    // Blue/green switch: the route moves to the new fleet in one step; the old fleet drains.
    const oldGeneration = rec.internal.active.generation;
    const updated = this.deps.resources.update<EndpointDoc, EndpointInternal>('endpoint', rec.name, (r) => {
      r.internal.active = pending;
      delete r.internal.pending;
      r.status = EndpointStatus.InService;
      r.doc.EndpointStatus = EndpointStatus.InService;
      r.doc.EndpointConfigName = pending.endpointConfigName;
      delete r.doc.FailureReason;
    });
    if (updated) this.publish(updated);
    this.writeSummary(rec.name);
    this.track(this.retire(rec.name, (i) => i.generation === oldGeneration, true));
    return requeueAfter(RECONCILE_INTERVAL_MS);
  }

  /** UpdateEndpointWeightsAndCapacities: scale the active fleet, then back to InService. */
  private async reconcileScaling(rec: ResourceRecord<EndpointDoc, EndpointInternal>): Promise<ReconcileResult> {
    let ready: boolean;
    try {
      ready = await this.driveFleet(rec, rec.internal.active);
    } catch (err) {
      if (!(err instanceof FleetFailure)) throw err;
      const st = this.state(rec.name);
      this.deps.resources.update<EndpointDoc, EndpointInternal>('endpoint', rec.name, (r) => {
        // Keep the capacity that is actually serving.
        for (const v of r.internal.active.variants) {
          const healthy = [...st.instances.values()].filter((i) => i.variant === v.variantName && i.generation === r.internal.active.generation && i.healthy && !i.exited).length;
          v.instanceCount = Math.max(1, healthy);
        }
        r.status = EndpointStatus.InService;
        r.doc.EndpointStatus = EndpointStatus.InService;
        r.doc.FailureReason = truncate(err.message);
      });
      return requeueAfter(RECONCILE_INTERVAL_MS);
    }
    this.publish(rec);
    if (!ready) {
      this.writeSummary(rec.name);
      return requeueAfter(500);
    }
    const updated = this.setStatus(rec.name, EndpointStatus.InService);
    if (updated) this.publish(updated);
    this.writeSummary(rec.name);
    return requeueAfter(RECONCILE_INTERVAL_MS);
  }

  // --- fleets ----------------------------------------------------------------------------------

  /**
   * One step towards `plan`: checks instances, replaces dead ones, starts missing ones, retires
   * extras. Returns true when every variant has its count of healthy instances. Throws
   * FleetFailure when an instance could not start (image, model data, exit, health timeout);
   * dead instances are already on their way out then, so a later call starts replacements.
   */
  private async driveFleet(rec: ResourceRecord<EndpointDoc, EndpointInternal>, plan: FleetPlan): Promise<boolean> {
    const st = this.state(rec.name);
    // A fleet that cannot start fails at once rather than after its turn for capacity.
    const fresh = !plan.admitted && (rec.status === EndpointStatus.Creating || rec.internal.pending?.generation === plan.generation);
    if (fresh) for (const v of plan.variants) if (!(await this.deps.runtime.resolveImage(v.image))) throw new FleetFailure(missingImage(v));
    const admitted = await admitFleet(this.deps.resources, this.deps.admission, rec, plan);
    if (admitted.state === 'refused') throw new FleetFailure(admitted.message);
    if (admitted.state === 'waiting') {
      st.waiting = { message: admitted.message, since: st.waiting?.since ?? Date.now() };
      return false;
    }
    delete st.waiting;
    const failure = await this.checkInstances(rec.name, plan);
    // Dead instances never come back: remove them so replacements can take their place.
    const dead = new Set([...st.instances.values()].filter((i) => i.generation === plan.generation && i.exited && !i.retiring));
    if (dead.size) this.track(this.retire(rec.name, (i) => dead.has(i), false));
    if (failure) throw new FleetFailure(failure);
    let ready = true;
    for (const v of plan.variants) {
      const alive = [...st.instances.values()].filter((i) => i.generation === plan.generation && i.variant === v.variantName && !i.retiring && !i.exited);
      if (alive.length > v.instanceCount) {
        // Scale in: unhealthy ones first, then the newest.
        const extras = [...alive].sort((a, b) => Number(a.healthy) - Number(b.healthy) || b.startedAt - a.startedAt).slice(0, alive.length - v.instanceCount);
        const set = new Set(extras);
        this.track(this.retire(rec.name, (i) => set.has(i), true));
      }
      for (let n = alive.length; n < v.instanceCount; n++) {
        try {
          await this.startInstance(rec, plan, v);
        } catch (err) {
          if (err instanceof FleetFailure || err instanceof ModelDataError) throw new FleetFailure(err.message);
          throw err;
        }
        ready = false;
      }
      const healthy = alive.filter((i) => i.healthy).length;
      if (healthy < v.instanceCount) ready = false;
    }
    return ready;
  }

  /**
   * Pings and inspects the instances of one fleet. Returns a failure text for an instance that
   * could not start (exited, or not healthy within the startup window), undefined otherwise.
   */
  private async checkInstances(name: string, plan: FleetPlan): Promise<string | undefined> {
    const st = this.state(name);
    const now = Date.now();
    let failure: string | undefined;
    await Promise.all(
      [...st.instances.values()]
        .filter((i) => i.generation === plan.generation && !i.retiring)
        .map(async (i) => {
          const v = plan.variants.find((x) => x.variantName === i.variant);
          if (!v) return;
          if (i.exited) {
            if (!i.healthy) failure ??= await this.startupFailure(i, `exited during startup (${i.exited})`);
            return;
          }
          if (!i.healthy) {
            if (i.origin && (await ping(i.origin))) {
              i.healthy = true;
              i.lastPing = Date.now();
              this.deps.metrics.recordModelSetupTime(i.endpoint, i.variant, (i.lastPing - i.startedAt) * 1000);
              return;
            }
            if (i.exited) failure ??= await this.startupFailure(i, `exited during startup (${i.exited})`);
            else if (now - i.startedAt > v.startupTimeoutSeconds * 1000) {
              failure ??= await this.startupFailure(i, `did not answer GET /ping with 200 within ${v.startupTimeoutSeconds} seconds`);
              i.exited = 'health check timed out';
            }
            return;
          }
          if (now - i.lastPing < HEALTH_INTERVAL_MS && !i.route?.broken) return;
          i.lastPing = now;
          const verdict = await checkHealth(i.origin!);
          if (verdict === 'healthy') {
            i.failedPings = 0;
            if (i.route) i.route.broken = false;
          } else if (verdict === 'unknown') {
            // The platform could not run the check (see ./health.ts): not the container's fault.
            logger.warn({ endpoint: name, instance: i.id }, 'could not health-check instance (no resources on this side); not counted against it');
          } else if (++i.failedPings >= FAILED_PINGS_TO_REPLACE) {
            logger.warn({ endpoint: name, instance: i.id }, 'instance failed its health checks; replacing it');
            i.exited = 'failed health checks';
            this.unroute(i);
          }
        }),
    );
    return failure;
  }

  private async startupFailure(i: Instance, what: string): Promise<string> {
    await Promise.race([i.logsDone, new Promise((r) => setTimeout(r, 1_500))]);
    i.flushLogs();
    const lines = this.deps.logs.tail(endpointLogGroup(i.endpoint), `${i.variant}/${i.id}`, LOG_TAIL_LINES);
    // First sentence as SageMaker words it; the rest is what a person needs to act.
    const head = `The primary container for production variant ${i.variant} did not pass the ping health check. Please check CloudWatch logs for this endpoint.`;
    const tail = lines.length ? ` Last log lines: ${lines.join(' | ')}` : ' The container wrote no log lines.';
    return truncate(`${head} Instance ${i.id} ${what}.${tail}`);
  }

  private async startInstance(rec: ResourceRecord<EndpointDoc, EndpointInternal>, plan: FleetPlan, v: VariantPlan): Promise<Instance> {
    const rt = this.deps.runtime;
    const resolved = await rt.resolveImage(v.image);
    if (!resolved) throw new FleetFailure(missingImage(v));
    if (!v.resolvedImage) {
      v.resolvedImage = resolved.image.repoDigests[0] ?? `${resolved.local.replace(/:[^/:]+$/, '')}@${resolved.image.id}`;
      v.resolutionTime = Date.now() / 1000;
      this.deps.resources.update<EndpointDoc, EndpointInternal>('endpoint', rec.name, (r) => {
        for (const p of [r.internal.active, r.internal.pending]) {
          const pv = p?.generation === plan.generation ? p.variants.find((x) => x.variantName === v.variantName) : undefined;
          if (pv) {
            pv.resolvedImage = v.resolvedImage;
            pv.resolutionTime = v.resolutionTime;
          }
        }
      }, { touch: false });
    }
    let modelDir: string;
    if (v.modelDataUrl) {
      modelDir = await this.cache.prepare(v.modelDataUrl, { timeoutSeconds: v.downloadTimeoutSeconds });
    } else {
      // No model data: /opt/ml/model is an empty directory (§4.1).
      modelDir = join(this.deps.config.modelCacheDir, 'empty');
      await mkdir(modelDir, { recursive: true });
    }
    const host = await this.hostInfo();
    const limits = limitsFor(v.instanceType, host.cpus, host.memoryBytes, host.maxTasks);
    const id = `i-${randomBytes(8).toString('hex')}`;
    const cmd = containerCommand('serve');
    const containerName = `slipway-ep-${rec.name.toLowerCase().slice(0, 40)}-${id}`;
    const group = endpointLogGroup(rec.name);
    const stream = `${v.variantName}/${id}`;
    this.deps.logs.ensureStream(group, stream);
    if (limits.warnings.length) this.deps.logs.append(group, stream, limits.warnings.map((m) => ({ timestamp: Date.now(), message: `[slipway] ${m}` })));
    const network = await this.network(rec.name, rec.arn, v.enableNetworkIsolation);
    this.starting.add(containerName);
    const containerId = await rt.createContainer({
      name: containerName,
      image: resolved.local,
      ...(cmd.entrypoint ? { entrypoint: cmd.entrypoint } : {}),
      ...(cmd.cmd ? { cmd: cmd.cmd } : {}),
      env: v.environment,
      labels: {
        [LABELS.managed]: 'true',
        [LABELS.kind]: 'endpoint',
        [LABELS.name]: rec.name,
        [LABELS.arn]: rec.arn,
        [LABELS.variant]: v.variantName,
        [LABELS.instance]: id,
        [LABELS.home]: this.deps.config.home,
        [LABEL_GENERATION]: String(plan.generation),
        [LABEL_CONFIG]: plan.endpointConfigName,
      },
      binds: [{ hostPath: modelDir, containerPath: '/opt/ml/model', readOnly: true }],
      publishPorts: [8080],
      network: { name: network },
      ...specLimits(limits),
    }).finally(() => setImmediate(() => this.starting.delete(containerName)));
    const inst = this.attach(rec.name, v.variantName, id, plan.generation, containerId, Date.now());
    try {
      await rt.startContainer(containerId);
      const info = await rt.inspectContainer(containerId);
      const port = info?.ports[8080];
      if (port) inst.origin = `http://127.0.0.1:${port}`;
      else if (!inst.exited) inst.exited = info?.running ? 'no published port' : `exit code ${info?.exitCode ?? 'unknown'}`;
      this.watch(inst);
    } catch (err) {
      logger.warn({ err, endpoint: rec.name, container: containerName }, 'an instance could not start');
      inst.exited = startFailurePhrase(err);
    }
    inst.startedAt = Date.now();
    return inst;
  }

  /** The endpoint's network for isolated or other variants, created on first use (idempotent); its name. */
  private async network(endpoint: string, arn: string, isolated: boolean): Promise<string> {
    const name = this.networkName(endpoint, isolated);
    const opts = networkOptionsFor({ isolated, serving: true, hostAccess: this.deps.config.containers.hostAccess });
    try {
      await this.deps.runtime.createNetwork(name, { ...this.networkLabels(endpoint), [LABELS.arn]: arn }, opts);
    } catch (err) {
      // Never serve a model less guarded than asked: the endpoint fails with the reason.
      const reason = networkFailureReason(err, isolated);
      if (reason) throw new FleetFailure(reason);
      throw err;
    }
    return name;
  }

  private networkName(endpoint: string, isolated: boolean): string {
    // The hash covers the whole name (and the home), so endpoints sharing a 40-character prefix never share a network.
    return `slipway-ep-${endpoint.toLowerCase().slice(0, 40)}-${isolated ? 'iso' : 'net'}-${homeTag(`${this.deps.config.home}\n${endpoint.toLowerCase()}`)}`;
  }

  private networkLabels(endpoint?: string): Record<string, string> {
    return {
      [LABELS.managed]: 'true',
      [LABELS.kind]: 'endpoint',
      [LABELS.home]: this.deps.config.home,
      ...(endpoint !== undefined ? { [LABELS.name]: endpoint } : {}),
    };
  }

  /** Registers an instance and starts copying its log (instance.ts). */
  private attach(endpoint: string, variant: string, id: string, generation: number, containerId: string, startedAt: number): Instance {
    const inst = createInstance({ runtime: this.deps.runtime, logs: this.deps.logs, endpoint, variant, id, generation, containerId, startedAt });
    this.state(endpoint).instances.set(id, inst);
    return inst;
  }

  /**
   * Notices a dead container at once (docker kill, OOM, crash) instead of at the next ping. Only
   * for started containers: the engine's wait returns at once for one that is merely created.
   */
  private watch(inst: Instance): void {
    this.track(
      watchInstance(this.deps.runtime, inst, (how) => {
        if (inst.retiring) return;
        inst.exited ??= how;
        this.unroute(inst);
        this.deps.queue.enqueue(`endpoint:${inst.endpoint}`);
      }),
    );
  }

  /** Takes one instance out of the route immediately (the next reconcile replaces it). */
  private unroute(inst: Instance): void {
    const rec = this.deps.resources.get<EndpointDoc, EndpointInternal>('endpoint', inst.endpoint);
    if (rec && (rec.status === EndpointStatus.InService || rec.status === EndpointStatus.Updating)) this.publish(rec);
  }

  /**
   * Stops and removes the matching instances. With `drain`, they first leave the route and the
   * call waits until their requests in flight have finished.
   */
  private async retire(name: string, match: (i: Instance) => boolean, drain: boolean): Promise<void> {
    const st = this.state(name);
    const victims = [...st.instances.values()].filter((i) => match(i) && !i.retiring);
    if (victims.length === 0) return;
    for (const v of victims) {
      v.retiring = true;
      v.healthy = false;
    }
    const rec = this.deps.resources.get<EndpointDoc, EndpointInternal>('endpoint', name);
    if (rec && (rec.status === EndpointStatus.InService || rec.status === EndpointStatus.Updating)) this.publish(rec);
    if (drain) {
      const deadline = Date.now() + DRAIN_LIMIT_MS;
      while (victims.some((v) => (v.route?.outstanding ?? 0) > 0) && Date.now() < deadline && !this.stopped) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await Promise.all(
      victims.map(async (v) => {
        try {
          await this.deps.runtime.stopContainer(v.containerId, STOP_GRACE_SECONDS);
        } catch {
          // Already gone is fine; removal below reports real trouble.
        }
        v.abort.abort();
        await Promise.race([v.logsDone, new Promise((r) => setTimeout(r, 1_000))]);
        await this.deps.runtime.removeContainer(v.containerId, { force: true }).catch((err: unknown) => {
          logger.warn({ err, endpoint: name, instance: v.id }, 'could not remove endpoint container');
        });
        st.instances.delete(v.id);
      }),
    );
  }

  /** Every container of the endpoint goes, found by label as well (instances from before a restart). */
  private async teardown(name: string): Promise<void> {
    this.table.remove(name);
    await this.retire(name, () => true, false);
    const leftovers = await this.deps.runtime
      .listContainers({ [LABELS.managed]: 'true', [LABELS.kind]: 'endpoint', [LABELS.name]: name, [LABELS.home]: this.deps.config.home }, { all: true })
      .catch(() => []);
    await Promise.all(
      leftovers.map(async (c) => {
        await this.deps.runtime.stopContainer(c.id, STOP_GRACE_SECONDS).catch(() => undefined);
        await this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined);
      }),
    );
    // The isolated network goes once nothing is attached to it any more.
    for (const n of await this.deps.runtime.listNetworks(this.networkLabels(name)).catch(() => [])) {
      await this.deps.runtime.removeNetwork(n.name).catch((err: unknown) => logger.warn({ err, endpoint: name }, 'could not remove endpoint network'));
    }
    this.states.delete(name.toLowerCase());
  }

  // --- routing and status ----------------------------------------------------------------------

  /** Routes the active fleet's healthy instances with the active weights. */
  private publish(rec: ResourceRecord<EndpointDoc, EndpointInternal>): void {
    const st = this.state(rec.name);
    const plan = rec.internal.active;
    const capture = captureSettings(plan.dataCaptureConfig);
    const route = this.table.publish({
      name: rec.name,
      arn: rec.arn,
      ...(capture ? { capture } : {}),
      variants: plan.variants.map((v) => ({
        name: v.variantName,
        weight: v.weight,
        instances: [...st.instances.values()]
          .filter((i) => i.generation === plan.generation && i.variant === v.variantName && i.healthy && !i.exited && !i.retiring && i.origin)
          .map((i) => ({ instanceId: i.id, variant: i.variant, origin: i.origin!, logStream: `${i.variant}/${i.id}` })),
      })),
    });
    for (const v of route.variants) for (const r of v.instances) { const i = st.instances.get(r.instanceId); if (i) i.route = r; }
  }

  private setStatus(name: string, status: EndpointStatus, failureReason?: string): ResourceRecord<EndpointDoc, EndpointInternal> | undefined {
    const rec = this.deps.resources.update<EndpointDoc, EndpointInternal>('endpoint', name, (r) => {
      r.status = status;
      r.doc.EndpointStatus = status;
      if (failureReason !== undefined) r.doc.FailureReason = truncate(failureReason);
      r.doc.ProductionVariants = this.summaries(r);
    });
    return rec;
  }

  /** Writes per-variant counts and weights when they changed (Describe reads storage only). */
  private writeSummary(name: string): void {
    const rec = this.deps.resources.get<EndpointDoc, EndpointInternal>('endpoint', name);
    if (!rec) return;
    const next = this.summaries(rec);
    if (JSON.stringify(next) === JSON.stringify(rec.doc.ProductionVariants)) return;
    this.deps.resources.update<EndpointDoc, EndpointInternal>('endpoint', name, (r) => {
      r.doc.ProductionVariants = this.summaries(r);
    }, { touch: false });
  }

  private summaries(rec: ResourceRecord<EndpointDoc, EndpointInternal>): VariantSummaryDoc[] {
    const st = this.state(rec.name);
    const route = this.table.lookup(rec.name);
    const plan = rec.internal.active;
    return plan.variants.map((v) => {
      const routed = route?.variants.find((r) => r.name === v.variantName);
      const healthy = [...st.instances.values()].filter((i) => i.generation === plan.generation && i.variant === v.variantName && i.healthy && !i.exited && !i.retiring).length;
      return {
        VariantName: v.variantName,
        DeployedImages: [
          {
            SpecifiedImage: v.image,
            ...(v.resolvedImage ? { ResolvedImage: v.resolvedImage } : {}),
            ...(v.resolutionTime ? { ResolutionTime: v.resolutionTime } : {}),
          },
        ],
        CurrentWeight: routed?.weight ?? v.weight,
        DesiredWeight: v.weight,
        CurrentInstanceCount: healthy,
        DesiredInstanceCount: v.instanceCount,
        ...(st.waiting
          ? { VariantStatus: [{ Status: rec.status === EndpointStatus.Updating ? 'Updating' : 'Creating', StatusMessage: st.waiting.message, StartTime: st.waiting.since / 1000 }] }
          : {}),
      };
    });
  }

  // --- helpers ---------------------------------------------------------------------------------

  private state(name: string): EndpointState {
    const key = name.toLowerCase();
    let st = this.states.get(key);
    if (!st) {
      st = { instances: new Map(), replaceBackoffUntil: 0 };
      this.states.set(key, st);
    }
    return st;
  }

  private hostInfo(): Promise<{ cpus: number; memoryBytes: number; maxTasks?: number }> {
    this.hostResources ??= this.deps.runtime.info().then(
      (i) => ({ cpus: i.cpus || 1, memoryBytes: i.memoryBytes || 1024 ** 3, ...(i.maxTasks ? { maxTasks: i.maxTasks } : {}) }),
      () => ({ cpus: 1, memoryBytes: 1024 ** 3 }),
    );
    return this.hostResources;
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }
}

function missingImage(v: VariantPlan): string {
  const hint = missingImageHint(v.image);
  return `The image '${v.image}' for production variant ${v.variantName} was not found ${hint.where}. ${hint.remedy}`;
}

function truncate(s: string): string {
  return s.length > MAX_REASON ? `${s.slice(0, MAX_REASON - 1)}…` : s;
}

