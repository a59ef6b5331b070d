/**
 * @module controllers/endpoint/fleet-runner — the containers of endpoint fleets: starts `serve`
 * instances, health-checks them, notices those that die, and stops and removes them (draining
 * first when asked). Each instance's life is an InstanceState (./fleet.ts); the endpoint controller
 * decides what a fleet should be, this module makes the containers so.
 *
 * Instances: one `serve` container per instance (../serving/serve-container.ts: model data
 * mounted read-only at /opt/ml/model, port 8080 on 127.0.0.1, instance-type limits) with the
 * variant's Environment. An instance serves only after `GET /ping` answers 200 within the
 * variant's ContainerStartupHealthCheckTimeoutInSeconds (default 600 s, as the inference toolkit's
 * SAGEMAKER_STARTUP_TIMEOUT). Serving instances are pinged every 2 s; one whose container exits
 * (noticed at once through a wait on the container) or that fails three pings in a row has died.
 *
 * An inference pipeline's instance runs all its containers (./pipeline-instance.ts): healthy when
 * every one answers /ping, dead when any one exits.
 *
 * Networks (controllers/resource-network.ts): every endpoint's instances join a bridge of the
 * endpoint's own; EnableNetworkIsolation adds a second per-endpoint bridge without outbound NAT
 * and without inter-container traffic, guarded by the host firewall
 * (runtime/docker/host-firewall.ts). A network that cannot be guarded so is not created.
 */
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { logger } from '../../platform/logger.js';
import { endpointLogGroup, type FleetPlan, type VariantPlan } from '../../resources/endpoint.js';
import { truncateReason } from '../../resources/failure-reason.js';
import { limitsFor } from '../../resources/instance-types.js';
import { serverlessLimits } from '../../resources/serverless.js';
import type { ResourceRecord } from '../../resources/kinds.js';
import { missingImageMessage } from '../../runtime/image-ref.js';
import { LABELS, containerCeiling } from '../../runtime/container-runtime.js';
import type { ControllerDeps } from '../controller.js';
import { homeTag } from '../home-tag.js';
import { networkFailureReason, networkOptionsFor } from '../resource-network.js';
import type { ModelCache } from '../serving/model-cache.js';
import { multiModelDir } from '../serving/multi-model-loader.js';
import { modelDirFor, serveContainerSpec, servingOrigin } from '../serving/serve-container.js';
import { modelStagingPlan } from '../serving/model-staging.js';
import { TerminalFailure } from '../terminal-failure.js';
import { resolveImageOrFail } from '../resolve-image.js';
import { startFailurePhrase } from '../job-common/failure-reason.js';
import { InstanceState, isAlive, isDead, isServing, markEnded, markRetiring, markServing, markStartFailed } from './fleet.js';
import { createInstance, instanceContainerIds, instanceLogStreams, watchInstance, type Instance, type PipelineMember } from './instance.js';
import { createPipelineContainers, instanceHealth, pipelineContainerName, startPipelineContainers, type CreatedMember } from './pipeline-instance.js';
import type { PipelinePlan } from '../../resources/inference-pipeline.js';

export const LABEL_GENERATION = 'slipway.generation';
const LABEL_CONFIG = 'slipway.endpoint-config';
const HEALTH_INTERVAL_MS = 2_000;
const FAILED_PINGS_TO_REPLACE = 3;
/** SageMaker stops hosting containers with SIGTERM, then SIGKILL 30 s later (§4.1). */
const STOP_GRACE_SECONDS = 30;
/** How long a retired fleet may keep finishing requests in flight before it is stopped. */
const DRAIN_LIMIT_MS = 70_000;
const LOG_TAIL_LINES = 10;

/** What the runner tells the endpoint controller. */
export interface FleetHooks {
  /** Instances left the set that may be routed (retiring, died): publish the endpoint's route again. */
  republish(endpoint: string): Promise<void>;
  /** An instance's container stopped on its own: reconcile the endpoint now. */
  ended(endpoint: string): void;
  /** Background work the controller waits for at stop(). */
  track(p: Promise<unknown>): void;
}

export class FleetRunner {
  private readonly fleets = new Map<string, Map<string, Instance>>();
  /** Names of containers being created, not yet tracked as instances (the sweeper leaves them be). */
  private readonly starting = new Set<string>();
  private hostResources?: Promise<{ cpus: number; memoryBytes: number; maxTasks?: number }>;
  private stopped = false;

  constructor(
    private readonly deps: ControllerDeps,
    private readonly cache: ModelCache,
    private readonly hooks: FleetHooks,
  ) {}

  /** The endpoint's instances, by id (created on first use). */
  instances(endpoint: string): Map<string, Instance> {
    const key = endpoint.toLowerCase();
    let m = this.fleets.get(key);
    if (!m) {
      m = new Map();
      this.fleets.set(key, m);
    }
    return m;
  }

  /** Every instance of every endpoint. */
  *all(): Iterable<Instance> {
    for (const m of this.fleets.values()) yield* m.values();
  }

  /** True for a container an instance owns or that is being created (the orphan sweeper asks). */
  owns(container: { id: string; name: string }): boolean {
    return this.starting.has(container.name) || [...this.all()].some((i) => instanceContainerIds(i).includes(container.id));
  }

  forget(endpoint: string): void {
    this.fleets.delete(endpoint.toLowerCase());
  }

  /** Stops draining waits and background tasks; containers keep running. */
  stop(): void {
    this.stopped = true;
    for (const i of this.all()) i.abort.abort();
  }

  /** Registers an instance and starts copying its log (instance.ts). */
  async attach(endpoint: string, variant: string, id: string, generation: number, containerId: string, startedAt: number, members?: PipelineMember[]): Promise<Instance> {
    const inst = await createInstance({ runtime: this.deps.runtime, logs: this.deps.logs, endpoint, variant, id, generation, containerId, startedAt, ...(members ? { members } : {}) });
    this.instances(endpoint).set(id, inst);
    return inst;
  }

  /** Adopted after a restart: serving at once when its ping answers. */
  async adoptHealth(inst: Instance): Promise<void> {
    if (inst.origin && (await instanceHealth(inst)) === 'healthy') {
      markServing(inst);
      inst.lastPing = Date.now();
    }
  }

  /**
   * Notices a dead container at once (docker kill, OOM, crash) instead of at the next ping. Only
   * for started containers: the engine's wait returns at once for one that is merely created.
   */
  /** Routes again without waiting (from callbacks that cannot): a failure is logged, the next tick retries. */
  private republishSoon(endpoint: string): void {
    this.hooks.republish(endpoint).catch((err: unknown) => logger.warn({ err, endpoint }, 'could not route the endpoint again'));
  }

  watch(inst: Instance): void {
    this.hooks.track(
      watchInstance(this.deps.runtime, inst, (how) => {
        if (inst.state === InstanceState.Retiring) return;
        markEnded(inst, how);
        this.republishSoon(inst.endpoint);
        this.hooks.ended(inst.endpoint);
      }),
    );
  }

  /**
   * Pings and inspects the instances of one fleet. Returns a failure text for an instance that
   * could not start (exited, or not serving within the startup window), undefined otherwise.
   */
  async check(name: string, plan: FleetPlan): Promise<string | undefined> {
    const now = Date.now();
    let failure: string | undefined;
    await Promise.all(
      [...this.instances(name).values()]
        .filter((i) => i.generation === plan.generation && i.state !== InstanceState.Retiring)
        .map(async (i) => {
          const v = plan.variants.find((x) => x.variantName === i.variant);
          if (!v) return;
          if (i.state === InstanceState.StartFailed) {
            failure ??= await this.startupFailure(i, `exited during startup (${i.reason})`);
            return;
          }
          if (i.state === InstanceState.Died) return;
          if (i.state === InstanceState.Starting) {
            if (i.origin && (await instanceHealth(i)) === 'healthy') {
              if (!markServing(i)) return;
              i.lastPing = Date.now();
              this.deps.metrics.recordModelSetupTime(i.endpoint, i.variant, (i.lastPing - i.startedAt) * 1000);
              return;
            }
            // The container may have stopped while the ping was under way (the watcher marks it).
            if (isDead(i)) failure ??= await this.startupFailure(i, `exited during startup (${i.reason})`);
            else if (isAlive(i) && now - i.startedAt > v.startupTimeoutSeconds * 1000) {
              failure ??= await this.startupFailure(i, `did not answer GET /ping with 200 within ${v.startupTimeoutSeconds} seconds`);
              markEnded(i, 'health check timed out');
            }
            return;
          }
          if (now - i.lastPing < HEALTH_INTERVAL_MS && !i.route?.broken) return;
          i.lastPing = now;
          const verdict = await instanceHealth(i);
          if (verdict === 'healthy') {
            i.failedPings = 0;
            if (i.route) i.route.broken = false;
          } else if (verdict === 'unknown') {
            // The platform could not run the check (see ../serving/health.ts): not the container's fault.
            logger.warn({ endpoint: name, instance: i.id }, 'could not health-check instance (no resources on this side); not counted against it');
          } else if (++i.failedPings >= FAILED_PINGS_TO_REPLACE) {
            logger.warn({ endpoint: name, instance: i.id }, 'instance failed its health checks; replacing it');
            markEnded(i, 'failed health checks');
            this.republishSoon(name);
          }
        }),
    );
    return failure;
  }

  /** Dead instances of the fleet never come back: removed (in the background) so replacements can take their place. */
  removeDead(name: string, plan: FleetPlan): void {
    const dead = new Set([...this.instances(name).values()].filter((i) => i.generation === plan.generation && isDead(i)));
    if (dead.size) this.hooks.track(this.retire(name, (i) => dead.has(i), false));
  }

  private async startupFailure(i: Instance, what: string): Promise<string> {
    await Promise.race([i.logsDone, new Promise((r) => setTimeout(r, 1_500))]);
    await i.flushLogs();
    const lines = (await Promise.all(instanceLogStreams(i).map((stream) => this.deps.logs.tail(endpointLogGroup(i.endpoint), stream, LOG_TAIL_LINES)))).flat();
    // First sentence as SageMaker words it; the rest is what a person needs to act.
    const head = `The primary container for production variant ${i.variant} did not pass the ping health check. Please check CloudWatch logs for this endpoint.`;
    const tail = lines.length ? ` Last log lines: ${lines.join(' | ')}` : ' The container wrote no log lines.';
    return truncateReason(`${head} Instance ${i.id} ${what}.${tail}`);
  }

  /** Starts one instance of `v` (Starting until its ping answers). Throws TerminalFailure for what the user must fix. */
  async start(rec: ResourceRecord<'endpoint'>, plan: FleetPlan, v: VariantPlan): Promise<Instance> {
    const rt = this.deps.runtime;
    const resolved = await resolveImageOrFail(rt, v.image, false);
    if (!resolved) throw new TerminalFailure(missingImage(v));
    if (!v.resolvedImage) await this.recordResolvedImage(rec.name, plan, v, resolved.image.repoDigests[0] ?? `${resolved.local.replace(/:[^/:]+$/, '')}@${resolved.image.id}`);
    // A cluster engine stages the model on the node it picks; one engine mounts the shared cache.
    // A multi-model variant's ModelDataUrl is a prefix: nothing is extracted at start; models load on first use.
    if (rt.stagesData && v.multiModel) throw new TerminalFailure('Multi-model endpoints cannot run on a cluster engine yet (SLIPWAY_RUNTIME=swarm); deploy them on a single engine.');
    // A pipeline's containers each get their own model data (./pipeline-instance.ts).
    const modelDir = v.pipeline ? undefined : await modelDirFor(this.cache, this.deps.config.modelCacheDir, v.multiModel ? undefined : v.modelDataUrl, v.downloadTimeoutSeconds);
    const model = !modelDir ? {} : rt.stagesData ? { staging: await modelStagingPlan(this.deps.staging, modelDir) } : { modelDir };
    const host = await this.hostInfo();
    const limits = v.serverless
      ? serverlessLimits(v.serverless, host.cpus, host.memoryBytes, host.maxTasks)
      : limitsFor(v.instanceType, host.cpus, host.memoryBytes, host.maxTasks, this.deps.config.containers.gpus);
    const id = `i-${randomBytes(8).toString('hex')}`;
    const containerName = `slipway-ep-${rec.name.toLowerCase().slice(0, 40)}-${id}`;
    const group = endpointLogGroup(rec.name);
    // A pipeline instance has a stream per container (`<variant>/<id>/<hostname>`), none of its own.
    for (const stream of instanceLogStreams({ variant: v.variantName, id, ...(v.pipeline ? { members: v.pipeline.containers } : {}) })) {
      await this.deps.logs.ensureStream(group, stream);
      if (limits.warnings.length) await this.deps.logs.append(group, stream, limits.warnings.map((m) => ({ timestamp: Date.now(), message: `[slipway] ${m}` })));
    }
    const network = await this.network(rec.name, rec.arn, v.enableNetworkIsolation);
    const labels = {
      [LABELS.managed]: 'true',
      [LABELS.kind]: 'endpoint',
      [LABELS.name]: rec.name,
      [LABELS.arn]: rec.arn,
      [LABELS.variant]: v.variantName,
      [LABELS.instance]: id,
      [LABELS.home]: this.deps.config.clusterId,
      [LABEL_GENERATION]: String(plan.generation),
      [LABEL_CONFIG]: plan.endpointConfigName,
    };
    if (v.pipeline) return this.startPipeline(rec.name, plan, v, v.pipeline, { id, baseName: containerName, labels, network, limits });
    this.starting.add(containerName);
    const containerId = await rt.createContainer(serveContainerSpec({
      name: containerName,
      image: resolved.local,
      env: v.environment,
      labels,
      ...model,
      ...(v.multiModel ? { modelsDir: await ensureDir(multiModelDir(this.deps.config.modelCacheDir, id)) } : {}),
      network,
      limits,
    })).finally(() => setImmediate(() => this.starting.delete(containerName)));
    const inst = await this.attach(rec.name, v.variantName, id, plan.generation, containerId, Date.now());
    try {
      await rt.startContainer(containerId);
      const served = await servingOrigin(rt, containerId);
      if ('origin' in served) inst.origin = served.origin;
      else markEnded(inst, served.problem);
      this.watch(inst);
    } catch (err) {
      // The reason in the image's terms; the engine's own words go to the log only.
      logger.warn({ err, endpoint: rec.name, container: containerName }, 'an instance could not start');
      markStartFailed(inst, startFailurePhrase(err));
    }
    inst.startedAt = Date.now();
    return inst;
  }

  /** One instance of an inference pipeline: all its containers, started in order (./pipeline-instance.ts). */
  private async startPipeline(
    endpoint: string,
    plan: FleetPlan,
    v: VariantPlan,
    pipeline: PipelinePlan,
    o: { id: string; baseName: string; labels: Record<string, string>; network: string; limits: ReturnType<typeof limitsFor> },
  ): Promise<Instance> {
    const rt = this.deps.runtime;
    let inst: Instance;
    try {
      const made = await createPipelineContainers({
        runtime: rt,
        cache: this.cache,
        modelCacheDir: this.deps.config.modelCacheDir,
        pipeline,
        variantName: v.variantName,
        baseName: o.baseName,
        labels: o.labels,
        network: o.network,
        limits: o.limits,
        downloadTimeoutSeconds: v.downloadTimeoutSeconds,
        starting: this.starting,
        ...(rt.stagesData ? { staging: (modelDir: string) => modelStagingPlan(this.deps.staging, modelDir) } : {}),
      });
      const members = made.map((m) => ({ hostname: m.hostname, containerId: m.containerId }));
      inst = await this.attach(endpoint, v.variantName, o.id, plan.generation, made[0]!.containerId, Date.now(), members);
      await this.startPipelineMembers(endpoint, inst, made);
    } finally {
      // Owned by the instance now (or removed): the sweeper may judge them again.
      const names = pipeline.containers.map((_, k) => pipelineContainerName(o.baseName, k));
      setImmediate(() => names.forEach((n) => this.starting.delete(n)));
    }
    inst.startedAt = Date.now();
    return inst;
  }

  private async startPipelineMembers(endpoint: string, inst: Instance, made: CreatedMember[]): Promise<void> {
    try {
      const problem = await startPipelineContainers(this.deps.runtime, inst, made);
      if (problem) markEnded(inst, problem);
      this.watch(inst);
    } catch (err) {
      logger.warn({ err, endpoint, instance: inst.id }, 'a pipeline instance could not start');
      markStartFailed(inst, startFailurePhrase(err));
    }
  }

  /** DescribeEndpoint's ResolvedImage: the digest the fleet runs, recorded once per variant. */
  private async recordResolvedImage(endpoint: string, plan: FleetPlan, v: VariantPlan, digest: string): Promise<void> {
    v.resolvedImage = digest;
    v.resolutionTime = Date.now() / 1000;
    await this.deps.resources.update('endpoint', endpoint, (r) => {
      for (const p of [r.internal.active, r.internal.pending]) {
        const pv = p?.generation === plan.generation ? p.variants.find((x) => x.variantName === v.variantName) : undefined;
        if (pv) {
          pv.resolvedImage = v.resolvedImage;
          pv.resolutionTime = v.resolutionTime;
        }
      }
    }, { touch: false });
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
      if (reason) throw new TerminalFailure(reason);
      throw err;
    }
    return name;
  }

  networkName(endpoint: string, isolated: boolean): string {
    // The hash covers the whole name (and the home), so endpoints sharing a 40-character prefix never share a network.
    return `slipway-ep-${endpoint.toLowerCase().slice(0, 40)}-${isolated ? 'iso' : 'net'}-${homeTag(`${this.deps.config.clusterId}\n${endpoint.toLowerCase()}`)}`;
  }

  networkLabels(endpoint?: string): Record<string, string> {
    return {
      [LABELS.managed]: 'true',
      [LABELS.kind]: 'endpoint',
      [LABELS.home]: this.deps.config.clusterId,
      ...(endpoint !== undefined ? { [LABELS.name]: endpoint } : {}),
    };
  }

  /**
   * Stops and removes the matching instances. With `drain`, they first leave the route and the
   * call waits until their requests in flight have finished.
   */
  async retire(name: string, match: (i: Instance) => boolean, drain: boolean): Promise<void> {
    const fleet = this.instances(name);
    const victims = [...fleet.values()].filter((i) => match(i) && i.state !== InstanceState.Retiring);
    if (victims.length === 0) return;
    for (const v of victims) markRetiring(v);
    await this.hooks.republish(name);
    if (drain) {
      const deadline = Date.now() + DRAIN_LIMIT_MS;
      while (victims.some((v) => (v.route?.outstanding ?? 0) > 0) && Date.now() < deadline && !this.stopped) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await Promise.all(
      victims.map(async (v) => {
        const ids = instanceContainerIds(v);
        // Already gone is fine; removal below reports real trouble.
        await Promise.all(ids.map((id) => this.deps.runtime.stopContainer(id, STOP_GRACE_SECONDS).catch(() => undefined)));
        v.abort.abort();
        await Promise.race([v.logsDone, new Promise((r) => setTimeout(r, 1_000))]);
        for (const id of ids) {
          await this.deps.runtime.removeContainer(id, { force: true }).catch((err: unknown) => {
            logger.warn({ err, endpoint: name, instance: v.id }, 'could not remove endpoint container');
          });
        }
        fleet.delete(v.id);
      }),
    );
  }

  /** Every container of the endpoint goes, found by label as well (instances from before a restart), then its networks. */
  async removeAll(name: string): Promise<void> {
    await this.retire(name, () => true, false);
    const leftovers = await this.deps.runtime
      .listContainers({ [LABELS.managed]: 'true', [LABELS.kind]: 'endpoint', [LABELS.name]: name, [LABELS.home]: this.deps.config.clusterId }, { all: true })
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
    this.forget(name);
  }

  /** Per-instance CPU and memory of serving instances (SageMaker's /aws/sagemaker/Endpoints metrics). */
  async sampleStats(): Promise<void> {
    for (const i of [...this.all()]) {
      if (!isServing(i)) continue;
      // A pipeline instance is all its containers: their CPU and memory add up (each has the instance's limit).
      const all = await Promise.all(instanceContainerIds(i).map((id) => this.deps.runtime.stats(id).catch(() => undefined)));
      if (all.some((s) => !s)) continue;
      const s = all.reduce((a, b) => ({ cpuPercent: a!.cpuPercent + b!.cpuPercent, memoryBytes: a!.memoryBytes + b!.memoryBytes, memoryLimitBytes: a!.memoryLimitBytes }))!;
      const memory = s.memoryLimitBytes > 0 ? (100 * s.memoryBytes) / s.memoryLimitBytes : 0;
      this.deps.metrics.recordEndpointInstance(i.endpoint, i.variant, i.id, s.cpuPercent, memory);
    }
  }

  /** The most one instance can get: the engine host's CPUs, memory and task limit, or a cluster's largest node's (asked once). */
  hostInfo(): Promise<{ cpus: number; memoryBytes: number; maxTasks?: number }> {
    this.hostResources ??= this.deps.runtime.info().then(containerCeiling).then(
      (i) => ({ cpus: i.cpus || 1, memoryBytes: i.memoryBytes || 1024 ** 3, ...(i.maxTasks ? { maxTasks: i.maxTasks } : {}) }),
      () => ({ cpus: 1, memoryBytes: 1024 ** 3 }),
    );
    return this.hostResources;
  }
}

/** A variant's image this host cannot find. */
export function missingImage(v: VariantPlan): string {
  return missingImageMessage(v.image, `for production variant ${v.variantName}`);
}

async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}
