/**
 * @module controllers/container-logs — copies a job container's output into the
 * LogStore in batches (every 250 ms or 500 lines), resuming after the newest stored line so a
 * re-attach after a server restart adds no duplicates. Shared by the training, processing and
 * transform controllers.
 */
import { RuntimeUnavailableError, type ContainerRuntime, type LogLine } from '../runtime/container-runtime.js';
import { logger } from '../platform/logger.js';
import type { LogStore } from '../storage/log-store.js';

export interface FollowOptions {
  runtime: ContainerRuntime;
  logs: LogStore;
  group: string;
  stream: string;
  /** Container id or name. */
  container: string;
  signal: AbortSignal;
  /** Sees every line before it is batched (metric extraction). */
  onLine?: (line: LogLine) => void;
  /** Runs after each stored batch. */
  onFlush?: () => Promise<void> | void;
}

/** How long to wait before following again after the engine could not be reached. */
const REFOLLOW_MS = 1_000;

/**
 * Resolves when the container's log ends (it exited or is gone) or `signal` aborts; never rejects.
 * When the engine cannot be reached for a while, it follows again once it can, after the newest
 * stored line.
 */
export async function followContainerLogs(o: FollowOptions): Promise<void> {
  while (!o.signal.aborted) {
    const unreachable = await followOnce(o);
    if (!unreachable) return;
    await new Promise((r) => setTimeout(r, REFOLLOW_MS));
  }
}

/** One follow; true when it ended because the engine could not be reached. */
async function followOnce(o: FollowOptions): Promise<boolean> {
  const last = (await o.logs.streams(o.group, o.stream)).find((s) => s.name === o.stream)?.lastEventTime;
  const sinceMs = last ? last + 1 : undefined;
  let batch: { timestamp: number; message: string }[] = [];
  let lastFlush = Date.now();
  const flush = async () => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    lastFlush = Date.now();
    try {
      await o.logs.append(o.group, o.stream, lines);
      await o.onFlush?.();
    } catch (err) {
      logger.warn({ err, group: o.group, stream: o.stream }, 'could not store container log lines');
    }
  };
  const timer = setInterval(() => void flush(), 250);
  timer.unref();
  try {
    for await (const line of o.runtime.followLogs(o.container, { sinceMs, signal: o.signal })) {
      batch.push({ timestamp: line.timestamp, message: line.message });
      o.onLine?.(line);
      if (batch.length >= 500 || Date.now() - lastFlush > 250) await flush();
    }
  } catch (err) {
    if (err instanceof RuntimeUnavailableError && !o.signal.aborted) return true;
    if (!o.signal.aborted) logger.warn({ err, group: o.group, stream: o.stream }, 'following container logs failed');
  } finally {
    clearInterval(timer);
    await flush();
  }
  if (o.signal.aborted) return false;
  // A follow cut off by the engine can look like an ordinary end: follow again while the container runs.
  const info = await o.runtime.inspectContainer(o.container).catch((err: unknown) => err);
  return info instanceof RuntimeUnavailableError || (typeof info === 'object' && info !== null && (info as { running?: boolean }).running === true);
}
