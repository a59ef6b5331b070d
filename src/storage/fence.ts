/**
 * @module storage/fence — the fencing token a reconcile's writes carry (docs/cluster.md "Replicas:
 * leases and fencing"). The work queue runs each reconcile inside `withFence`; ResourceStore's
 * writes made anywhere beneath it (however deep, including work the reconcile started) check in
 * their own transaction that this replica still holds the lease with that token, so a replica that
 * lost its lease (paused, partitioned) cannot overwrite the new holder's work.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Fence {
  /** The work-queue key whose lease the write depends on. */
  key: string;
  holder: string;
  token: number;
}

/** A write was refused: the lease it was fenced with has passed to another holder. */
export class FencedError extends Error {
  constructor(readonly fence: Fence) {
    super(`lease of ${fence.key} (token ${fence.token}) is no longer held by ${fence.holder}: write refused`);
  }
}

const current = new AsyncLocalStorage<Fence>();

export function withFence<T>(fence: Fence, fn: () => T): T {
  return current.run(fence, fn);
}

/** The fence of the reconcile this code runs in, if any. */
export function currentFence(): Fence | undefined {
  return current.getStore();
}
