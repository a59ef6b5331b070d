/**
 * @module runtime/docker/docker-runtime — `ContainerRuntime` over the Docker Engine API
 * (dockerode). Owns talking to the engine socket and translating its errors; the JSON mapping
 * lives in docker-mapping.ts, log decoding in log-stream.ts, networks in docker-networks.ts (their
 * subnets in subnet-pool.ts, the host firewall rules of guarded networks in host-firewall.ts).
 *
 * The socket comes from DOCKER_HOST (unix:// or tcp://) or /var/run/docker.sock, as with the
 * docker CLI. Engine API v1.41 (Docker 20.10) or newer.
 */
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import {
  ContainerStartError,
  RuntimeError,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStats,
  type EngineInfo,
  type ImageInfo,
  type LogLine,
  type NetworkOptions,
  type RegistryAuth,
  type ResolvedImage,
} from '../container-runtime.js';
import { isPlausibleImageRef, localImageCandidates } from '../image-ref.js';
import { abortReason, labelFilter, pause, settleOnAbort } from '../engine-helpers.js';
import { computeStats, containerStartFailure, engineMessage, engineStatus, toContainerInfo, toCreateOptions, toImageInfo, translateError, type RawContainerInspect, type RawImageInspect, type RawStats } from './docker-mapping.js';
import { DockerNetworks } from './docker-networks.js';
import { HostFirewall } from './host-firewall.js';
import { hostMaxTasks } from './host-limits.js';
import { decodeLogStream } from './log-stream.js';
import { parsePool } from '../../platform/cidr.js';
import { GpuDevices, withGpuDevices } from './gpu-devices.js';

export interface DockerRuntimeOptions {
  /** A preconfigured client (tests, custom TLS). Default: `new Docker()`, which reads DOCKER_HOST. */
  docker?: Docker;
  /** How often followLogs re-checks a container that was created but not started yet. */
  startPollMs?: number;
  /** Time limit for `ping()`. */
  pingTimeoutMs?: number;
  /** Host firewall for isolated networks. Default: iptables in this process's network namespace. */
  firewall?: HostFirewall;
  /** Longest single wait request of `waitContainer` before it looks at the container again. */
  waitSliceMs?: number;
  /**
   * Where new networks take their IPv4 subnet from (`CIDR` or `CIDR:block prefix`, subnet-pool.ts);
   * default 10.213.0.0/16 in /24 blocks. `false` leaves the choice to the engine's own pools.
   */
  networkPool?: string | false;
  /** GPU device ids/UUIDs containers may be given (SLIPWAY_GPUS); none: a container asking for GPUs is refused. */
  gpuDevices?: readonly string[];
}

export const DEFAULT_NETWORK_POOL = '10.213.0.0/16';

/**
 * Docker implementation of {@link ContainerRuntime}. Beyond the interface contract:
 * - `createContainer` throws `RuntimeNotFoundError` when the image is missing and `RuntimeError`
 *   when the name is taken (callers inspect by deterministic name first).
 * - Containers always stop with SIGTERM (StopSignal is pinned, whatever the image's STOPSIGNAL).
 * - `waitContainer` waits for "not running": it returns at once for a container that already exited.
 * - `killContainer` succeeds for a container that is not running.
 * - `followLogs` on a created-but-not-started container waits for it to start.
 * - `createNetwork` returns the existing network's id when the name is taken (idempotent retries);
 *   `removeNetwork` succeeds when it is already gone.
 * - A network with `outbound: false` or `internal` is also cut off from the host: its members can
 *   open no connection to the host's addresses or through the host (host-firewall.ts), while
 *   replies on connections the host opened (published ports) flow. `createNetwork` installs that
 *   (again, for a network that already exists) or throws `HostFirewallError` — a network that
 *   cannot be isolated is never handed out; `removeNetwork` takes the rules away. The first
 *   network call also re-installs the rules of Slipway's isolated networks that exist and drops
 *   rules of networks that are gone (removed while Slipway was down).
 * - `inspectImage` gives `undefined` for a reference the engine rejects as malformed: such an
 *   image cannot exist locally.
 * - `stats` gives `undefined` for a missing or not-running container.
 * - New networks get a free block of `networkPool` (none of another network's or the host's
 *   routes), so the number of networks is not bounded by the engine's ~30 default pools.
 * - A container asking for `gpus` gets devices of `gpuDevices` that no live container holds
 *   (gpu-devices.ts), or `createContainer` throws `ContainerStartError` and makes nothing.
 * - Transport failures (socket missing, refused, cut) surface as `RuntimeUnavailableError`.
 */
export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Docker;
  private readonly startPollMs: number;
  private readonly pingTimeoutMs: number;
  private readonly waitSliceMs: number;
  private readonly networks: DockerNetworks;
  private readonly gpus: GpuDevices;

  constructor(opts: DockerRuntimeOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    this.startPollMs = opts.startPollMs ?? 200;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 5_000;
    this.waitSliceMs = opts.waitSliceMs ?? 30_000;
    const pool = opts.networkPool ?? DEFAULT_NETWORK_POOL;
    this.networks = new DockerNetworks(this.docker, opts.firewall ?? new HostFirewall(), pool === false ? undefined : parsePool(pool));
    this.gpus = new GpuDevices(this.docker, opts.gpuDevices ?? []);
  }

  async ping(): Promise<boolean> {
    try {
      // dockerode accepts an abort signal here; its typings only know the callback form.
      const docker = this.docker as unknown as { ping(o: { abortSignal?: AbortSignal }): Promise<unknown> };
      await docker.ping({ abortSignal: AbortSignal.timeout(this.pingTimeoutMs) });
      return true;
    } catch {
      return false;
    }
  }

  async info(): Promise<EngineInfo> {
    try {
      const i = await this.docker.info();
      const maxTasks = await hostMaxTasks();
      return {
        cpus: Number(i.NCPU) || 0,
        memoryBytes: Number(i.MemTotal) || 0,
        architecture: String(i.Architecture ?? ''),
        serverVersion: String(i.ServerVersion ?? ''),
        ...(maxTasks ? { maxTasks } : {}),
      };
    } catch (err) {
      throw translateError(err, 'engine info');
    }
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    if (!isPlausibleImageRef(ref)) return undefined;
    try {
      const raw = (await this.docker.getImage(ref).inspect()) as unknown as RawImageInspect;
      return toImageInfo(raw);
    } catch (err) {
      const status = engineStatus(err);
      if (status === 404 || status === 400) return undefined;
      throw translateError(err, `inspect image ${ref}`);
    }
  }

  async resolveImage(ref: string): Promise<ResolvedImage | undefined> {
    for (const candidate of localImageCandidates(ref)) {
      const image = await this.inspectImage(candidate);
      if (image) return { specified: ref, local: candidate, image };
    }
    return undefined;
  }

  async pullImage(ref: string, auth: RegistryAuth, timeoutMs = 30 * 60_000): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      // createImage, not pull: dockerode's pull splits `host:port/repo@digest` into a wrong tag.
      stream = (await this.docker.createImage(auth, { fromImage: ref })) as NodeJS.ReadableStream;
    } catch (err) {
      throw translateError(err, `pull image ${ref}`);
    }
    // The engine reports a failed pull inside a 200 stream of JSON lines: `{"error": "..."}`.
    const timer = setTimeout(() => (stream as Readable).destroy(new Error(`pull did not finish within ${timeoutMs} ms`)), timeoutMs);
    let rest = '';
    let failure: string | undefined;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        rest += chunk.toString('utf8');
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl).trim();
          rest = rest.slice(nl + 1);
          if (line === '') continue;
          try {
            const ev = JSON.parse(line) as { error?: string };
            if (ev.error) failure = ev.error;
          } catch {
            // not JSON: progress noise
          }
        }
      }
    } catch (err) {
      throw translateError(err, `pull image ${ref}`);
    } finally {
      clearTimeout(timer);
    }
    if (failure) throw new RuntimeError(`pull image ${ref}: ${failure}`);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const body = toCreateOptions(spec);
    // SIGTERM whatever the image says, so stopContainer keeps its contract (and SageMaker's).
    body.StopSignal = 'SIGTERM';
    if (spec.gpus) return this.gpus.assign(spec.gpus, (devices) => this.create(withGpuDevices(body, devices), spec.name));
    return this.create(body, spec.name);
  }

  private async create(body: Docker.ContainerCreateOptions, name: string): Promise<string> {
    try {
      const c = await this.docker.createContainer(body);
      return c.id;
    } catch (err) {
      throw translateError(err, `create container ${name}`);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      // 304: already started — the caller's desired state holds.
      if (engineStatus(err) === 304) return;
      const translated = translateError(err, `start container ${id}`);
      // The engine answers 400/500 with runc's text when the process cannot start: say it in the image's terms.
      if (translated.constructor !== RuntimeError) throw translated;
      const { reason, permanent } = containerStartFailure(engineMessage(err));
      throw new ContainerStartError(reason, permanent, translated);
    }
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<{ exitCode: number }> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      // docker-modem never settles a wait whose connection is cut after the headers came (the
      // engine sends them at once): so each wait lasts one slice, and the container is looked at
      // between slices; an abort settles at once whatever the library does.
      const slice = new AbortController();
      const both = signal ? AbortSignal.any([signal, slice.signal]) : slice.signal;
      const timer = setTimeout(() => slice.abort(), this.waitSliceMs);
      try {
        const res = (await settleOnAbort(this.docker.getContainer(id).wait({ condition: 'not-running', abortSignal: both }), both)) as {
          StatusCode?: number;
          Error?: { Message?: string } | null;
        };
        if (res.Error?.Message) throw new RuntimeError(`wait for container ${id}: ${res.Error.Message}`);
        return { exitCode: res.StatusCode ?? -1 };
      } catch (err) {
        if (signal?.aborted) throw abortReason(signal);
        if (!slice.signal.aborted) throw translateError(err, `wait for container ${id}`);
      } finally {
        clearTimeout(timer);
      }
      const info = await this.inspectContainer(id);
      if (!info) throw translateError({ statusCode: 404, json: { message: `No such container: ${id}` } }, `wait for container ${id}`);
      if (!info.running && info.state !== 'created') return { exitCode: info.exitCode ?? -1 };
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    // The engine's stop is exactly "StopSignal, wait t seconds, SIGKILL, wait for exit".
    const t = Math.max(0, Math.ceil(graceSeconds));
    try {
      await this.docker.getContainer(id).stop({ t });
    } catch (err) {
      if (engineStatus(err) === 304) return; // already stopped
      throw translateError(err, `stop container ${id}`);
    }
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (err) {
      if (engineStatus(err) === 409 && /is not running/i.test(engineMessage(err))) return;
      throw translateError(err, `kill container ${id}`);
    }
  }

  async removeContainer(id: string, opts: { force?: boolean } = {}): Promise<void> {
    try {
      // v: also drop anonymous volumes the image declared, or they pile up per job.
      await this.docker.getContainer(id).remove({ force: opts.force ?? false, v: true });
    } catch (err) {
      throw translateError(err, `remove container ${id}`);
    }
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    try {
      const raw = (await this.docker.getContainer(id).inspect()) as unknown as RawContainerInspect;
      return toContainerInfo(raw);
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw translateError(err, `inspect container ${id}`);
    }
  }

  async listContainers(labels: Record<string, string>, opts: { all?: boolean } = {}): Promise<ContainerInfo[]> {
    let summaries: Docker.ContainerInfo[];
    try {
      summaries = await this.docker.listContainers({ all: opts.all ?? false, filters: labelFilter(labels) });
    } catch (err) {
      throw translateError(err, 'list containers');
    }
    // The list summary lacks exit code, OOM flag and times; inspect each. One may vanish in
    // between (removed by someone else) — then it is simply not listed.
    const infos = await Promise.all(summaries.map((s) => this.inspectContainer(s.Id)));
    return infos.filter((i): i is ContainerInfo => i !== undefined);
  }

  async *followLogs(id: string, opts: { sinceMs?: number; signal?: AbortSignal } = {}): AsyncIterable<LogLine> {
    const { signal, sinceMs } = opts;
    if (signal?.aborted) return;
    // The engine ends a follow at once for a container that is not running, so a caller that
    // attaches between create and start would get nothing; wait for the start instead.
    for (;;) {
      const info = await this.inspectContainer(id);
      if (!info) throw translateError({ statusCode: 404, json: { message: `No such container: ${id}` } }, `follow logs of ${id}`);
      if (info.state !== 'created') break;
      await pause(this.startPollMs, signal);
      if (signal?.aborted) return;
    }

    let stream: Readable;
    try {
      stream = (await this.docker.getContainer(id).logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        // Seconds with a fraction; decodeLogStream cuts exactly at the millisecond.
        since: sinceMs !== undefined ? (Math.max(0, sinceMs) / 1000).toFixed(3) : 0,
        abortSignal: signal,
      } as Docker.ContainerLogsOptions & { follow: true })) as unknown as Readable;
    } catch (err) {
      if (signal?.aborted) return;
      throw translateError(err, `follow logs of ${id}`);
    }

    const onAbort = () => stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    // The last line handed out, and how many lines shared its millisecond, for the catch-up below.
    let lastMs: number | undefined;
    let atLastMs = 0;
    try {
      for await (const line of decodeLogStream(stream, { sinceMs })) {
        if (line.timestamp === lastMs) atLastMs++;
        else {
          lastMs = line.timestamp;
          atLastMs = 1;
        }
        yield line;
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw translateError(err, `follow logs of ${id}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
    if (signal?.aborted) return;
    // The engine can close a follow as the container exits before it has sent the last lines
    // (seen under load: a fast-exiting container's final line went missing). Read what the
    // container wrote after the last line we saw, without following, and hand out the rest.
    yield* this.catchUpLogs(id, lastMs ?? sinceMs, atLastMs);
  }

  private async *catchUpLogs(id: string, fromMs: number | undefined, skipAtFromMs: number): AsyncIterable<LogLine> {
    let raw: Buffer;
    try {
      raw = (await this.docker.getContainer(id).logs({
        follow: false,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: fromMs !== undefined ? (Math.max(0, fromMs) / 1000).toFixed(3) : 0,
      })) as unknown as Buffer;
    } catch {
      return; // the container is gone: nothing more to read
    }
    let skip = skipAtFromMs;
    for await (const line of decodeLogStream(Readable.from([raw]), { sinceMs: fromMs })) {
      if (fromMs !== undefined && line.timestamp === fromMs && skip > 0) {
        skip--;
        continue;
      }
      yield line;
    }
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
    try {
      // stream=false without one-shot: the engine takes two samples so precpu_stats is filled.
      const raw = (await this.docker.getContainer(id).stats({ stream: false })) as unknown as RawStats;
      return computeStats(raw);
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw translateError(err, `stats of container ${id}`);
    }
  }
}
