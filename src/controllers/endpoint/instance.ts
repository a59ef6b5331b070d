/**
 * @module controllers/endpoint/instance — one hosting instance as the fleet runner tracks it:
 * its container (an inference pipeline's: several, ./pipeline-instance.ts), state (./fleet.ts),
 * route, and the two background tasks bound to it — copying each container's output into the
 * endpoint's log stream(s), and waiting for a container to stop.
 * Both outlast an engine that cannot be reached for a while: they pick up again once it answers,
 * so a container that died meanwhile is still noticed (and replaced and removed).
 */
import { RuntimeNotFoundError, RuntimeUnavailableError, type ContainerRuntime } from '../../runtime/container-runtime.js';
import { logger } from '../../platform/logger.js';
import type { LogStore } from '../../storage/log-store.js';
import type { InstanceRoute } from '../../resources/endpoint-routes.js';
import { endpointLogGroup } from '../../resources/endpoint.js';
import { InstanceState, type FleetMember } from './fleet.js';

/** How soon a wait or log follow cut off by an unreachable engine is tried again. */
const ENGINE_RETRY_MS = 1_000;

export interface Instance extends FleetMember {
  id: string;
  endpoint: string;
  containerId: string;
  origin?: string;
  /** Health checks failed in a row while serving (three: the instance died). */
  failedPings: number;
  lastPing: number;
  /** The data plane's view of this instance once routed (its in-flight counter drives draining). */
  route?: InstanceRoute;
  /** An inference pipeline's containers, in order (`containerId` and `origin` are the first one's). */
  members?: PipelineMember[];
  abort: AbortController;
  logsDone: Promise<void>;
  flushLogs(): Promise<void>;
}

/** One container of a pipeline instance (./pipeline-instance.ts). */
export interface PipelineMember {
  hostname: string;
  containerId: string;
  /** Where the container's port is published, once started. */
  origin?: string;
}

export interface NewInstance {
  runtime: ContainerRuntime;
  logs: LogStore;
  endpoint: string;
  variant: string;
  id: string;
  generation: number;
  containerId: string;
  members?: PipelineMember[];
  startedAt: number;
}

/**
 * An instance whose output is copied to `<variant>/<id>` (an inference pipeline's: each container's
 * to `<variant>/<id>/<hostname>`, as SageMaker names them) from after the newest stored line, in
 * batches (every 250 ms or 500 lines, and on `flushLogs`), until its containers stop or `abort`.
 */
export async function createInstance(o: NewInstance): Promise<Instance> {
  const abort = new AbortController();
  const group = endpointLogGroup(o.endpoint);
  const follows = await Promise.all(
    o.members
      ? o.members.map((m) => followInto(o, group, `${o.variant}/${o.id}/${m.hostname}`, m.containerId, abort.signal))
      : [followInto(o, group, `${o.variant}/${o.id}`, o.containerId, abort.signal)],
  );
  return {
    id: o.id,
    endpoint: o.endpoint,
    variant: o.variant,
    generation: o.generation,
    containerId: o.containerId,
    ...(o.members ? { members: o.members.map((m) => ({ ...m })) } : {}),
    startedAt: o.startedAt,
    state: InstanceState.Starting,
    failedPings: 0,
    lastPing: 0,
    abort,
    flushLogs: async () => {
      await Promise.all(follows.map((f) => f.flush()));
    },
    logsDone: Promise.all(follows.map((f) => f.done)).then(() => undefined),
  };
}

/** The instance's log streams: one, or one per container of a pipeline. */
export function instanceLogStreams(i: { variant: string; id: string; members?: readonly { hostname: string }[] }): string[] {
  return i.members ? i.members.map((m) => `${i.variant}/${i.id}/${m.hostname}`) : [`${i.variant}/${i.id}`];
}

/** Every container of the instance (a pipeline has several). */
export function instanceContainerIds(i: Pick<Instance, 'containerId' | 'members'>): string[] {
  return i.members ? i.members.map((m) => m.containerId) : [i.containerId];
}

/** Copies one container's output into `stream` until it stops or `signal` aborts. */
async function followInto(o: NewInstance, group: string, stream: string, containerId: string, signal: AbortSignal): Promise<{ done: Promise<void>; flush(): Promise<void> }> {
  let buffer: { timestamp: number; message: string }[] = [];
  // Never rejects: a failed write is logged and its lines dropped.
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    try {
      await o.logs.append(group, stream, batch);
    } catch (err) {
      logger.warn({ err, endpoint: o.endpoint }, 'could not store endpoint log lines');
    }
  };
  const since = (await o.logs.streams(group, stream)).find((s) => s.name === stream)?.lastEventTime ?? undefined;
  const timer = setInterval(() => void flush(), 250);
  // Stored at once on abort (server stop): the loop below may end only after the log store has closed.
  signal.addEventListener('abort', () => (clearInterval(timer), void flush()), { once: true });
  const done = (async () => {
    let last = since;
    try {
      // Again after an engine outage (from the last line seen), for as long as the container runs.
      while (!signal.aborted) {
        try {
          for await (const line of o.runtime.followLogs(containerId, { signal, ...(last !== undefined ? { sinceMs: last + 1 } : {}) })) {
            buffer.push({ timestamp: line.timestamp, message: line.message });
            last = line.timestamp;
            if (buffer.length >= 500) await flush();
          }
          if (!(await o.runtime.inspectContainer(containerId))?.running) return;
        } catch (err) {
          if (signal.aborted || !(err instanceof RuntimeUnavailableError)) {
            if (!signal.aborted) logger.debug({ err, endpoint: o.endpoint, instance: o.id }, 'log follow ended');
            return;
          }
        }
        await pause(ENGINE_RETRY_MS, signal);
      }
    } finally {
      clearInterval(timer);
      await flush();
    }
  })();
  return { done, flush };
}

/**
 * Notices a dead container at once (docker kill, OOM, crash, removal) instead of at the next
 * ping, and calls `dead` with how; nothing once `inst.abort` fires. Only for started containers:
 * the engine's wait returns at once for one that is merely created. Never rejects.
 */
export async function watchInstance(runtime: ContainerRuntime, inst: Instance, dead: (how: string) => void): Promise<void> {
  let told = false;
  const once = (how: string) => {
    if (told || inst.abort.signal.aborted) return;
    told = true;
    dead(how);
  };
  // A pipeline instance dies with any of its containers.
  await Promise.all(
    (inst.members ?? [{ hostname: '', containerId: inst.containerId }]).map((m) =>
      watchContainer(runtime, m.containerId, inst.abort.signal, (how) => once(m.hostname ? `container ${m.hostname}: ${how}` : how)),
    ),
  );
}

async function watchContainer(runtime: ContainerRuntime, containerId: string, signal: AbortSignal, dead: (how: string) => void): Promise<void> {
  while (!signal.aborted) {
    let how: string;
    try {
      how = `exit code ${(await runtime.waitContainer(containerId, signal)).exitCode}`;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof RuntimeNotFoundError) how = 'its container was removed';
      else if (err instanceof RuntimeUnavailableError) {
        // The engine went away mid-wait: wait again once it is back.
        await pause(ENGINE_RETRY_MS, signal);
        continue;
      } else return;
    }
    dead(how);
    return;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
