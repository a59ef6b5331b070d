/**
 * @module runtime/swarm/swarm-mapping — pure translation between the engine-neutral runtime types
 * and Docker Swarm's API (v1.41): a `ContainerSpec` becomes a one-task service spec, and a service
 * with its tasks and nodes becomes a `ContainerInfo`. Kept apart from the socket code so it can be
 * unit-tested without a cluster.
 *
 *   ContainerSpec ──toServiceSpec──▶ service (replicated-job, or replicated for restart: 'always')
 *   service + tasks + nodes ──toContainerInfo──▶ ContainerInfo (the current task's state)
 *
 * Every service gets `dnsrr` endpoints and host-mode ports: this kernel family may lack IPVS, and
 * without it Swarm's virtual IPs and routing mesh answer nothing (docs/cluster.md).
 * https://docs.docker.com/engine/swarm/networking/#configure-service-discovery
 */
import { createHash } from 'node:crypto';
import {
  RuntimeError,
  RuntimeUnsupportedError,
  type ContainerInfo,
  type ContainerSpec,
  type ContainerState,
  type ImageInfo,
} from '../container-runtime.js';

/** Service label holding the container name the caller gave (service names are DNS labels). */
export const NAME_LABEL = 'slipway.swarm.name';
/** Service label recording how the container should be read: `always` restarts; `stopped` once stopped. */
export const RESTART_LABEL = 'slipway.swarm.restart';
export const STOPPED_LABEL = 'slipway.swarm.stopped';
/** Network label naming the container a per-container isolation network belongs to. */
export const ISOLATES_LABEL = 'slipway.swarm.isolates';
const INTERNAL_LABELS = [NAME_LABEL, RESTART_LABEL, STOPPED_LABEL];

export const DEFAULT_STOP_GRACE_SECONDS = 30;

/**
 * The service name for a container name: the name itself when Swarm accepts it (a DNS label of at
 * most 63 characters), otherwise a readable prefix plus a hash of the whole name, so the mapping
 * stays deterministic and a retry finds what it made before.
 */
export function serviceNameFor(name: string): string {
  if (/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  const prefix = name.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+/, '').slice(0, 48).replace(/-+$/, '');
  return `${prefix || 'c'}-${hash}`;
}

/** The internal overlay network that stands in for "no network" (Swarm has no `none` network). */
export function isolationNetworkFor(serviceName: string): string {
  return serviceNameFor(`${serviceName}-isolated`);
}

/**
 * The image a service names, so that every node runs the bits the manager inspected: a reference
 * by digest (`host:port/repo@sha256:…`, Slipway's registry) as given — each node pulls exactly that
 * or already has it; any other reference as the manager's image id — a node holding another image
 * under the same name does not have that id, and its task is rejected ("No such image") instead of
 * running the wrong program. Swarm does not pull an image named by id.
 * https://docs.docker.com/engine/swarm/services/#specify-the-image-version-a-service-should-use
 */
export function serviceImage(ref: string, image: ImageInfo): string {
  return /@sha256:[0-9a-f]{64}$/.test(ref) ? ref : image.id;
}

/**
 * The nodes a task may be scheduled on (ready and active): the ones that must hold a local image.
 */
export function schedulableNodes(nodes: RawNode[]): RawNode[] {
  return nodes.filter((n) => n.Status?.State === 'ready' && (n.Spec?.Availability ?? 'active') === 'active');
}

const CONSTRAINT_TOKEN = /^[A-Za-z0-9._-]+$/;

/** `node.labels.K==V` for each label; refuses characters that would change the expression. */
export function placementConstraints(nodeLabels: Record<string, string> = {}): string[] {
  return Object.entries(nodeLabels).map(([k, v]) => {
    if (!CONSTRAINT_TOKEN.test(k) || !CONSTRAINT_TOKEN.test(v)) {
      throw new RuntimeError(`placement label ${JSON.stringify(k)}=${JSON.stringify(v)}: keys and values may hold only letters, digits, '.', '_' and '-'`);
    }
    return `node.labels.${k}==${v}`;
  });
}

const seconds = (s: number) => Math.round(s * 1e9);

/** The subset of a Swarm service spec this runtime writes (and reads back). */
export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Command?: string[];
      Args?: string[];
      Env?: string[];
      Hostname?: string;
      Dir?: string;
      StopSignal?: string;
      StopGracePeriod?: number;
      Mounts?: ({ Type: 'tmpfs'; Target: string; TmpfsOptions?: { SizeBytes?: number } } | { Type: 'volume'; Source: string; Target: string })[];
    };
    Resources?: {
      Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
      Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: { DiscreteResourceSpec: { Kind: string; Value: number } }[] };
    };
    RestartPolicy: { Condition: 'none' | 'on-failure' | 'any'; Delay?: number; MaxAttempts?: number };
    Placement?: { Constraints?: string[] };
    Networks?: { Target: string; Aliases?: string[] }[];
    ForceUpdate?: number;
  };
  Mode: { ReplicatedJob: { MaxConcurrent: number; TotalCompletions: number } } | { Replicated: { Replicas: number } };
  EndpointSpec: { Mode: 'dnsrr'; Ports?: { Protocol: 'tcp'; TargetPort: number; PublishMode: 'host' }[] };
}

export interface ServiceSpecOptions {
  /** The image as inspected on the manager: its CMD is needed when `entrypoint: []` clears the ENTRYPOINT. */
  image?: ImageInfo;
  /** Generic resource kind GPUs are advertised as on the nodes (`dockerd --node-generic-resource gpu=…`). */
  gpuResource: string;
}

/**
 * The service for one container, created stopped: a replicated job with no completions asked
 * (`restart: 'never'`) or a replicated service with no replicas (`'always'`); `startContainer`
 * asks for one. Throws `RuntimeUnsupportedError` for bind mounts: a task may run on another
 * machine, where this host's directory does not exist (staging is the cluster's job).
 */
export function toServiceSpec(spec: ContainerSpec, opts: ServiceSpecOptions): ServiceSpec {
  if (spec.binds?.length) {
    const paths = spec.binds.map((b) => b.hostPath).join(', ');
    throw new RuntimeUnsupportedError(
      `container ${spec.name}: the Swarm runtime cannot bind-mount host directories (${paths}); a task may run on another node, where they do not exist. Cluster data staging is described in docs/cluster.md`,
    );
  }
  if (spec.networkDisabled && (spec.publishPorts?.length || spec.network)) {
    throw new RuntimeError(`container ${spec.name}: networkDisabled cannot be combined with published ports or a network`);
  }
  for (const port of spec.publishPorts ?? []) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError(`container ${spec.name}: invalid port ${port}`);
  }
  const always = spec.restart === 'always';
  const name = serviceNameFor(spec.name);
  const container: ServiceSpec['TaskTemplate']['ContainerSpec'] = {
    Image: spec.image,
    ...commandOf(spec, opts.image),
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    // SIGTERM whatever the image says, as the Docker runtime pins it (SageMaker's stop contract).
    StopSignal: 'SIGTERM',
    StopGracePeriod: seconds(spec.stopGraceSeconds ?? DEFAULT_STOP_GRACE_SECONDS),
  };
  if (spec.hostname !== undefined) container.Hostname = spec.hostname;
  if (spec.workingDir !== undefined) container.Dir = spec.workingDir;
  // Services have no ShmSize; a tmpfs on /dev/shm is what the engine would mount anyway.
  if (spec.shmSizeBytes !== undefined) container.Mounts = [{ Type: 'tmpfs', Target: '/dev/shm', TmpfsOptions: { SizeBytes: spec.shmSizeBytes } }];

  const limits = {
    ...(spec.limits?.nanoCpus !== undefined ? { NanoCPUs: spec.limits.nanoCpus } : {}),
    ...(spec.limits?.memoryBytes !== undefined ? { MemoryBytes: spec.limits.memoryBytes } : {}),
    ...(spec.limits?.pidsLimit !== undefined ? { Pids: spec.limits.pidsLimit } : {}),
  };
  const r = spec.placement?.reserve ?? {};
  // GPUs the container gets for itself are reserved too: Swarm hands each task distinct ones (DOCKER_RESOURCE_GPU).
  const gpus = Math.max(r.gpus ?? 0, spec.gpus ?? 0);
  const reservations = {
    ...(r.nanoCpus ? { NanoCPUs: r.nanoCpus } : {}),
    ...(r.memoryBytes ? { MemoryBytes: r.memoryBytes } : {}),
    ...(gpus ? { GenericResources: [{ DiscreteResourceSpec: { Kind: opts.gpuResource, Value: gpus } }] } : {}),
  };
  const constraints = placementConstraints(spec.placement?.nodeLabels);
  const networks = spec.networkDisabled
    ? [{ Target: isolationNetworkFor(name) }]
    : spec.network
      ? [{ Target: spec.network.name, Aliases: [...(spec.network.aliases ?? [])] }]
      : [];

  return {
    Name: name,
    Labels: { ...(spec.labels ?? {}), [NAME_LABEL]: spec.name, [RESTART_LABEL]: always ? 'always' : 'never' },
    TaskTemplate: {
      ContainerSpec: container,
      Resources: { Limits: limits, Reservations: reservations },
      // 'never': the task's end is final and Slipway decides what follows (SageMaker never reruns
      // a host by itself). 'always': Swarm restarts it, elsewhere when its node is lost.
      RestartPolicy: always ? { Condition: 'any', Delay: seconds(1), MaxAttempts: 0 } : { Condition: 'none' },
      ...(constraints.length ? { Placement: { Constraints: constraints } } : {}),
      Networks: networks,
      ForceUpdate: 0,
    },
    Mode: always ? { Replicated: { Replicas: 0 } } : { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 0 } },
    EndpointSpec: {
      Mode: 'dnsrr',
      ...(spec.publishPorts?.length ? { Ports: spec.publishPorts.map((p) => ({ Protocol: 'tcp' as const, TargetPort: p, PublishMode: 'host' as const })) } : {}),
    },
  };
}

/**
 * Swarm's `Command` replaces the ENTRYPOINT and `Args` the CMD, but an empty `Command` means "the
 * image's" rather than "none" (moby daemon/cluster/executor/container/container.go). So clearing
 * the ENTRYPOINT (`entrypoint: []`) runs the CMD as the command: the caller's, or the image's.
 */
function commandOf(spec: ContainerSpec, image: ImageInfo | undefined): { Command?: string[]; Args?: string[] } {
  const { entrypoint, cmd } = spec;
  if (entrypoint === undefined) return cmd !== undefined && cmd.length > 0 ? { Args: [...cmd] } : {};
  if (entrypoint.length > 0) return { Command: [...entrypoint], Args: [...(cmd ?? [])] };
  const run = cmd !== undefined && cmd.length > 0 ? cmd : (image?.cmd ?? []);
  if (run.length === 0) throw new RuntimeError(`container ${spec.name}: the ENTRYPOINT is cleared and there is no command to run`);
  return { Command: [...run], Args: [] };
}

/** The subset of GET /services/{id} this module reads. */
export interface RawService {
  ID: string;
  Version: { Index: number };
  CreatedAt?: string;
  Spec: ServiceSpec;
  JobStatus?: { JobIteration?: { Index?: number } };
}

export type TaskState =
  | 'new'
  | 'allocated'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

/** The subset of GET /tasks entries this module reads. */
export interface RawTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  CreatedAt?: string;
  Version?: { Index?: number };
  DesiredState?: string;
  Status?: {
    Timestamp?: string;
    State?: TaskState;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: { Protocol?: string; TargetPort?: number; PublishedPort?: number }[] | null };
  };
}

/** The subset of GET /nodes entries this module reads. */
export interface RawNode {
  ID: string;
  Spec?: { Labels?: Record<string, string> | null; Availability?: string };
  Description?: { Hostname?: string; Platform?: { Architecture?: string }; Resources?: { NanoCPUs?: number; MemoryBytes?: number } };
  Status?: { State?: string; Addr?: string };
}

const WAITING: ReadonlySet<string> = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
const ENDED: ReadonlySet<string> = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);

const time = (s: string | undefined) => (s ? Date.parse(s) || 0 : 0);

/**
 * The task that stands for the container now: the newest one Swarm still wants (desired state
 * running or complete), else the newest of all. Undefined when there is none (never started, or
 * removed by a stop).
 */
export function currentTask(tasks: RawTask[]): RawTask | undefined {
  const newest = (xs: RawTask[]) => xs.reduce<RawTask | undefined>((a, t) => (!a || time(t.CreatedAt) > time(a.CreatedAt) ? t : a), undefined);
  return newest(tasks.filter((t) => t.DesiredState === 'running' || t.DesiredState === 'complete')) ?? newest(tasks);
}

/** Where the container is in its life, as callers wait on it. */
export type Phase = 'waiting' | 'running' | 'ended';

/**
 * The phase of a container from its service, current task and that task's node. A task on a node
 * the manager sees as down has ended for the caller even though Swarm still lists it as running:
 * Swarm reschedules a service's task at that moment, and leaves a job's as it was.
 */
export function phaseOf(service: RawService, task: RawTask | undefined, node: RawNode | undefined): Phase {
  // No task: not started yet (or Swarm is about to make it), or removed by a stop.
  if (!task) return service.Spec.Labels[STOPPED_LABEL] ? 'ended' : 'waiting';
  const state = task.Status?.State ?? 'new';
  if (ENDED.has(state)) return 'ended';
  if (nodeLost(node)) return 'ended';
  return state === 'running' ? 'running' : 'waiting';
}

/** Whether a start was asked for: one completion (job) or one replica (service). */
export function startRequested(service: RawService): boolean {
  const m = service.Spec.Mode;
  return 'ReplicatedJob' in m ? m.ReplicatedJob.TotalCompletions > 0 : m.Replicated.Replicas > 0;
}

export function nodeLost(node: RawNode | undefined): boolean {
  return node !== undefined && node.Status?.State !== undefined && node.Status.State !== 'ready';
}

/** What a node-level look at the task's container adds (times, OOM), when the runtime can reach the node. */
export interface NodeDetails {
  startedAt?: Date;
  finishedAt?: Date;
  oomKilled?: boolean;
  exitCode?: number | null;
}

/**
 * A service with its tasks and the cluster's nodes as a `ContainerInfo`. State comes from the
 * manager (the authority other replicas see too); `details` from the node only refines times
 * and the OOM flag.
 */
export function toContainerInfo(service: RawService, tasks: RawTask[], nodes: RawNode[], details: NodeDetails = {}): ContainerInfo {
  const labels = { ...service.Spec.Labels };
  const name = labels[NAME_LABEL] ?? service.Spec.Name;
  for (const k of INTERNAL_LABELS) delete labels[k];
  const task = currentTask(tasks);
  const node = task?.NodeID ? nodes.find((n) => n.ID === task.NodeID) : undefined;
  const phase = phaseOf(service, task, node);
  const ended = phase === 'ended';
  const lost = task !== undefined && nodeLost(node) && !ENDED.has(task.Status?.State ?? '');
  // An exit code only for a process that ran and ended where we can see it; never for a task
  // on a lost node or one Swarm rejected before it ran.
  const exitCode = ended && !lost ? (details.exitCode ?? taskExitCode(task)) : null;
  const state: ContainerState =
    phase === 'running' ? 'running' : phase === 'waiting' ? 'created' : exitCode !== null || (!task && !lost) ? 'exited' : 'dead';
  const ports: Record<number, number> = {};
  if (phase === 'running') {
    for (const p of task?.Status?.PortStatus?.Ports ?? []) {
      if ((p.Protocol ?? 'tcp') === 'tcp' && p.TargetPort && p.PublishedPort) ports[p.TargetPort] = p.PublishedPort;
    }
  }
  const reason = reasonOf(service, task, node, phase);
  return {
    id: service.ID,
    name,
    image: service.Spec.TaskTemplate.ContainerSpec.Image,
    labels,
    state,
    running: phase === 'running',
    exitCode,
    oomKilled: details.oomKilled ?? false,
    startedAt: details.startedAt ?? (phase === 'running' && task?.Status?.Timestamp ? new Date(task.Status.Timestamp) : undefined),
    finishedAt: details.finishedAt ?? (ended && task?.Status?.Timestamp ? new Date(task.Status.Timestamp) : undefined),
    ports,
    ...(node?.Status?.Addr ? { portHost: node.Status.Addr } : {}),
    ...(task?.NodeID ? { node: nodeLabel(node) ?? task.NodeID } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * The exit code a task reports, when it is one. A `failed` task with code 0 did not exit 0: Swarm
 * fills the field with 0 when the container vanished or never started ("No such container"), so
 * only `complete` vouches for 0.
 */
export function taskExitCode(task: RawTask | undefined): number | null {
  const s = task?.Status;
  const code = s?.ContainerStatus?.ExitCode;
  if (s?.State === 'complete') return 0;
  if (typeof code !== 'number' || !s?.ContainerStatus?.ContainerID) return null;
  if (s.State === 'failed') return code !== 0 ? code : null;
  if (s.State === 'shutdown') return code;
  return null;
}

/** A node's `slipway.node` label (what tests and operators name nodes by), else its hostname. */
export function nodeLabel(node: RawNode | undefined): string | undefined {
  return node?.Spec?.Labels?.['slipway.node'] ?? node?.Description?.Hostname;
}

function reasonOf(service: RawService, task: RawTask | undefined, node: RawNode | undefined, phase: Phase): string | undefined {
  if (task && nodeLost(node) && !ENDED.has(task.Status?.State ?? '')) return `node ${nodeLabel(node) ?? task.NodeID} (${node?.ID}) is ${node?.Status?.State}: its task was lost`;
  if (!task) return service.Spec.Labels[STOPPED_LABEL] ? 'stopped; Swarm removed the task, so its exit code is not known' : undefined;
  const s = task.Status ?? {};
  if (phase === 'running') return undefined;
  // Swarm says why a task waits ("no suitable node (insufficient resources on 2 nodes)") or failed.
  const words = s.Err || (WAITING.has(s.State ?? '') && s.Message && s.Message !== 'created' ? s.Message : undefined);
  return words ? `${s.State}: ${words}` : undefined;
}
