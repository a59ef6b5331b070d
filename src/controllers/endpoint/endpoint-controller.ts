/**
 * @module controllers/endpoint/endpoint-controller — reconciles endpoints: the status switch, what
 * fleet each status asks for, publishing routes and per-variant summaries, and adoption after a
 * restart. The containers themselves are ./fleet-runner.ts's; the decisions over them are pure
 * functions in ./fleet.ts; routes and summaries are built in ./publishing.ts.
 *
 *   Creating ──fleet healthy──▶ InService ◀──────────────┐
 *      │                          │ UpdateEndpoint         │ new fleet failed: old fleet keeps
 *      └─fails─▶ Failed           ▼                        │ serving, FailureReason set
 *                              Updating ──new fleet healthy: swap routes, drain, stop old──┘
 *   any ──DeleteEndpoint──▶ Deleting ──containers stopped──▶ (record removed)
 *
 * An InService endpoint whose instance dies (exit, three failed pings) stays InService: the
 * instance leaves the route and is replaced.
 *
 * Restarts: containers carry labels (endpoint, variant, instance, fleet generation, Slipway home);
 * `resume()` adopts those of its own home, pings them and republishes routes before returning, so
 * invocations continue within a moment of the server starting again.
 */
import type { RoutePublisher } from '../../resources/endpoint-routes.js';
import { logger } from '../../platform/logger.js';
import { EndpointStatus, endpointSummaries, type FleetPlan } from '../../resources/endpoint.js';
import { truncateReason } from '../../resources/failure-reason.js';
import { nameOfKey, resourceKey, type ResourceRecord } from '../../resources/kinds.js';
import { LABELS, portUrl, type ContainerInfo } from '../../runtime/container-runtime.js';
import type { Controller, ControllerDeps } from '../controller.js';
import { OrphanSweeper } from '../orphan-sweeper.js';
import { ModelCache } from '../serving/model-cache.js';
import { TerminalFailure } from '../terminal-failure.js';
import { resolveImageOrFail } from '../resolve-image.js';
import { DONE, requeueAfter, type ReconcileResult } from '../work-queue.js';
import { admitFleet, endpointClaims } from './fleet-admission.js';
import { dropPending, isAlive, isServing, ofVariant, promotePending, scaleInVictims, settleFailedScaling } from './fleet.js';
import { FleetRunner, LABEL_GENERATION, missingImage } from './fleet-runner.js';
import type { Instance } from './instance.js';
import { routeSpec, variantSummaries } from './publishing.js';
import { adoptablePipelines, isPipelineContainer } from './pipeline-instance.js';
import { COLD_START_CHECK_MS, coldStarting, serverlessWant } from './serverless-fleet.js';

const RECONCILE_INTERVAL_MS = 1_000;
const STATS_INTERVAL_MS = 10_000;
/** After a replacement failed to start, the next attempt waits this long (InService only). */
const REPLACE_BACKOFF_MS = 10_000;

interface EndpointState {
  /** No replacement attempts before this time after a failed one (InService only). */
  replaceBackoffUntil: number;
  /** Why a fleet waits for capacity, and since when (shown as VariantStatus). */
  waiting?: { message: string; since: number };
}

export class EndpointController implements Controller {
  readonly kind = 'endpoint';
  private readonly states = new Map<string, EndpointState>();
  private readonly table: RoutePublisher;
  private readonly cache: ModelCache;
  private readonly fleet: FleetRunner;
  private readonly background = new Set<Promise<unknown>>();
  private statsTimer?: NodeJS.Timeout;
  private readonly sweeper: OrphanSweeper;

  constructor(private readonly deps: ControllerDeps) {
    this.table = deps.routes;
    // Until resume() has adopted what was serving, the data plane waits instead of "not found".
    this.table.beginRestore();
    this.cache = ModelCache.forControllers(deps);
    this.fleet = new FleetRunner(deps, this.cache, {
      republish: (name) => this.republish(name),
      ended: (name) => this.deps.queue.enqueue(resourceKey('endpoint', name)),
      track: (p) => this.track(p),
    });
    // A failed connection seen by the data plane: check that endpoint now, not at the next tick.
    this.table.onInstanceBroken((endpoint) => this.deps.queue.enqueue(resourceKey('endpoint', endpoint)));
    // A request for a serverless variant with no container: start one now (./serverless-fleet.ts).
    this.table.onServerlessDemand((endpoint) => this.deps.queue.enqueue(resourceKey('endpoint', endpoint)));
    deps.admission.register(() => endpointClaims(deps.resources));
    // Containers no instance owns (their removal failed, e.g. while the engine was unreachable) go.
    this.sweeper = new OrphanSweeper({
      runtime: deps.runtime,
      kind: 'endpoint',
      home: deps.config.clusterId,
      ownsContainer: async (c) => this.fleet.owns(c),
      ownsNetwork: async (name) => (await this.liveNetworks()).has(name),
      onReconnect: async () => {
        for (const rec of await this.liveRecords()) this.deps.queue.enqueue(resourceKey('endpoint', rec.name));
      },
    });
    // CPUUtilization / MemoryUtilization per instance (SageMaker's /aws/sagemaker/Endpoints metrics).
    this.statsTimer = setInterval(() => void this.fleet.sampleStats(), STATS_INTERVAL_MS);
    this.statsTimer.unref();
  }

  readonly reconcile = async (key: string): Promise<ReconcileResult> => {
    const name = nameOfKey(key);
    const rec = await this.deps.resources.get('endpoint', name);
    if (!rec) {
      await this.teardown(name);
      return DONE;
    }
    switch (rec.status) {
      case EndpointStatus.Deleting:
        await this.teardown(name);
        await this.deps.resources.delete('endpoint', name);
        return DONE;
      case EndpointStatus.Failed:
        await this.teardown(name);
        return DONE;
      case EndpointStatus.Creating:
        return await this.reconcileCreating(rec);
      case EndpointStatus.InService:
        return await this.reconcileServing(rec);
      case EndpointStatus.Updating:
        return await this.reconcileUpdating(rec);
      default:
        return DONE;
    }
  };

  // --- lifecycle -------------------------------------------------------------------------------

  /** Endpoints whose containers may run. */
  private async liveRecords(): Promise<ResourceRecord<'endpoint'>[]> {
    return await this.deps.resources.listByStatus('endpoint', [
      EndpointStatus.Creating,
      EndpointStatus.InService,
      EndpointStatus.Updating,
      EndpointStatus.Deleting,
    ]);
  }

  /** The networks endpoints that are not being deleted may use. */
  private async liveNetworks(records?: ResourceRecord<'endpoint'>[]): Promise<Set<string>> {
    records ??= await this.liveRecords();
    return new Set(
      records.filter((r) => r.status !== EndpointStatus.Deleting).flatMap((r) => [this.fleet.networkName(r.name, true), this.fleet.networkName(r.name, false)]),
    );
  }

  async resume(): Promise<void> {
    try {
      if (this.deps.config.databaseUrl === undefined) await this.adopt();
      else {
        // Replicas on one database: another replica may run these endpoints. Each is adopted by
        // the replica that gets its lease (adoptEndpoint); the sweeper, which judges containers by
        // this process's fleet, would take other replicas' instances for orphans and stays off.
        for (const rec of await this.liveRecords()) this.deps.queue.enqueue(resourceKey('endpoint', rec.name));
      }
    } finally {
      this.table.endRestore();
    }
  }

  /**
   * Replicas: this replica took the endpoint's lease over from another. Attaches the instances that
   * replica started (by labels, as after a restart) and routes them, before the first reconcile
   * here, so the endpoint keeps serving instead of being rebuilt.
   */
  async adoptEndpoint(name: string): Promise<void> {
    const rec = (await this.liveRecords()).find((r) => r.name.toLowerCase() === name.toLowerCase());
    if (!rec) return;
    const containers = await this.deps.runtime
      .listContainers({ [LABELS.managed]: 'true', [LABELS.kind]: 'endpoint', [LABELS.name]: rec.name, [LABELS.home]: this.deps.config.clusterId }, { all: true })
      .catch((err: unknown) => {
        logger.warn({ err, endpoint: rec.name }, 'cannot list the containers of a taken-over endpoint');
        return [] as ContainerInfo[];
      });
    const have = this.fleet.instances(rec.name);
    const adopted: Instance[] = [];
    for (const c of containers) {
      const id = c.labels[LABELS.instance] ?? c.id.slice(0, 12);
      const generation = Number(c.labels[LABEL_GENERATION]);
      const known = rec.internal.active.generation === generation || rec.internal.pending?.generation === generation;
      // Dead or unknown ones are replaced or removed by the reconcile that follows.
      if (have.has(id) || !known || !c.running || !c.ports[8080]) continue;
      const inst = await this.fleet.attach(rec.name, c.labels[LABELS.variant] ?? '', id, generation, c.id, c.startedAt?.getTime() ?? Date.now());
      inst.origin = portUrl(c, 8080)!;
      this.fleet.watch(inst);
      adopted.push(inst);
    }
    await Promise.all(adopted.map((i) => this.fleet.adoptHealth(i)));
    if (rec.status === EndpointStatus.InService || rec.status === EndpointStatus.Updating) this.publish(rec);
    logger.info({ endpoint: rec.name, adopted: adopted.length }, 'adopted the instances of a taken-over endpoint');
  }

  private async adopt(): Promise<void> {
    const records = await this.liveRecords();
    const byName = new Map(records.map((r) => [r.name.toLowerCase(), r]));
    // Listed now, before any endpoint is enqueued; removed in the background (a crashed extraction
    // can leave 100,000 files, and adoption must not wait for them).
    this.track((await this.cache.removeLeftovers()).done);
    let containers: ContainerInfo[] = [];
    try {
      containers = await this.deps.runtime.listContainers(
        { [LABELS.managed]: 'true', [LABELS.kind]: 'endpoint', [LABELS.home]: this.deps.config.clusterId },
        { all: true },
      );
    } catch (err) {
      logger.warn({ err }, 'endpoint controller: cannot list containers to adopt');
    }
    const adopted: Instance[] = [];
    const strays: Promise<unknown>[] = [];
    const knownFleet = (c: ContainerInfo) => {
      const rec = byName.get((c.labels[LABELS.name] ?? '').toLowerCase());
      const generation = Number(c.labels[LABEL_GENERATION]);
      const known = rec && rec.status !== EndpointStatus.Deleting && (rec.internal.active.generation === generation || rec.internal.pending?.generation === generation);
      return known ? { rec, generation } : undefined;
    };
    // Inference pipelines: an instance is several containers, adopted together or not at all.
    const pipelines = adoptablePipelines(containers.filter(isPipelineContainer), (c) => {
      const fleet = knownFleet(c);
      const plan = fleet && [fleet.rec.internal.active, fleet.rec.internal.pending].find((p) => p?.generation === fleet.generation);
      return plan?.variants.find((v) => v.variantName === c.labels[LABELS.variant])?.pipeline?.containers.length;
    });
    for (const c of pipelines.strays) strays.push(this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined));
    for (const { first: c, members } of pipelines.instances) {
      const { rec, generation } = knownFleet(c)!;
      const inst = await this.fleet.attach(rec.name, c.labels[LABELS.variant] ?? '', c.labels[LABELS.instance] ?? c.id.slice(0, 12), generation, c.id, c.startedAt?.getTime() ?? Date.now(), members);
      inst.origin = members[0]!.origin!;
      this.fleet.watch(inst);
      adopted.push(inst);
    }
    for (const c of containers.filter((x) => !isPipelineContainer(x))) {
      const rec = byName.get((c.labels[LABELS.name] ?? '').toLowerCase());
      const generation = Number(c.labels[LABEL_GENERATION]);
      const known = rec && rec.status !== EndpointStatus.Deleting && (rec.internal.active.generation === generation || rec.internal.pending?.generation === generation);
      if (!rec || !known || !c.running || !c.ports[8080]) {
        // Belongs to nothing that should run (deleted while we were down, or a dead instance).
        strays.push(this.deps.runtime.removeContainer(c.id, { force: true }).catch(() => undefined));
        continue;
      }
      const inst = await this.fleet.attach(rec.name, c.labels[LABELS.variant] ?? '', c.labels[LABELS.instance] ?? c.id.slice(0, 12), generation, c.id, c.startedAt?.getTime() ?? Date.now());
      inst.origin = portUrl(c, 8080)!;
      this.fleet.watch(inst);
      adopted.push(inst);
    }
    // Isolated networks of endpoints deleted while the server was down go once their containers have.
    const live = await this.liveNetworks(records);
    this.track(
      Promise.all(strays).then(async () => {
        for (const n of await this.deps.runtime.listNetworks(this.fleet.networkLabels()).catch(() => [])) {
          if (!live.has(n.name)) await this.deps.runtime.removeNetwork(n.name).catch(() => undefined);
        }
      }),
    );
    await Promise.all(adopted.map((i) => this.fleet.adoptHealth(i)));
    for (const rec of records) {
      if (rec.status === EndpointStatus.InService || rec.status === EndpointStatus.Updating) this.publish(rec);
      this.deps.queue.enqueue(resourceKey('endpoint', rec.name));
    }
    logger.info({ adopted: adopted.length, endpoints: records.length }, 'endpoint controller resumed');
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    this.table.endRestore();
    if (this.statsTimer) clearInterval(this.statsTimer);
    await this.sweeper.stop();
    this.fleet.stop();
    await Promise.allSettled([...this.background]);
  }

  // --- per status ------------------------------------------------------------------------------

  private async reconcileCreating(rec: ResourceRecord<'endpoint'>): Promise<ReconcileResult> {
    try {
      const ready = await this.driveFleet(rec, rec.internal.active);
      if (!ready) {
        await this.writeSummary(rec.name);
        return requeueAfter(500);
      }
    } catch (err) {
      if (!(err instanceof TerminalFailure)) throw err;
      await this.teardown(rec.name);
      await this.setStatus(rec.name, EndpointStatus.Failed, err.reason);
      return DONE;
    }
    const updated = await this.setStatus(rec.name, EndpointStatus.InService);
    if (updated) this.publish(updated);
    return requeueAfter(RECONCILE_INTERVAL_MS);
  }

  private async reconcileServing(rec: ResourceRecord<'endpoint'>): Promise<ReconcileResult> {
    const st = this.state(rec.name);
    if (Date.now() >= st.replaceBackoffUntil) {
      try {
        await this.driveFleet(rec, rec.internal.active);
      } catch (err) {
        if (!(err instanceof TerminalFailure)) throw err;
        // A replacement failed to start; keep serving with what is healthy and try again later.
        st.replaceBackoffUntil = Date.now() + REPLACE_BACKOFF_MS;
        // Requests waiting for a serverless cold start would otherwise wait out their timeout.
        this.table.serverlessStartFailed(rec.name, err.reason);
        logger.warn({ endpoint: rec.name, reason: err.reason }, 'replacement instance failed');
      }
    } else {
      await this.fleet.check(rec.name, rec.internal.active);
    }
    this.publish(rec);
    await this.writeSummary(rec.name);
    return requeueAfter(coldStarting(rec, this.fleet.instances(rec.name).values()) ? COLD_START_CHECK_MS : RECONCILE_INTERVAL_MS);
  }

  private async reconcileUpdating(rec: ResourceRecord<'endpoint'>): Promise<ReconcileResult> {
    const pending = rec.internal.pending;
    if (!pending) return this.reconcileScaling(rec);
    // Keep the old fleet healthy while the new one starts.
    await this.fleet.check(rec.name, rec.internal.active);
    this.publish(rec);
    let ready: boolean;
    try {
      ready = await this.driveFleet(rec, pending);
    } catch (err) {
      if (!(err instanceof TerminalFailure)) throw err;
      await this.fleet.retire(rec.name, (i) => i.generation === pending.generation, false);
      await this.deps.resources.update('endpoint', rec.name, (r) => {
        dropPending(r.internal);
        this.writeStatus(r, EndpointStatus.InService, err.reason);
      });
      return requeueAfter(RECONCILE_INTERVAL_MS);
    }
    if (!ready) return requeueAfter(500);
    // Blue/green switch: the route moves to the new fleet in one step; the old fleet drains.
    const oldGeneration = rec.internal.active.generation;
    const updated = await this.deps.resources.update('endpoint', rec.name, (r) => {
      promotePending(r.internal, pending);
      this.writeStatus(r, EndpointStatus.InService);
      r.doc.EndpointConfigName = pending.endpointConfigName;
      delete r.doc.FailureReason;
    });
    if (updated) this.publish(updated);
    await this.writeSummary(rec.name);
    this.track(this.fleet.retire(rec.name, (i) => i.generation === oldGeneration, true));
    return requeueAfter(RECONCILE_INTERVAL_MS);
  }

  /** UpdateEndpointWeightsAndCapacities: scale the active fleet, then back to InService. */
  private async reconcileScaling(rec: ResourceRecord<'endpoint'>): Promise<ReconcileResult> {
    let ready: boolean;
    try {
      ready = await this.driveFleet(rec, rec.internal.active);
    } catch (err) {
      if (!(err instanceof TerminalFailure)) throw err;
      const members = [...this.fleet.instances(rec.name).values()];
      await this.deps.resources.update('endpoint', rec.name, (r) => {
        // Keep the capacity that is actually serving.
        settleFailedScaling(r.internal.active, members);
        this.writeStatus(r, EndpointStatus.InService, err.reason);
      });
      return requeueAfter(RECONCILE_INTERVAL_MS);
    }
    this.publish(rec);
    if (!ready) {
      await this.writeSummary(rec.name);
      return requeueAfter(500);
    }
    const updated = await this.setStatus(rec.name, EndpointStatus.InService);
    if (updated) this.publish(updated);
    await this.writeSummary(rec.name);
    return requeueAfter(RECONCILE_INTERVAL_MS);
  }

  // --- fleets ----------------------------------------------------------------------------------

  /**
   * One step towards `plan`: checks instances, replaces dead ones, starts missing ones, retires
   * extras. Returns true when every variant has its count of serving instances. Throws
   * TerminalFailure when an instance could not start (image, model data, exit, health timeout);
   * dead instances are already on their way out then, so a later call starts replacements.
   */
  private async driveFleet(rec: ResourceRecord<'endpoint'>, plan: FleetPlan): Promise<boolean> {
    const st = this.state(rec.name);
    // A fleet that cannot start fails at once rather than after its turn for capacity.
    const fresh = !plan.admitted && (rec.status === EndpointStatus.Creating || rec.internal.pending?.generation === plan.generation);
    if (fresh) for (const v of plan.variants) if (!(await resolveImageOrFail(this.deps.runtime, v.image, false))) throw new TerminalFailure(missingImage(v));
    const admitted = await admitFleet(this.deps.resources, this.deps.admission, rec, plan);
    if (admitted.state === 'refused') throw new TerminalFailure(admitted.message);
    if (admitted.state === 'waiting') {
      st.waiting = { message: admitted.message, since: st.waiting?.since ?? Date.now() };
      return false;
    }
    delete st.waiting;
    const failure = await this.fleet.check(rec.name, plan);
    this.fleet.removeDead(rec.name, plan);
    if (failure) throw new TerminalFailure(failure);
    let ready = true;
    const instances = this.fleet.instances(rec.name);
    for (const v of plan.variants) {
      const alive = ofVariant(instances.values(), plan.generation, v.variantName).filter(isAlive);
      const sized = v.serverless ? serverlessWant(this.table, this.deps.config, rec.name, v, alive.length, (await this.fleet.hostInfo()).memoryBytes) : undefined;
      const want = sized?.want ?? v.instanceCount;
      const extras = new Set(scaleInVictims(alive, want));
      if (extras.size) this.track(this.fleet.retire(rec.name, (i) => extras.has(i), true));
      for (let n = alive.length; n < (sized?.now ?? want); n++) {
        await this.fleet.start(rec, plan, v);
        ready = false;
      }
      if (alive.filter(isServing).length < want) ready = false;
    }
    return ready;
  }

  /** Every container of the endpoint goes, and its route. */
  private async teardown(name: string): Promise<void> {
    this.table.remove(name);
    await this.fleet.removeAll(name);
    this.states.delete(name.toLowerCase());
  }

  // --- routing and status ----------------------------------------------------------------------

  /** Routes the active fleet's serving instances with the active weights. */
  private publish(rec: ResourceRecord<'endpoint'>): void {
    const instances = this.fleet.instances(rec.name);
    const route = this.table.publish(routeSpec(rec, instances.values()));
    for (const v of route.variants) for (const r of v.instances) { const i = instances.get(r.instanceId); if (i) i.route = r; }
  }

  /** Instances left the routable set: route again while the endpoint serves. */
  private async republish(name: string): Promise<void> {
    const rec = await this.deps.resources.get('endpoint', name);
    if (rec && (rec.status === EndpointStatus.InService || rec.status === EndpointStatus.Updating)) this.publish(rec);
  }

  /** Status lives in the record and its document alike; written together. */
  private writeStatus(r: ResourceRecord<'endpoint'>, status: EndpointStatus, failureReason?: string): void {
    r.status = status;
    r.doc.EndpointStatus = status;
    if (failureReason !== undefined) r.doc.FailureReason = truncateReason(failureReason);
  }

  private async setStatus(name: string, status: EndpointStatus, failureReason?: string): Promise<ResourceRecord<'endpoint'> | undefined> {
    return await this.deps.resources.update('endpoint', name, (r) => {
      this.writeStatus(r, status, failureReason);
      Object.assign(r.doc, this.summaries(r));
    });
  }

  /** Writes per-variant counts and weights when they changed (Describe reads storage only). */
  private async writeSummary(name: string): Promise<void> {
    const rec = await this.deps.resources.get('endpoint', name);
    if (!rec) return;
    const next = this.summaries(rec);
    if (JSON.stringify(next.ProductionVariants) === JSON.stringify(rec.doc.ProductionVariants) && JSON.stringify(next.ShadowProductionVariants) === JSON.stringify(rec.doc.ShadowProductionVariants)) return;
    await this.deps.resources.update('endpoint', name, (r) => {
      Object.assign(r.doc, this.summaries(r));
    }, { touch: false });
  }

  private summaries(rec: ResourceRecord<'endpoint'>) {
    return endpointSummaries(variantSummaries(rec, this.fleet.instances(rec.name).values(), this.table.lookup(rec.name), this.state(rec.name).waiting), rec.internal.active);
  }

  // --- helpers ---------------------------------------------------------------------------------

  private state(name: string): EndpointState {
    const key = name.toLowerCase();
    let st = this.states.get(key);
    if (!st) {
      st = { replaceBackoffUntil: 0 };
      this.states.set(key, st);
    }
    return st;
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }
}
