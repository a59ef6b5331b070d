/**
 * @module controllers/work-queue — keyed work queue driving reconcilers, after controller-runtime:
 * a key is queued at most once; a reconciler returns done or requeue-after, throws to retry with
 * backoff, or throws TerminalFailure (./terminal-failure.ts) to stop retrying. One key never runs twice at the same time.
 */
import { logger } from '../platform/logger.js';
import { TerminalFailure } from './terminal-failure.js';
import { FencedError, withFence, type Fence } from '../storage/fence.js';

export type ReconcileResult = { done: true } | { requeueAfterMs: number };

export const DONE: ReconcileResult = { done: true };
export const requeueAfter = (ms: number): ReconcileResult => ({ requeueAfterMs: ms });


export type Reconciler = (key: string, signal: AbortSignal) => Promise<ReconcileResult>;

/**
 * Replicas on one database (controllers/lease-keeper.ts): a key is reconciled only under its
 * lease. `acquire` claims it (or finds it already held here) and returns the fence its writes
 * carry, or undefined while another live replica holds it: the key is then left to that replica.
 */
export interface LeaseGate {
  acquire(key: string): Promise<Fence | undefined>;
  /** The key is held by another replica: ask that one to reconcile it. */
  handOff(key: string): Promise<void>;
  /** A write of the key's reconcile was fenced off: the lease is gone. */
  lost(key: string): void;
}

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
  private gate: LeaseGate | undefined;

  /** `kind` is the key prefix before the first ':' (e.g. `training-job:my-job`). */
  constructor(private readonly reconcilers: Record<string, Reconciler>) {}

  /** From now on every reconcile runs under its key's lease (cluster mode only; one process needs none). */
  useLeases(gate: LeaseGate): void {
    this.gate = gate;
  }

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
        const fence = this.gate ? await this.gate.acquire(key) : undefined;
        if (this.gate && !fence) {
          // Another live replica reconciles this key: it is asked to do so now (this replica may
          // have just changed the resource); its lease scan hands the key back here if it dies.
          e.dirty = false;
          await this.gate.handOff(key);
        } else {
          const signal = this.controller.signal;
          const result = fence ? await withFence(fence, () => reconcile(key, signal)) : await reconcile(key, signal);
          e.failures = 0;
          if ('requeueAfterMs' in result) next = result.requeueAfterMs;
        }
      } catch (err) {
        if (err instanceof FencedError) {
          logger.warn({ key }, 'lease lost to another replica; leaving the key to it');
          this.gate?.lost(key);
          e.dirty = false;
        } else if (err instanceof TerminalFailure || this.stopped) {
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
