/**
 * @module runtime/docker/docker-mapping — pure translation between the engine-neutral runtime
 * types and Docker Engine API (v1.41+) JSON: create bodies, inspect results, stats, errors.
 * Kept apart from the socket code so it can be unit-tested without an engine.
 */
import type Docker from 'dockerode';
import {
  RuntimeError,
  RuntimeNotFoundError,
  RuntimeUnavailableError,
  type ContainerInfo,
  type ContainerSpec,
  type ContainerState,
  type ContainerStats,
  type ImageInfo,
  type NetworkOptions,
} from '../container-runtime.js';
import { bridgeNameFor } from './host-firewall.js';

/**
 * Docker create body for a spec. Containers are created without a TTY (so logs stay
 * demultiplexable), without stdin, and are never auto-removed: the controller reads the exit
 * code and logs after exit and removes the container itself.
 */
export function toCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  if (spec.networkDisabled && (spec.publishPorts?.length || spec.network)) {
    throw new RuntimeError(`container ${spec.name}: networkDisabled cannot be combined with published ports or a network`);
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of spec.publishPorts ?? []) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RuntimeError(`container ${spec.name}: invalid port ${port}`);
    }
    exposed[`${port}/tcp`] = {};
    // HostPort '' lets the engine pick a free ephemeral port; loopback only, never 0.0.0.0.
    bindings[`${port}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
  }

  const hostConfig: Docker.HostConfig = {
    AutoRemove: false,
    Binds: (spec.binds ?? []).map((b) => `${b.hostPath}:${b.containerPath}:${b.readOnly ? 'ro' : 'rw'}`),
    PortBindings: bindings,
  };
  if (spec.networkDisabled) hostConfig.NetworkMode = 'none';
  else if (spec.network) hostConfig.NetworkMode = spec.network.name;
  if (spec.limits?.nanoCpus !== undefined) hostConfig.NanoCpus = spec.limits.nanoCpus;
  if (spec.limits?.memoryBytes !== undefined) hostConfig.Memory = spec.limits.memoryBytes;
  if (spec.limits?.pidsLimit !== undefined) hostConfig.PidsLimit = spec.limits.pidsLimit;
  if (spec.shmSizeBytes !== undefined) hostConfig.ShmSize = spec.shmSizeBytes;

  const opts: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { ...(spec.labels ?? {}) },
    ExposedPorts: exposed,
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: hostConfig,
  };
  // An explicit [] is sent as [] (not omitted): the engine then drops the image ENTRYPOINT,
  // which is what `docker run --entrypoint ''` does. Setting an entrypoint also drops the image
  // CMD unless `cmd` is given, as with `docker run --entrypoint`.
  if (spec.entrypoint !== undefined) opts.Entrypoint = [...spec.entrypoint];
  if (spec.cmd !== undefined) opts.Cmd = [...spec.cmd];
  if (spec.hostname !== undefined) opts.Hostname = spec.hostname;
  if (spec.workingDir !== undefined) opts.WorkingDir = spec.workingDir;
  if (spec.network && !spec.networkDisabled) {
    opts.NetworkingConfig = {
      EndpointsConfig: { [spec.network.name]: { Aliases: [...(spec.network.aliases ?? [])] } },
    };
  }
  return opts;
}

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const MASQUERADE_OPTION = 'com.docker.network.bridge.enable_ip_masquerade';
/** Network label marking a bridge whose members may not open connections to the host (`host: false`). */
export const HOST_ACCESS_LABEL = 'slipway.host-access';

/**
 * Whether a network's members must be kept away from the host itself (host-firewall.ts): those
 * with no way out (`outbound: false`, `internal`) would otherwise still reach every host address
 * through their bridge, and `host: false` asks for exactly that guard.
 */
export function isolatesFromHost(opts: NetworkOptions): boolean {
  return opts.outbound === false || opts.internal === true || opts.host === false;
}

/** Whether members must also be stopped from opening connections through the host (no way out at all). */
function cutsOutbound(opts: NetworkOptions): boolean {
  return opts.outbound === false || opts.internal === true;
}

/**
 * Docker create body for a bridge network. `outbound: false` and `interContainer: false` map to
 * the bridge driver's own switches (no MASQUERADE rule; no FORWARD accept between members), which
 * unlike `Internal` leave port publishing on 127.0.0.1 working. Networks isolated from the host
 * get a bridge interface named after the network (`slw…`), so firewall rules can name it; `host:
 * false` is recorded as a label so the guard can be put back after a restart. `subnet` (with its
 * gateway) comes from Slipway's own address pool (subnet-pool.ts).
 */
export function toNetworkCreateOptions(
  name: string,
  labels: Record<string, string>,
  opts: NetworkOptions,
  subnet?: { subnet: string; gateway: string },
): Docker.NetworkCreateOptions {
  const driverOpts: Record<string, string> = {};
  if (opts.outbound === false) driverOpts[MASQUERADE_OPTION] = 'false';
  if (opts.interContainer === false) driverOpts['com.docker.network.bridge.enable_icc'] = 'false';
  if (isolatesFromHost(opts)) driverOpts[BRIDGE_NAME_OPTION] = bridgeNameFor(name);
  return {
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: opts.internal ?? false,
    Labels: { ...labels, ...(opts.host === false ? { [HOST_ACCESS_LABEL]: 'none' } : {}) },
    ...(Object.keys(driverOpts).length ? { Options: driverOpts } : {}),
    ...(subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: subnet.subnet, Gateway: subnet.gateway }] } } : {}),
  };
}

/** The subset of GET /networks (list entries) and GET /networks/{id} this module reads. */
export interface RawNetworkInspect {
  Id: string;
  Name: string;
  Driver?: string;
  Internal?: boolean;
  EnableIPv6?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string }[] | null } | null;
}

/**
 * How an existing bridge network is isolated from the host, or undefined when it is not: its
 * bridge interface (the name Slipway gave it, or Docker's default `br-` + 12 id digits for
 * networks made before bridges were named), whether it carries IPv6, and whether connections
 * through the host are cut too (`forward`: no outbound NAT, or internal) or only those to it.
 */
export function hostIsolationOf(raw: RawNetworkInspect): { bridge: string; ipv6: boolean; forward: boolean } | undefined {
  if ((raw.Driver ?? 'bridge') !== 'bridge') return undefined;
  const o = raw.Options ?? {};
  const opts: NetworkOptions = {
    outbound: o[MASQUERADE_OPTION] !== 'false',
    internal: raw.Internal === true,
    host: raw.Labels?.[HOST_ACCESS_LABEL] !== 'none',
  };
  if (!isolatesFromHost(opts)) return undefined;
  return { bridge: o[BRIDGE_NAME_OPTION] || `br-${raw.Id.slice(0, 12)}`, ipv6: raw.EnableIPv6 === true, forward: cutsOutbound(opts) };
}

/** The subset of GET /containers/{id}/json this module reads; the engine may send nulls. */
export interface RawContainerInspect {
  Id: string;
  Name?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null } | null;
  State?: {
    Status?: string;
    Running?: boolean;
    ExitCode?: number;
    OOMKilled?: boolean;
    StartedAt?: string;
    FinishedAt?: string;
  } | null;
  NetworkSettings?: { Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null } | null;
}

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

/** Docker reports "never" as year 1. */
function engineDate(s: string | undefined): Date | undefined {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function toContainerInfo(raw: RawContainerInspect): ContainerInfo {
  const status = (raw.State?.Status ?? 'dead') as ContainerState;
  const state: ContainerState = STATES.includes(status) ? status : 'dead';
  const running = raw.State?.Running ?? false;
  const finished = state === 'exited' || state === 'dead';
  return {
    id: raw.Id,
    name: (raw.Name ?? '').replace(/^\//, ''),
    image: raw.Config?.Image ?? '',
    labels: { ...(raw.Config?.Labels ?? {}) },
    state,
    running,
    exitCode: finished && typeof raw.State?.ExitCode === 'number' ? raw.State.ExitCode : null,
    oomKilled: raw.State?.OOMKilled ?? false,
    startedAt: engineDate(raw.State?.StartedAt),
    finishedAt: engineDate(raw.State?.FinishedAt),
    ports: publishedPorts(raw.NetworkSettings?.Ports ?? {}),
  };
}

/** `{'8080/tcp': [{HostIp:'127.0.0.1', HostPort:'32768'}]}` → `{8080: 32768}` (TCP only). */
export function publishedPorts(ports: Record<string, { HostIp?: string; HostPort?: string }[] | null>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [key, binds] of Object.entries(ports)) {
    const [port, proto] = key.split('/');
    if (proto !== 'tcp' || !binds) continue;
    // Prefer the IPv4 loopback binding; an engine may list [::] twins for 0.0.0.0 bindings.
    const bind = binds.find((b) => b.HostIp === '127.0.0.1') ?? binds.find((b) => b.HostPort);
    const host = Number(bind?.HostPort);
    if (bind && Number.isInteger(host) && host > 0) out[Number(port)] = host;
  }
  return out;
}

/** The subset of GET /images/{name}/json this module reads. */
export interface RawImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Architecture?: string;
  Os?: string;
  Size?: number;
  Config?: {
    Entrypoint?: string[] | string | null;
    Cmd?: string[] | string | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    WorkingDir?: string;
    User?: string;
  } | null;
}

function execForm(v: string[] | string | null | undefined): string[] | null {
  if (v === null || v === undefined) return null;
  // Old engines could report a shell-form string; Docker itself runs those via /bin/sh -c.
  return typeof v === 'string' ? ['/bin/sh', '-c', v] : [...v];
}

export function toImageInfo(raw: RawImageInspect): ImageInfo {
  const c = raw.Config ?? {};
  return {
    id: raw.Id,
    repoTags: [...(raw.RepoTags ?? [])],
    repoDigests: [...(raw.RepoDigests ?? [])],
    entrypoint: execForm(c.Entrypoint),
    cmd: execForm(c.Cmd),
    env: [...(c.Env ?? [])],
    labels: { ...(c.Labels ?? {}) },
    architecture: raw.Architecture ?? '',
    os: raw.Os ?? '',
    sizeBytes: raw.Size ?? 0,
    workingDir: c.WorkingDir ?? '',
    user: c.User ?? '',
  };
}

/** The subset of GET /containers/{id}/stats?stream=false this module reads. */
export interface RawStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> | null };
}

/**
 * CPU% and memory the way `docker stats` computes them (docker/cli `calculateCPUPercentUnix`
 * and `calculateMemUsageUnixNoCache`): CPU delta over system delta times online CPUs; memory
 * without the inactive page cache (cgroup v1 `total_inactive_file`, v2 `inactive_file`).
 * Returns undefined when the engine sent an empty sample (container not running).
 */
export function computeStats(raw: RawStats): ContainerStats | undefined {
  if (!raw.read || raw.read.startsWith('0001-01-01') || raw.memory_stats?.usage === undefined) return undefined;
  const cpu = raw.cpu_stats ?? {};
  const pre = raw.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;

  const mem = raw.memory_stats;
  const s = mem.stats ?? {};
  const cache = s.total_inactive_file ?? s.inactive_file ?? 0;
  const usage = mem.usage ?? 0;
  return {
    cpuPercent,
    memoryBytes: cache < usage ? usage - cache : usage,
    memoryLimitBytes: mem.limit ?? 0,
  };
}

/** What dockerode / docker-modem attach to a failed request. */
interface ModemError {
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | string | Buffer | null;
  message?: string;
  code?: string;
}

export function engineStatus(err: unknown): number | undefined {
  const code = (err as ModemError | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's own message ("No such container: x"), falling back to the transport error. */
export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as ModemError;
  const json = e.json;
  if (json && typeof json === 'object' && !Buffer.isBuffer(json) && typeof json.message === 'string') return json.message;
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (Buffer.isBuffer(json) && json.length) return json.toString('utf8').trim();
  if (isUnreachable(err)) return `docker engine unreachable (${e.message ?? e.code})`;
  return e.message ?? String(err);
}

/** Transport failures of the engine socket: nothing reached the engine, or the answer was cut off. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
  // A streamed answer (logs) cut off before its end.
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Whether `err` says the engine could not be reached at all (no HTTP status came back). */
export function isUnreachable(err: unknown): boolean {
  if (engineStatus(err) !== undefined) return false;
  const e = (err ?? {}) as ModemError;
  return (typeof e.code === 'string' && UNREACHABLE.has(e.code)) || /socket hang up/i.test(e.message ?? '');
}

/**
 * Library error → runtime error: 404 becomes RuntimeNotFoundError, an unreachable engine
 * RuntimeUnavailableError, anything else RuntimeError carrying the engine's message (prefixed
 * with what we were doing). Runtime errors pass through.
 */
export function translateError(err: unknown, action: string): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const msg = `${action}: ${engineMessage(err)}`;
  if (engineStatus(err) === 404) return new RuntimeNotFoundError(msg);
  if (isUnreachable(err)) return new RuntimeUnavailableError(msg, err);
  return new RuntimeError(msg, err);
}

/**
 * Reads why the engine could not start a container's process from its message (runc's
 * `exec: "train": executable file not found in $PATH`, ...) and says it in terms of the image.
 * Unrecognised messages give a generic, non-permanent reason; the engine's text is never copied.
 */
export function containerStartFailure(message: string): { reason: string; permanent: boolean } {
  const program = /exec: "([^"]{1,256})"/.exec(message)?.[1] ?? /exec ([^\s:]{1,256}):/.exec(message)?.[1];
  const named = program ? `the program "${program}"` : 'the program';
  if (/executable file not found in \$PATH/.test(message)) return { reason: `${named} is not on the image's PATH (check the command, entrypoint or ContainerEntrypoint)`, permanent: true };
  if (/permission denied/i.test(message) && program) return { reason: `${named} is not executable (chmod +x it in the image)`, permanent: true };
  if (/no such file or directory/i.test(message) && program) {
    return { reason: `${named}, or the interpreter its #! line names, does not exist in the image (a script saved with Windows line endings has a #! line that names none)`, permanent: true };
  }
  if (/exec format error/i.test(message)) return { reason: `${named} is not an executable for this machine (exec format error: another architecture, or a script without a #! line)`, permanent: true };
  if (/could not select device driver .{0,64}capabilities: \[\[gpu\]\]/.test(message)) {
    return {
      reason:
        'it needs GPUs and the Docker engine has no GPU driver (install the NVIDIA Container Toolkit and register it with the engine: nvidia-ctk runtime configure; or unset SLIPWAY_GPUS)',
      permanent: true,
    };
  }
  const mount = /error mounting "[^"]*" to rootfs at "([^"]{1,1024})"/.exec(message)?.[1];
  if (mount) return { reason: `a data directory could not be mounted at ${mount}`, permanent: false };
  return { reason: 'the container engine refused to start it', permanent: false };
}
