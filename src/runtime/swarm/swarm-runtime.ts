/**
 * @module runtime/swarm/swarm-runtime — `ContainerRuntime` on Docker Swarm: each container is a
 * one-task service, made through the manager's Engine API (DOCKER_HOST points at a manager).
 *
 *   createContainer ─▶ service, stopped (replicated-job with 0 completions, or replicated with
 *                      0 replicas for restart: 'always'); startContainer asks for 1
 *   inspect / list / wait ─▶ the service's current task as the manager sees it (swarm-mapping.ts)
 *   logs ─▶ the manager's service logs (swarm-logs.ts); networks ─▶ attachable overlays
 *   stop / kill / stats ─▶ the engine of the task's node when reachable (node-engines.ts)
 *
 * The mapping, what cannot map and why: docs/cluster.md, "The Swarm runtime".
 */
import Docker from 'dockerode';
import {
  ContainerStartError,
  ImageUnavailableError,
  RuntimeError,
  RuntimeNotFoundError,
  RuntimeUnsupportedError,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type CollectPlan,
  type ContainerStats,
  type EngineInfo,
  type ImageInfo,
  type LogLine,
  type NetworkOptions,
  type RegistryAuth,
  type ResolvedImage,
} from '../container-runtime.js';
import { imageOnlyOnManagerMessage } from '../image-ref.js';
import { DockerRuntime } from '../docker/docker-runtime.js';
import { containerStartFailure, translateError } from '../docker/docker-mapping.js';
import { ENGINE_LABEL, NodeEngines, clientFor } from './node-engines.js';
import { STAGED_NODE_LABEL, SwarmStaging } from './swarm-staging.js';

/** Services of one `placement.apartGroup` carry it, so the next member can avoid their nodes. */
const APART_LABEL = 'slipway.swarm.apart';
import { SwarmApi } from './swarm-api.js';
import { abortReason, pause } from '../engine-helpers.js';
import { followServiceLogs, serviceLogStream } from './swarm-logs.js';
import {
  ISOLATES_LABEL,
  STOPPED_LABEL,
  currentTask,
  isolationNetworkFor,
  nodeLabel,
  phaseOf,
  schedulableNodes,
  serviceImage,
  serviceNameFor,
  startRequested,
  toContainerInfo,
  toServiceSpec,
  type NodeDetails,
  type Phase,
  type RawNode,
  type RawService,
  type RawTask,
} from './swarm-mapping.js';
import { SwarmNetworks } from './swarm-networks.js';

export interface SwarmRuntimeOptions {
  /** A client for a manager. Default: `new Docker()` (DOCKER_HOST, as with the docker CLI). */
  docker?: Docker;
  /** Generic resource kind GPUs are advertised as (`dockerd --node-generic-resource gpu=…`). Default `gpu`. */
  gpuResource?: string;
  /** How often task state is looked at while waiting. */
  pollMs?: number;
  /** Whether stop/kill/stats may go to the engine of a task's node (its `slipway.engine` label). Default true. */
  nodeAccess?: boolean;
  /**
   * How long `startContainer` waits for the task to run (or end) before it returns with the task
   * still waiting (no node with the resources, image being pulled); `inspectContainer` then says why.
   */
  startWaitMs?: number;
  /** Image the stager and uploader of `ContainerSpec.staging` run in (stdlib Python 3, on every node). Default `slipway-base/python:bookworm`. */
  stagerImage?: string;
  /** Longest staging may take, waiting for a node included. Default 30 min. */
  stageTimeoutMs?: number;
}

interface View {
  service: RawService;
  tasks: RawTask[];
  nodes: RawNode[];
  task?: RawTask;
  node?: RawNode;
  phase: Phase;
}

/**
 * The current task could not start its process (Swarm: state rejected/failed, Err "starting
 * container failed: … exec: …"): said in the image's terms, as the Docker runtime does.
 */
function startFailure(v: View): ContainerStartError | undefined {
  const status = v.task?.Status;
  if (!status?.Err || !['rejected', 'failed'].includes(status.State ?? '') || !/starting container failed/.test(status.Err)) return undefined;
  const { reason, permanent } = containerStartFailure(status.Err);
  return new ContainerStartError(reason, permanent, new RuntimeError(status.Err));
}

const notFound = (id: string, action: string) => new RuntimeNotFoundError(`${action}: No such container: ${id}`);

/**
 * Swarm implementation of {@link ContainerRuntime}. Beyond the interface contract:
 * - `createContainer` refuses bind mounts (RuntimeUnsupportedError) and network options an overlay
 *   cannot enforce (RuntimeIsolationError), having made nothing.
 * - `networkDisabled` gives the container an internal overlay network of its own (Swarm has no
 *   `none` network for services): loopback plus one interface that reaches nothing.
 * - A job container (`restart: 'never'`) whose node is lost has ended with exit code null and a
 *   `reason`; `waitContainer` then answers -1. A service container (`'always'`) is restarted by
 *   Swarm, on another node when its node is lost.
 * - Without node access, `killContainer` takes only SIGKILL (a stop with no grace), and `stats`
 *   gives undefined; the stop grace of a job is the `stopGraceSeconds` fixed at creation.
 */
export class SwarmRuntime implements ContainerRuntime {
  private readonly api: SwarmApi;
  private readonly manager: DockerRuntime;
  private readonly networks: SwarmNetworks;
  private readonly engines: NodeEngines | undefined;
  private readonly gpuResource: string;
  private readonly pollMs: number;
  private readonly startWaitMs: number;
  private selfId: Promise<string> | undefined;
  private readonly staging: SwarmStaging;
  /** Containers may run on any node: data is staged there (`ContainerSpec.staging`), never bind-mounted. */
  readonly stagesData = true;

  constructor(opts: SwarmRuntimeOptions = {}) {
    const docker = opts.docker ?? new Docker();
    this.api = new SwarmApi(docker);
    this.manager = new DockerRuntime({ docker, networkPool: false });
    this.networks = new SwarmNetworks(docker);
    this.gpuResource = opts.gpuResource ?? 'gpu';
    this.pollMs = opts.pollMs ?? 200;
    this.startWaitMs = opts.startWaitMs ?? 60_000;
    this.engines = opts.nodeAccess === false ? undefined : new NodeEngines(() => this.managerNodeId(), this.manager);
    this.staging = new SwarmStaging(this.api, {
      image: opts.stagerImage ?? 'slipway-base/python:bookworm',
      pollMs: this.pollMs,
      stageTimeoutMs: opts.stageTimeoutMs ?? 30 * 60_000,
      collectTimeoutMs: 30 * 60_000,
      nodeDocker: (id) => this.nodeDocker(id),
      stop: (service, grace) => this.stopContainer(service, grace),
    });
  }

  private managerNodeId(): Promise<string> {
    this.selfId ??= this.api.docker.info().then((i: { Swarm?: { NodeID?: string } }) => i.Swarm?.NodeID ?? '');
    return this.selfId.catch((err: unknown) => {
      this.selfId = undefined;
      throw translateError(err, 'engine info');
    });
  }

  /** A client for one node's engine: the manager's own, or the node's `slipway.engine` label. */
  private async nodeDocker(nodeId: string): Promise<Docker | undefined> {
    if (nodeId === (await this.managerNodeId())) return this.api.docker;
    if (!this.engines) return undefined;
    const node = (await this.api.nodes()).find((n) => n.ID === nodeId);
    const address = node?.Spec?.Labels?.[ENGINE_LABEL];
    return address ? clientFor(address) : undefined;
  }

  async ping(): Promise<boolean> {
    if (!(await this.manager.ping())) return false;
    try {
      const i = (await this.api.docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
      return i.Swarm?.LocalNodeState === 'active' && i.Swarm.ControlAvailable === true;
    } catch {
      return false;
    }
  }

  /** The cluster's ready nodes added up; version and architecture are the manager's. */
  async info(): Promise<EngineInfo> {
    const [own, nodes] = await Promise.all([this.manager.info(), this.api.nodes()]);
    const ready = nodes.filter((n) => n.Status?.State === 'ready');
    const sum = (f: (n: RawNode) => number | undefined) => ready.reduce((a, n) => a + (f(n) ?? 0), 0);
    const max = (f: (n: RawNode) => number | undefined) => ready.reduce((a, n) => Math.max(a, f(n) ?? 0), 0);
    return {
      ...own,
      cpus: Math.floor(sum((n) => n.Description?.Resources?.NanoCPUs) / 1e9) || own.cpus,
      memoryBytes: sum((n) => n.Description?.Resources?.MemoryBytes) || own.memoryBytes,
      // The manager's task limit stands in for every node's (nodes do not report theirs).
      perContainer: {
        cpus: Math.floor(max((n) => n.Description?.Resources?.NanoCPUs) / 1e9) || own.cpus,
        memoryBytes: max((n) => n.Description?.Resources?.MemoryBytes) || own.memoryBytes,
        ...(own.maxTasks ? { maxTasks: own.maxTasks } : {}),
      },
    };
  }

  /** Images as the manager holds them (docs/cluster.md, "Images"). */
  inspectImage(ref: string): Promise<ImageInfo | undefined> {
    return this.manager.inspectImage(ref);
  }

  /** Into the manager's engine (the registry layer pulls Slipway's images there to inspect them). */
  pullImage(ref: string, auth: RegistryAuth): Promise<void> {
    return this.manager.pullImage(ref, auth);
  }

  /**
   * A local image (not from a registry the nodes pull from): found in the manager's engine, and
   * usable only when every node a task may land on holds the same image id (checked through the
   * nodes' engines). Otherwise ImageUnavailableError names the nodes that lack it: nothing pushes
   * it for the user (docs/cluster.md, "Images", says why).
   */
  async resolveImage(ref: string): Promise<ResolvedImage | undefined> {
    const resolved = await this.manager.resolveImage(ref);
    if (!resolved) return undefined;
    const lacking = await this.nodesLacking(resolved.image.id);
    if (lacking.length) throw new ImageUnavailableError(imageOnlyOnManagerMessage(ref, lacking), lacking);
    return resolved;
  }

  /** Schedulable nodes that do not hold image `id`, or whose engine cannot be asked (named so). */
  private async nodesLacking(id: string): Promise<string[]> {
    const nodes = schedulableNodes(await this.api.nodes());
    const answers = await Promise.all(
      nodes.map(async (n) => {
        const name = nodeLabel(n) ?? n.ID;
        const rt = this.engines ? await this.engines.forNode(n) : n.ID === (await this.managerNodeId()) ? this.manager : undefined;
        if (!rt) return `${name} (its engine cannot be reached: no slipway.engine label)`;
        const has = await rt.inspectImage(id).catch(() => undefined);
        return has?.id === id ? undefined : name;
      }),
    );
    return answers.filter((a): a is string => a !== undefined).sort();
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const image = await this.manager.inspectImage(spec.image);
    if (!image) throw new RuntimeNotFoundError(`create container ${spec.name}: No such image: ${spec.image}`);
    // Refusals (binds, bad placement) come before anything is made. The service names the image
    // by digest or id, so no node runs another image of the same name.
    const body = toServiceSpec({ ...spec, image: serviceImage(spec.image, image) }, { image, gpuResource: this.gpuResource });
    await this.clampReservations(body);
    if (spec.placement?.apartGroup) await this.keepApart(body, spec.placement.apartGroup);
    if (spec.networkDisabled) {
      await this.networks.create(isolationNetworkFor(body.Name), { [ISOLATES_LABEL]: body.Name }, { internal: true });
    }
    try {
      return spec.staging ? await this.staging.create(spec, body) : await this.api.create(body, spec.pullAuth?.());
    } catch (err) {
      if (spec.networkDisabled) await this.networks.remove(isolationNetworkFor(body.Name)).catch(() => undefined);
      throw err;
    }
  }

  /**
   * A reservation above every node's capacity would never be scheduled: cut it to the largest ready
   * node, as limits are cut to the engine's capacity on one machine.
   */
  private async clampReservations(body: ReturnType<typeof toServiceSpec>): Promise<void> {
    const r = body.TaskTemplate.Resources?.Reservations;
    if (!r || (!r.NanoCPUs && !r.MemoryBytes)) return;
    const ready = (await this.api.nodes()).filter((n) => n.Status?.State === 'ready');
    const max = (f: (n: RawNode) => number | undefined) => Math.max(0, ...ready.map((n) => f(n) ?? 0));
    const cpus = max((n) => n.Description?.Resources?.NanoCPUs);
    const mem = max((n) => n.Description?.Resources?.MemoryBytes);
    if (r.NanoCPUs && cpus) r.NanoCPUs = Math.min(r.NanoCPUs, cpus);
    if (r.MemoryBytes && mem) r.MemoryBytes = Math.min(r.MemoryBytes, mem);
  }

  /**
   * `placement.apartGroup`: not on a node another member of the group runs on (or is staged on).
   * Swarm has no anti-affinity between services, so it becomes `node.id!=…` constraints; the
   * scheduler still picks among the rest.
   */
  private async keepApart(body: ReturnType<typeof toServiceSpec>, group: string): Promise<void> {
    body.Labels[APART_LABEL] = group;
    const members = (await this.api.services({ [APART_LABEL]: group })).filter((s) => s.Spec.Name !== body.Name);
    // Staged members name their node in a label; tasks are only needed for the others.
    const tasks = await this.api.tasks(members.map((m) => m.ID)).catch(() => [] as RawTask[]);
    const taken = new Set<string>();
    for (const m of members) {
      const node = m.Spec.Labels[STAGED_NODE_LABEL] ?? currentTask(tasks.filter((t) => t.ServiceID === m.ID))?.NodeID;
      if (node) taken.add(node);
    }
    if (taken.size === 0) return;
    body.TaskTemplate.Placement = { Constraints: [...(body.TaskTemplate.Placement?.Constraints ?? []), ...[...taken].map((n) => `node.id!=${n}`)] };
  }

  /** Sends an ended staged container's folders back from its node (swarm-staging.ts). */
  async collectStaged(id: string, plan: CollectPlan): Promise<void> {
    const v = await this.mustView(id, `collect from container ${id}`);
    await this.staging.collect(v.service, plan, async (nodeId) => (await this.api.nodes()).find((n) => n.ID === nodeId)?.Status?.State === 'ready');
  }

  private async find(id: string): Promise<RawService | undefined> {
    const byName = serviceNameFor(id);
    return (byName !== id ? await this.api.service(byName) : undefined) ?? (await this.api.service(id));
  }

  private async view(id: string): Promise<View | undefined> {
    const service = await this.find(id);
    if (!service) return undefined;
    const [tasks, nodes] = await Promise.all([this.api.tasks([service.ID]), this.api.nodes()]);
    return this.viewOf(service, tasks, nodes);
  }

  private viewOf(service: RawService, tasks: RawTask[], nodes: RawNode[]): View {
    const task = currentTask(tasks);
    const node = task?.NodeID ? nodes.find((n) => n.ID === task.NodeID) : undefined;
    return { service, tasks, nodes, task, node, phase: phaseOf(service, task, node) };
  }

  private async mustView(id: string, action: string): Promise<View> {
    const v = await this.view(id);
    if (!v) throw notFound(id, action);
    return v;
  }

  /**
   * Asks for one task and returns once it runs or has ended, as a single engine's start returns
   * once the process is there (published ports and stats exist from then on); after
   * `startWaitMs` it returns with the task still waiting.
   */
  async startContainer(id: string): Promise<void> {
    const v = await this.mustView(id, `start container ${id}`);
    if (!startRequested(v.service) || v.service.Spec.Labels[STOPPED_LABEL]) {
      await this.staging.release(v.service);
      await this.api.update(v.service.ID, (s) => {
        delete s.Labels[STOPPED_LABEL];
        if ('ReplicatedJob' in s.Mode) s.Mode.ReplicatedJob.TotalCompletions = 1;
        else s.Mode.Replicated.Replicas = 1;
        return s;
      });
    }
    const deadline = Date.now() + this.startWaitMs;
    while (Date.now() < deadline) {
      const now = await this.view(id);
      if (now) {
        const failed = startFailure(now);
        if (failed) throw failed;
      }
      if (!now || now.phase !== 'waiting') return;
      await pause(this.pollMs);
    }
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<{ exitCode: number }> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const info = await this.inspectContainer(id);
      if (!info) throw notFound(id, `wait for container ${id}`);
      if (!info.running && info.state !== 'created') return { exitCode: info.exitCode ?? -1 };
      await pause(this.pollMs, signal);
    }
  }

  /** The task's container on its node's engine, when this runtime may and can reach it. */
  private async onNode(v: View): Promise<{ rt: DockerRuntime; container: string } | undefined> {
    const container = v.task?.Status?.ContainerStatus?.ContainerID;
    if (!this.engines || !container || !v.node || v.node.Status?.State !== 'ready') return undefined;
    const rt = await this.engines.forNode(v.node);
    return rt ? { rt, container } : undefined;
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    const v = await this.mustView(id, `stop container ${id}`);
    if (v.phase === 'ended' || (v.phase === 'waiting' && !startRequested(v.service))) return;
    const grace = Math.max(0, Math.ceil(graceSeconds));
    const always = 'Replicated' in v.service.Spec.Mode;
    const node = await this.onNode(v);
    if (always || !node) {
      // Ask for nothing to run: Swarm stops the task with the grace fixed in its spec and, for a
      // service, does not start it again.
      await this.api.update(v.service.ID, (s) => {
        s.Labels[STOPPED_LABEL] = '1';
        if ('ReplicatedJob' in s.Mode) {
          s.Mode.ReplicatedJob.TotalCompletions = 0;
          s.TaskTemplate.ForceUpdate = (s.TaskTemplate.ForceUpdate ?? 0) + 1;
        } else s.Mode.Replicated.Replicas = 0;
        return s;
      });
    }
    if (node) {
      // Exactly the engine's stop: SIGTERM, `grace` seconds, SIGKILL (whichever kill comes first).
      await node.rt.stopContainer(node.container, grace).catch((err: unknown) => {
        if (!(err instanceof RuntimeNotFoundError)) throw err;
      });
    }
    // Done when the manager sees the task ended too, so inspect agrees with this return.
    const deadline = Date.now() + (grace + 30) * 1000;
    while (Date.now() < deadline) {
      const now = await this.view(id);
      if (!now || now.phase === 'ended' || (now.task === undefined && now.service.Spec.Labels[STOPPED_LABEL])) return;
      await pause(this.pollMs);
    }
    throw new RuntimeError(`stop container ${id}: its task did not end within ${grace + 30}s`);
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    const v = await this.mustView(id, `kill container ${id}`);
    if (v.phase !== 'running') return;
    const node = await this.onNode(v);
    if (node) return node.rt.killContainer(node.container, signal);
    if (signal === 'SIGKILL' || signal === 'KILL' || signal === '9') return this.stopContainer(id, 0);
    throw new RuntimeUnsupportedError(`kill container ${id} with ${signal}: the engine of its node is out of reach (no slipway.engine label), and a Swarm manager delivers only stops`);
  }

  async removeContainer(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const v = await this.mustView(id, `remove container ${id}`);
    if (v.phase !== 'ended' && startRequested(v.service) && !opts.force) {
      throw new RuntimeError(`remove container ${id}: You cannot remove a running container; stop it first or force the removal`);
    }
    // Deleting the service stops its task with the spec's grace; a forced removal (like
    // `docker rm -f`) kills it at once where the node can be reached.
    const node = v.phase === 'ended' ? undefined : await this.onNode(v);
    await this.api.remove(v.service.ID);
    if (node) await node.rt.killContainer(node.container, 'SIGKILL').catch(() => undefined);
    await this.staging.cleanup(v.service);
    const isolation = isolationNetworkFor(v.service.Spec.Name);
    // Swarm detaches the task a moment after the service goes: the network waits for that.
    if (await this.networks.inspect(isolation)) await this.networks.remove(isolation);
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    const v = await this.view(id);
    return v ? this.infoOf(v) : undefined;
  }

  private async infoOf(v: View): Promise<ContainerInfo> {
    return toContainerInfo(v.service, v.tasks, v.nodes, await this.details(v));
  }

  /** Times, OOM flag and exit code from the node's own record of the task's container. */
  private async details(v: View): Promise<NodeDetails> {
    const node = await this.onNode(v);
    if (!node) return {};
    const c = await node.rt.inspectContainer(node.container).catch(() => undefined);
    if (!c) return {};
    return {
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt && !c.running ? { finishedAt: c.finishedAt } : {}),
      oomKilled: c.oomKilled,
      ...(!c.running && c.state !== 'created' ? { exitCode: c.exitCode } : {}),
    };
  }

  async listContainers(labels: Record<string, string>, opts: { all?: boolean } = {}): Promise<ContainerInfo[]> {
    let services: RawService[] = [];
    let tasks: RawTask[] = [];
    let nodes: RawNode[] = [];
    for (let attempt = 0; ; attempt++) {
      services = await this.api.services(labels);
      if (services.length === 0) return [];
      try {
        [tasks, nodes] = await Promise.all([this.api.tasks(services.map((s) => s.ID)), this.api.nodes()]);
        break;
      } catch (err) {
        // A service deleted between the two calls makes the task filter fail: list again.
        if (!(err instanceof RuntimeNotFoundError) || attempt >= 4) throw err;
      }
    }
    const infos = await Promise.all(
      services.map((s) => this.infoOf(this.viewOf(s, tasks.filter((t) => t.ServiceID === s.ID), nodes))),
    );
    return opts.all ? infos : infos.filter((i) => i.running);
  }

  followLogs(id: string, opts: { sinceMs?: number; signal?: AbortSignal } = {}): AsyncIterable<LogLine> {
    const docker = this.api.docker;
    const src = {
      phase: async () => (await this.mustView(id, `follow logs of ${id}`)).phase,
      open: async (follow: boolean, sinceMs: number | undefined, signal: AbortSignal) => {
        const s = await this.find(id);
        if (!s) throw notFound(id, `follow logs of ${id}`);
        return serviceLogStream(docker, s.ID, follow, sinceMs, signal);
      },
    };
    return followServiceLogs(src, id, { ...opts, pollMs: this.pollMs, drainMs: 500, readTimeoutMs: 10_000 });
  }

  createNetwork(name: string, labels: Record<string, string> = {}, opts: NetworkOptions = {}): Promise<string> {
    return this.networks.create(name, labels, opts);
  }

  removeNetwork(name: string): Promise<void> {
    return this.networks.remove(name);
  }

  listNetworks(labels: Record<string, string>): Promise<{ id: string; name: string }[]> {
    return this.networks.list(labels);
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const v = await this.view(id);
    if (!v || v.phase !== 'running') return undefined;
    const node = await this.onNode(v);
    return node ? node.rt.stats(node.container) : undefined;
  }
}
