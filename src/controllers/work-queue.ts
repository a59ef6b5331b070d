/**
 * @module controllers/work-queue — keyed work queue driving reconcilers, after controller-runtime:
 * a key is queued at most once; a reconciler returns done or requeue-after, throws to retry with
 * backoff, or throws TerminalFailure (./terminal-failure.ts) to stop retrying. One key never runs twice at the same time.
 */
import { logger } from '../platform/logger.js';
import { TerminalFailure } from './terminal-failure.js';

export type ReconcileResult = { done: true } | { requeueAfterMs: number };

export const DONE: ReconcileResult = { done: true };
export const requeueAfter = (ms: number): ReconcileResult => ({ requeueAfterMs: ms });


export type Reconciler = (key: string, signal: AbortSignal) => Promise<ReconcileResult>;

interface Entry {
  timer?: NodeJS.Timeout;
  running: boolean;
  /** Set when enqueued while running: run again right after. */
  dirty: boolean;
  failures: number;
}

export class WorkQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly controller = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;

  /** `kind` is the key prefix before the first ':' (e.g. `training-job:my-job`). */
  constructor(private readonly reconcilers: Record<string, Reconciler>) {}

  enqueue(key: string, delayMs = 0): void {
    if (this.stopped) return;
    let e = this.entries.get(key);
    if (!e) {
      e = { running: false, dirty: false, failures: 0 };
      this.entries.set(key, e);
    }
    if (e.running) {
      e.dirty = true;
      return;
    }
    if (e.timer) {
      if (delayMs > 0) return; // an earlier wake-up is already scheduled
      clearTimeout(e.timer);
    }
    e.timer = setTimeout(() => this.run(key), delayMs);
  }

  private run(key: string): void {
    const e = this.entries.get(key);
    if (!e || this.stopped) return;
    e.timer = undefined;
    e.running = true;
    e.dirty = false;
    const kind = key.slice(0, key.indexOf(':'));
    const reconcile = this.reconcilers[kind];
    const p = (async () => {
      let next: number | undefined;
      try {
        if (!reconcile) throw new TerminalFailure(`no reconciler for ${kind}`);
        const result = await reconcile(key, this.controller.signal);
        e.failures = 0;
        if ('requeueAfterMs' in result) next = result.requeueAfterMs;
      } catch (err) {
        if (err instanceof TerminalFailure || this.stopped) {
          if (!this.stopped) logger.error({ key, err }, 'reconcile failed terminally');
        } else {
          e.failures++;
          next = Math.min(30_000, 250 * 2 ** Math.min(e.failures, 7));
          logger.warn({ key, err, retryInMs: next }, 'reconcile failed; retrying');
        }
      } finally {
        e.running = false;
      }
      if (e.dirty) next = 0;
      if (next !== undefined) this.enqueue(key, next);
      else if (!e.timer) this.entries.delete(key);
    })();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Aborted when the queue stops (server shutdown): long work started by reconcilers ends with it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops scheduling, aborts running reconcilers' signal and waits for them to return. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.controller.abort();
    await Promise.allSettled([...this.inflight]);
  }
}
