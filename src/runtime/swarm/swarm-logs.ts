/**
 * @module runtime/swarm/swarm-logs — a container's log lines through the manager's service logs
 * (`GET /services/{id}/logs`), which reach every node's agent. Swarm's follow never ends by itself
 * (it waits for further tasks of the service) and yields nothing for a service whose task has
 * already ended, so the phase is polled beside the stream:
 *
 *   waiting ──poll──▶ running: follow ──task ended──▶ drain, close ──▶ catch-up read (no follow)
 *                     ended: one read without follow
 *
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Service/operation/ServiceLogs
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { LogLine } from '../container-runtime.js';
import { translateError } from '../docker/docker-mapping.js';
import { pause } from '../engine-helpers.js';
import { decodeLogStream } from '../docker/log-stream.js';
import type { Phase } from './swarm-mapping.js';

export interface LogSource {
  /** The container's phase now; throws RuntimeNotFoundError once it is gone. */
  phase(): Promise<Phase>;
  /** The service's multiplexed, timestamped log stream from `sinceMs`. */
  open(follow: boolean, sinceMs: number | undefined, signal: AbortSignal): Promise<Readable>;
}

export interface FollowOptions {
  sinceMs?: number;
  signal?: AbortSignal;
  /** How often the phase is looked at. */
  pollMs: number;
  /** How long lines may still arrive after the task was seen ending. */
  drainMs: number;
  /** Limit for a read without follow (a lost node's agent never answers). */
  readTimeoutMs: number;
}

/** GET /services/{id}/logs as a stream even without follow (dockerode buffers those whole). */
export function serviceLogStream(docker: Docker, service: string, follow: boolean, sinceMs: number | undefined, signal: AbortSignal): Promise<Readable> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/services/${encodeURIComponent(service)}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'no such service', 500: 'server error', 503: 'node is not part of a swarm' },
        options: {
          follow,
          stdout: true,
          stderr: true,
          timestamps: true,
          // Seconds with a fraction; decodeLogStream cuts exactly at the millisecond.
          since: sinceMs !== undefined ? (Math.max(0, sinceMs) / 1000).toFixed(3) : 0,
        },
      } as Parameters<Docker['modem']['dial']>[0],
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as Readable)),
    );
  });
}

/** Every line from the start (or `sinceMs`) until the container's task ends or `signal` aborts. */
export async function* followServiceLogs(src: LogSource, id: string, o: FollowOptions): AsyncIterable<LogLine> {
  const { signal } = o;
  if (signal?.aborted) return;
  let phase = await src.phase();
  while (phase === 'waiting') {
    await pause(o.pollMs, signal);
    if (signal?.aborted) return;
    phase = await src.phase();
  }
  // The last line handed out and how many lines shared its millisecond, so a later read skips them.
  let lastMs: number | undefined;
  let atLastMs = 0;
  const seen = (line: LogLine) => {
    if (line.timestamp === lastMs) atLastMs++;
    else {
      lastMs = line.timestamp;
      atLastMs = 1;
    }
  };

  while (phase === 'running') {
    const ac = new AbortController();
    const both = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
    let stream: Readable;
    try {
      stream = await src.open(true, lastMs ?? o.sinceMs, both);
    } catch (err) {
      if (signal?.aborted) return;
      throw translateError(err, `follow logs of ${id}`);
    }
    let ended = false;
    const watcher = (async () => {
      while (!both.aborted) {
        await pause(o.pollMs, both);
        if (both.aborted) return;
        const now = await src.phase().catch(() => 'ended' as const);
        if (now !== 'running') {
          ended = true;
          await pause(o.drainMs, both);
          stream.destroy();
          return;
        }
      }
    })();
    const onAbort = () => stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    let skip = atLastMs;
    const from = lastMs;
    try {
      for await (const line of decodeLogStream(stream, { sinceMs: from ?? o.sinceMs })) {
        if (from !== undefined && line.timestamp === from && skip > 0) {
          skip--;
          continue;
        }
        seen(line);
        yield line;
      }
    } catch (err) {
      if (!ended && !signal?.aborted) throw translateError(err, `follow logs of ${id}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      ac.abort();
      stream.destroy();
      await watcher;
    }
    if (signal?.aborted) return;
    // The stream may also close while the task still runs (a manager restart): follow again.
    phase = ended ? 'ended' : await src.phase().catch(() => 'ended' as const);
    if (phase === 'running') await pause(o.pollMs, signal);
  }
  if (signal?.aborted) return;
  yield* readOnce(src, lastMs ?? o.sinceMs, lastMs !== undefined ? atLastMs : 0, o);
}

/**
 * The lines written from `fromMs` on, without following: all of them for a container that ended
 * before the caller came, and the last ones a closing follow may have missed. Lines at `fromMs`
 * already handed out are skipped. Ends quietly when the node does not answer in time.
 */
async function* readOnce(src: LogSource, fromMs: number | undefined, skipAtFrom: number, o: FollowOptions): AsyncIterable<LogLine> {
  const timeout = AbortSignal.timeout(o.readTimeoutMs);
  const both = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let stream: Readable;
  try {
    stream = await src.open(false, fromMs, both);
  } catch {
    return; // gone, or its node is unreachable: nothing more to read
  }
  let skip = skipAtFrom;
  try {
    for await (const line of decodeLogStream(stream, { sinceMs: fromMs })) {
      if (fromMs !== undefined && line.timestamp === fromMs && skip > 0) {
        skip--;
        continue;
      }
      yield line;
    }
  } catch {
    // cut off by the timeout or the caller: what came is what there is
  } finally {
    stream.destroy();
  }
}
