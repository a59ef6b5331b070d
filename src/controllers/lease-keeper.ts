/**
 * @module controllers/lease-keeper — this replica's side of the leases (docs/cluster.md "Replicas:
 * leases and fencing"), used when several replicas share one PostgreSQL database. It is the work
 * queue's LeaseGate: a key is claimed before its first reconcile here and kept while this process
 * lives. Every 2 s it renews what it holds (a lease lasts 6 s) and claims the work of replicas that
 * stopped renewing — resources not in a terminal state whose lease expired or was never taken —
 * so a replica killed with -9 is replaced within 6 + 2 s. On a clean shutdown it releases all.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { logger } from '../platform/logger.js';
import type { Fence } from '../storage/fence.js';
import type { LeaseStore } from '../storage/lease-store.js';
import type { LeaseGate, WorkQueue } from './work-queue.js';

export interface LeaseKeeperOptions {
  store: LeaseStore;
  queue: WorkQueue;
  /** Work-queue kinds that are stored resources (their status says whether work remains). */
  resourceKinds: readonly string[];
  /** Work-queue kinds with no resource row (e.g. the autoscaling driver): taken over while expired. */
  otherKinds: readonly string[];
  /** Called before the first reconcile of a key this replica took over from another (adopt its containers). */
  takeOver?: (key: string) => Promise<void>;
  /** A lease this replica held passed to another (this one paused or lost the database too long). */
  onLost?: (key: string) => void;
  ttlMs?: number;
  intervalMs?: number;
}

export class LeaseKeeper implements LeaseGate {
  /** Random per process: a restarted replica is a new holder (its old leases expire or are fenced). */
  readonly id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly held = new Map<string, number>();
  /** Per held key, the wake-up count last seen (controllers/work-queue.ts LeaseGate.handOff). */
  private readonly woken = new Map<string, number>();
  /** Local-clock time until which a held lease needs no round trip (renewed with a margin). */
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly ttlMs: number;
  private readonly intervalMs: number;

  constructor(private readonly o: LeaseKeeperOptions) {
    this.ttlMs = o.ttlMs ?? 6_000;
    this.intervalMs = o.intervalMs ?? 2_000;
  }

  start(): void {
    this.o.queue.useLeases(this);
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async acquire(queueKey: string): Promise<Fence | undefined> {
    // One lease per resource whatever the case a handler wrote its name in (names are case-insensitive).
    const key = queueKey.toLowerCase();
    const have = this.held.get(key);
    if (have !== undefined && Date.now() < this.validUntil) return { key, holder: this.id, token: have };
    const lease = await this.o.store.claim(key, this.id, this.ttlMs);
    if (lease === undefined) {
      this.forget(key);
      return undefined;
    }
    // Token 1 is a first claim; a higher one on a key new here means another replica ran it. Held
    // only once adopted: a failed adoption is tried again with the reconcile's retry.
    if (have === undefined && lease.token > 1 && this.o.takeOver) {
      logger.info({ key, token: lease.token, replica: this.id }, 'took over the lease of another replica');
      await this.o.takeOver(queueKey);
    }
    this.held.set(key, lease.token);
    if (!this.woken.has(key)) this.woken.set(key, lease.wake);
    return { key, holder: this.id, token: lease.token };
  }

  lost(key: string): void {
    this.forget(key.toLowerCase());
  }

  async handOff(key: string): Promise<void> {
    await this.o.store.wake(key.toLowerCase()).catch((err: unknown) => logger.warn({ err, key }, 'could not wake the holder of a key'));
  }

  /** The work-queue key (the resource's own spelling) of a lease key, for enqueueing. */
  private async queueKey(leaseKey: string): Promise<string> {
    return (await this.o.store.resourceKey(leaseKey)) ?? leaseKey;
  }

  private forget(key: string): void {
    if (this.held.delete(key)) this.o.onLost?.(key);
    this.woken.delete(key);
  }

  /** The leases held now (tests, diagnostics). */
  holding(): ReadonlyMap<string, number> {
    return this.held;
  }

  /** Renews every lease held, then claims (by enqueueing) the work no live replica holds. */
  async tick(): Promise<void> {
    try {
      const started = Date.now();
      const renewed = await this.o.store.renewAll(this.id, this.ttlMs);
      const still = new Map(renewed.map((l) => [l.key, l]));
      for (const key of [...this.held.keys()]) if (!still.has(key)) this.forget(key);
      for (const [key, lease] of still) {
        if (!this.held.has(key)) continue;
        this.held.set(key, lease.token);
        // Another replica changed the resource and asked this holder to reconcile it.
        if (lease.wake > (this.woken.get(key) ?? lease.wake)) this.o.queue.enqueue(await this.queueKey(key));
        this.woken.set(key, lease.wake);
      }
      // A margin of one interval: a renewal that fails leaves time to notice before expiry.
      this.validUntil = started + this.ttlMs - this.intervalMs;
      for (const key of await this.o.store.orphans(this.o.resourceKinds, this.o.otherKinds)) {
        if (!this.held.has(key.toLowerCase())) this.o.queue.enqueue(key);
      }
    } catch (err) {
      this.validUntil = 0;
      logger.warn({ err }, 'lease renewal failed; claims are checked with the database until it works again');
    }
  }

  /** Stops renewing and gives every lease up, so another replica takes the work at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.o.store.releaseAll(this.id).catch((err: unknown) => logger.warn({ err }, 'could not release leases'));
    this.held.clear();
    this.woken.clear();
  }
}
