/**
 * @module runtime/container-runtime — the engine-neutral contract controllers and the data plane
 * use to run containers. Docker is the first implementation (`runtime/docker`); a cluster engine
 * can follow without touching callers. Only `controllers/` and `dataplane/` import this.
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
  workingDir?: string;
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
  /** Container port → host port on 127.0.0.1, for published ports. */
  ports: Record<number, number>;
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
