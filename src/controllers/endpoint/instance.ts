/**
 * @module controllers/endpoint/instance — one hosting instance as the fleet runner tracks it:
 * its container, state (./fleet.ts), route, and the two background tasks bound to it — copying the
 * container's output into the endpoint's log stream, and waiting for the container to stop.
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
  abort: AbortController;
  logsDone: Promise<void>;
  flushLogs(): Promise<void>;
}

export interface NewInstance {
  runtime: ContainerRuntime;
  logs: LogStore;
  endpoint: string;
  variant: string;
  id: string;
  generation: number;
  containerId: string;
  startedAt: number;
}

/**
 * An instance whose output is copied to `<variant>/<id>` from after the newest stored line, in
 * batches (every 250 ms or 500 lines, and on `flushLogs`), until its container stops or `abort`.
 */
export async function createInstance(o: NewInstance): Promise<Instance> {
  const abort = new AbortController();
  const group = endpointLogGroup(o.endpoint);
  const stream = `${o.variant}/${o.id}`;
  let buffer: { timestamp: number; message: string }[] = [];
  const flushLogs = async () => {
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
  const inst: Instance = {
    id: o.id,
    endpoint: o.endpoint,
    variant: o.variant,
    generation: o.generation,
    containerId: o.containerId,
    startedAt: o.startedAt,
    state: InstanceState.Starting,
    failedPings: 0,
    lastPing: 0,
    abort,
    flushLogs,
    logsDone: Promise.resolve(),
  };
  inst.logsDone = (async () => {
    const timer = setInterval(() => void flushLogs(), 250);
    let last = since;
    try {
      // Again after an engine outage (from the last line seen), for as long as the container runs.
      while (!abort.signal.aborted) {
        try {
          for await (const line of o.runtime.followLogs(o.containerId, { signal: abort.signal, ...(last !== undefined ? { sinceMs: last + 1 } : {}) })) {
            buffer.push({ timestamp: line.timestamp, message: line.message });
            last = line.timestamp;
            if (buffer.length >= 500) await flushLogs();
          }
          if (!(await o.runtime.inspectContainer(o.containerId))?.running) return;
        } catch (err) {
          if (abort.signal.aborted || !(err instanceof RuntimeUnavailableError)) {
            if (!abort.signal.aborted) logger.debug({ err, endpoint: o.endpoint, instance: o.id }, 'log follow ended');
            return;
          }
        }
        await pause(ENGINE_RETRY_MS, abort.signal);
      }
    } finally {
      clearInterval(timer);
      await flushLogs();
    }
  })();
  return inst;
}

/**
 * Notices a dead container at once (docker kill, OOM, crash, removal) instead of at the next
 * ping, and calls `dead` with how; nothing once `inst.abort` fires. Only for started containers:
 * the engine's wait returns at once for one that is merely created. Never rejects.
 */
export async function watchInstance(runtime: ContainerRuntime, inst: Instance, dead: (how: string) => void): Promise<void> {
  while (!inst.abort.signal.aborted) {
    let how: string;
    try {
      how = `exit code ${(await runtime.waitContainer(inst.containerId, inst.abort.signal)).exitCode}`;
    } catch (err) {
      if (inst.abort.signal.aborted) return;
      if (err instanceof RuntimeNotFoundError) how = 'its container was removed';
      else if (err instanceof RuntimeUnavailableError) {
        // The engine went away mid-wait: wait again once it is back.
        await pause(ENGINE_RETRY_MS, inst.abort.signal);
        continue;
      } else return;
    }
    if (!inst.abort.signal.aborted) dead(how);
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
