/**
 * @module runtime/container-runtime — the engine-neutral contract controllers and the data plane
 * use to run containers. Docker is the default implementation (`runtime/docker`); Docker Swarm
 * (`runtime/swarm`) runs the same contract on a cluster (docs/cluster.md says what differs).
 * Only `controllers/` and `dataplane/` import this.
 */

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Exec-form ENTRYPOINT, or null when the image has none. */
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  labels: Record<string, string>;
  architecture: string;
  os: string;
  sizeBytes: number;
  workingDir: string;
  user: string;
}

/** Credentials for a pull, as the engine takes them (Docker's X-Registry-Auth). */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Result of resolving a user's image reference (ECR-style names map to local tags). */
export interface ResolvedImage {
  /** The reference as the user gave it. */
  specified: string;
  /** The local reference that matched (may differ from `specified` for ECR-style names). */
  local: string;
  image: ImageInfo;
}

export interface BindMount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

export interface ContainerSpec {
  /** Deterministic name derived from the resource, so a retry finds what it made before. */
  name: string;
  image: string;
  /** Replaces the image ENTRYPOINT when set (like `docker run --entrypoint`); [] clears it. */
  entrypoint?: string[];
  /** Replaces the image CMD when set. */
  cmd?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  binds?: BindMount[];
  /** Container TCP ports published on 127.0.0.1 with an ephemeral host port each. */
  publishPorts?: number[];
  /** User-defined network to attach to, with DNS aliases on it. */
  network?: { name: string; aliases?: string[] };
  hostname?: string;
  /** No network at all (EnableNetworkIsolation without published ports). */
  networkDisabled?: boolean;
  /** `pidsLimit` caps the container's tasks (processes and threads), so a fork bomb stays inside it. */
  limits?: { nanoCpus?: number; memoryBytes?: number; pidsLimit?: number };
  /** Size of the container's private /dev/shm (engines default to 64 MB). */
  shmSizeBytes?: number;
  /**
   * GPUs the container gets for itself: the engine picks which (Docker: devices of SLIPWAY_GPUS no
   * other live container holds; Swarm: generic resources; Kubernetes: the device plugin) and
   * refuses with ContainerStartError when it has none to give.
   */
  gpus?: number;
  workingDir?: string;
  /**
   * What the engine does when the process ends or the container's node is lost. `never` (the
   * default): the end is final, and a container whose node is lost is reported ended (exit code
   * null, with a `reason`). `always` (endpoint instances): a cluster engine starts it again, on
   * another node when its node is lost; `inspectContainer` then describes the current incarnation,
   * whose `node`, `portHost` and `ports` may differ. A single engine treats both as `never`.
   */
  restart?: 'never' | 'always';
  /** Where a cluster engine may run the container and what it sets aside there; a single engine ignores it. */
  placement?: Placement;
  /**
   * The longest grace `stopContainer` will be asked for. Engines that fix the grace when the
   * container is made (Swarm without node access) use it; default 30 s.
   */
  stopGraceSeconds?: number;
  /**
   * Data to put in place on the node the engine chooses, before the process starts (runtimes with
   * `stagesData`; a single engine takes `binds` instead). Mutually exclusive with `binds`.
   */
  staging?: StagingPlan;
  /**
   * Credentials the nodes of a cluster engine pull `image` with (Swarm: the service's
   * X-Registry-Auth), asked for right before the engine is handed the image, so a short-lived token
   * is still fresh after staging; set by the registry layer for images in Slipway's registry. A
   * single engine ignores it (it has the image by then).
   */
  pullAuth?: () => RegistryAuth;
}

/**
 * Engine-neutral staging (docs/cluster.md, "Data staging on the node the engine chose"): a stager
 * fetches a manifest from Slipway and puts its files under `mountPath` in storage local to the
 * chosen node; the container then runs on that node with that storage at `mountPath`.
 */
export interface StagingPlan {
  /** Where the staged tree appears in the container, e.g. `/opt/ml`. */
  mountPath: string;
  /**
   * Top folders of the staged tree the container sees elsewhere (a CheckpointConfig or TensorBoard
   * LocalPath): each is node-local storage of its own, at `containerPath` in the container and at
   * `<mountPath>/<folder>` for the stager and the uploader, so manifests and `CollectPlan.paths`
   * name it as `<folder>/…` (Swarm: a second volume; Kubernetes: a `subPath` of the `emptyDir`).
   * `folder` is one plain name; `containerPath` an absolute, normalised path other than `mountPath`.
   */
  elsewhere?: { folder: string; containerPath: string }[];
  /** The stager GETs `<url>/manifest` and reports to `<url>/report`: a short-lived Slipway URL every node reaches. */
  url: string;
  /** Settles when the stager reports: resolves once everything is in place, rejects with its reason. */
  outcome: Promise<void>;
  /** The container sees the staged tree read-only (a `serve` container's /opt/ml/model, as one engine binds it). */
  readOnly?: boolean;
  /** Pipe-mode inputs: a feeder sidecar beside the container for its whole life (Kubernetes: a sidecar container). */
  feed?: FeedPlan;
}

/**
 * A feeder that shares the container's staged storage and copies Slipway's streams into FIFOs
 * (docs/cluster.md, "Pipe mode on a cluster"): for FIFO n, epoch e it makes `<fifos[n]>_<e>`
 * (relative to the mount path), waits for the container to open it, copies `GET <url>/feed/<n>/<e>`
 * into it and closes it. It has no network of the container's and ends when the container is removed.
 */
export interface FeedPlan {
  url: string;
  fifos: string[];
}

/** What to send back from a staged container's tree after it ended (`collectStaged`). */
export interface CollectPlan {
  /** Directories relative to the mount path, e.g. `model`, `output`. */
  paths: string[];
  /** The uploader PUTs `<url>/put/<path>` for every file, then reports to `<url>/report`. */
  url: string;
  outcome: Promise<void>;
}

/**
 * Placement on a cluster: which nodes qualify and what each container reserves there, in
 * engine-neutral terms (Swarm: `node.labels.K==V` constraints and reservations, GPUs as generic
 * resources; Kubernetes: nodeSelector and resource requests, GPUs through a device plugin).
 */
export interface Placement {
  /** Node labels that must all match, e.g. `{ 'slipway.node': 'worker-1' }`. Keys and values: letters, digits, `.`, `_`, `-`. */
  nodeLabels?: Record<string, string>;
  /** Set aside on the chosen node; the engine places the container only where this is free. */
  reserve?: { nanoCpus?: number; memoryBytes?: number; gpus?: number };
  /**
   * Containers with the same group run on different nodes (required anti-affinity, as the hosts of
   * a multi-host job are separate instances); with fewer qualifying nodes than members, the
   * extra ones wait for a node. Kubernetes: `podAntiAffinity` on a label carrying the group.
   */
  apartGroup?: string;
}

/**
 * How a user-defined network may reach the rest of the world. `internal` cuts it off entirely
 * (members reach only each other; ports cannot be published on it). `outbound: false` keeps port
 * publishing working but lets members open no connection beyond their network, and
 * `interContainer: false` stops members from reaching each other (EnableNetworkIsolation for
 * endpoints). With either `internal` or `outbound: false`, the host's own addresses are out of
 * reach too; only replies to connections made to a member (its published ports) flow. An
 * implementation that cannot enforce that makes `createNetwork` throw rather than hand out a
 * weaker network. `host: false` keeps members away from the host's own addresses (its services)
 * while they keep the outbound access `outbound` gives them. Traffic between different networks
 * is never allowed.
 */
export interface NetworkOptions {
  internal?: boolean;
  /** Default true. False: members open no connection to the host itself (replies to the host's connections flow). */
  host?: boolean;
  /** Default true. False: members open no connection leaving their network, to the host included. */
  outbound?: boolean;
  /** Default true. False: containers on this network cannot connect to each other. */
  interContainer?: boolean;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  running: boolean;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt?: Date;
  finishedAt?: Date;
  /** Container port → host port, for published ports; reach them at `portHost`. */
  ports: Record<number, number>;
  /**
   * The address published `ports` listen on: absent means 127.0.0.1 (one engine on this host);
   * on a cluster, the address of the node that runs the container. Use {@link portUrl}.
   */
  portHost?: string;
  /** The cluster node that runs (or last ran) the container; absent on a single engine. */
  node?: string;
  /** The engine's own words on why the container is not running as asked (waiting for resources, node lost, image missing). */
  reason?: string;
}

/** `http://<host>:<published port>` for a container port, or undefined when it is not published. */
export function portUrl(info: ContainerInfo, containerPort: number): string | undefined {
  const port = info.ports[containerPort];
  if (!port) return undefined;
  const host = info.portHost ?? '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** Engine timestamp, epoch milliseconds. */
  timestamp: number;
  /** One line without its trailing newline. */
  message: string;
}

export interface EngineInfo {
  cpus: number;
  memoryBytes: number;
  /** Tasks (processes + threads) the engine's host allows in all: min(kernel.pid_max, kernel.threads-max), when known. */
  maxTasks?: number;
  architecture: string;
  serverVersion: string;
  /**
   * On a cluster, where the figures above are the sum of every node: the most one container can
   * get, the largest node's (a container runs on one node, and an engine refuses a CPU limit above
   * its node's CPUs). Absent: the figures above are one host's.
   */
  perContainer?: { cpus: number; memoryBytes: number; maxTasks?: number };
}

/** The ceiling for one container's limits (instance types are clamped to it). */
export function containerCeiling(info: EngineInfo): { cpus: number; memoryBytes: number; maxTasks?: number } {
  return info.perContainer ?? { cpus: info.cpus, memoryBytes: info.memoryBytes, ...(info.maxTasks ? { maxTasks: info.maxTasks } : {}) };
}

export interface ContainerStats {
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

/**
 * What callers can rely on:
 * - Methods taking an id accept a container id or name.
 * - Missing containers/images give `undefined` from inspect/resolve, and `RuntimeNotFoundError`
 *   from operations that need them; an engine that cannot be reached gives `RuntimeUnavailableError`;
 *   other engine failures surface as `RuntimeError`.
 * - `stopContainer` sends SIGTERM, then SIGKILL after `graceSeconds`; it succeeds for a container
 *   that has already exited.
 * - `followLogs` yields every line from the start (or `sinceMs`) and ends when the container exits
 *   or `signal` aborts.
 * - `createContainer` throws `RuntimeUnsupportedError`, having made nothing, for a spec the engine
 *   cannot run faithfully (a cluster refuses bind mounts of this host's directories).
 * - Published ports are reached at `portUrl(info, port)`; only a single engine promises 127.0.0.1.
 */
export interface ContainerRuntime {
  ping(): Promise<boolean>;
  info(): Promise<EngineInfo>;
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  resolveImage(ref: string): Promise<ResolvedImage | undefined>;
  /**
   * Pulls `ref` into the engine from its registry with these credentials (Slipway's own registry,
   * src/registry); throws RuntimeError with the engine's reason when the pull fails.
   */
  pullImage?(ref: string, auth: RegistryAuth): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  waitContainer(id: string, signal?: AbortSignal): Promise<{ exitCode: number }>;
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  removeContainer(id: string, opts?: { force?: boolean }): Promise<void>;
  inspectContainer(id: string): Promise<ContainerInfo | undefined>;
  listContainers(labels: Record<string, string>, opts?: { all?: boolean }): Promise<ContainerInfo[]>;
  followLogs(id: string, opts?: { sinceMs?: number; signal?: AbortSignal }): AsyncIterable<LogLine>;
  createNetwork(name: string, labels?: Record<string, string>, opts?: NetworkOptions): Promise<string>;
  removeNetwork(name: string): Promise<void>;
  listNetworks(labels: Record<string, string>): Promise<{ id: string; name: string }[]>;
  stats(id: string): Promise<ContainerStats | undefined>;
  /**
   * True for engines whose containers may run on another machine: they take `ContainerSpec.staging`
   * and refuse `binds`. Absent (a single engine): callers stage on this host and bind-mount.
   */
  readonly stagesData?: boolean;
  /**
   * Sends files of an ended staged container's tree back (`plan.paths`), from the node that holds
   * it; resolves when the uploader has finished. Throws RuntimeError when the node or its data is gone.
   */
  collectStaged?(id: string, plan: CollectPlan): Promise<void>;
}

export class RuntimeError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/**
 * Network isolation (EnableNetworkIsolation) cannot be enforced on this host, e.g. the host firewall
 * is unavailable. Permanent: controllers fail the job or endpoint with this message instead of retrying.
 */
export class RuntimeIsolationError extends RuntimeError {
  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'RuntimeIsolationError';
  }
}

/**
 * The engine could not be reached at all (socket missing, refused, connection cut): nothing is
 * known about the containers, so callers retry later instead of drawing conclusions.
 */
export class RuntimeUnavailableError extends RuntimeError {
  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'RuntimeUnavailableError';
  }
}

/**
 * The engine cannot run the spec as given (e.g. a bind mount of this host's directory on a
 * cluster, whose containers run on other machines). Permanent, and nothing was created; the
 * controllers do not tell it apart yet and retry it like any runtime error (cluster part 2, #15).
 */
export class RuntimeUnsupportedError extends RuntimeError {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeUnsupportedError';
  }
}

/**
 * The engine created a container but could not start its process. `reason` says why in terms of
 * the image (a program missing from PATH, not executable, ...), never the engine's own text (runc,
 * shim, overlay paths), so it can go into a FailureReason; `permanent` is true when starting again
 * cannot help (the image is at fault), false for the engine's own trouble.
 */
export class ContainerStartError extends RuntimeError {
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
    cause?: unknown,
  ) {
    super(`the container could not be started: ${reason}`, cause);
    this.name = 'ContainerStartError';
  }
}

/**
 * The image exists, but not where the engine may run it (a cluster engine: only in the manager's
 * engine, not on every node, and not in a registry the nodes pull from). Permanent: the user must
 * push it; controllers fail the job or endpoint with this message. Nothing was created.
 */
export class ImageUnavailableError extends RuntimeError {
  constructor(
    message: string,
    /** Nodes that lack the image (or could not be asked), by name. */
    readonly nodes: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ImageUnavailableError';
  }
}

export class RuntimeNotFoundError extends RuntimeError {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeNotFoundError';
  }
}

/** Labels every Slipway-managed container and network carries. */
export const LABELS = {
  managed: 'slipway.managed',
  kind: 'slipway.kind',
  name: 'slipway.name',
  arn: 'slipway.arn',
  host: 'slipway.host',
  variant: 'slipway.variant',
  instance: 'slipway.instance',
  home: 'slipway.home',
} as const;
