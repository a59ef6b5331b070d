/**
 * @module dataplane/serverless-demand — the demand on serverless variants, kept beside the routes
 * (the RoutingTable owns one): requests admitted and not finished per variant, when the variant
 * was last active, and the requests waiting for a cold start. The data plane writes it
 * (./serverless-gate.ts); the endpoint controller reads it to size the variant's fleet
 * (resources/serverless.ts serverlessTarget) and is told at once when a request finds no container.
 *
 *   request ──enter──▶ busy+1 ──no instance──▶ waiter + "demand" listeners (controller reconciles now)
 *   route published with an instance ──▶ waiters woken ──▶ forwarded
 *   container could not start ──▶ waiters fail with the reason
 *   response closed ──leave──▶ busy-1, lastActive = now
 */
import type { ServerlessDemandView } from '../resources/serverless.js';
import type { EndpointRoute } from '../resources/endpoint-routes.js';

/** One serverless variant's demand. */
export interface VariantDemand extends ServerlessDemandView {
  /**
   * Callbacks of requests waiting for an instance: called when the endpoint's route changes, or
   * with the reason when the variant's container could not start.
   */
  readonly waiters: Set<(failure?: string) => void>;
}

const keyOf = (endpoint: string, variant: string) => `${endpoint.toLowerCase()}\n${variant}`;

export class ServerlessDemand {
  private readonly variants = new Map<string, VariantDemand>();
  private readonly listeners = new Set<(endpoint: string) => void>();

  view(endpoint: string, variant: string): ServerlessDemandView | undefined {
    return this.variants.get(keyOf(endpoint, variant));
  }

  /**
   * Admits one request unless `max` are already in flight on the variant (undefined then: the
   * caller is throttled). The admitted request must `leave` exactly once.
   */
  enter(endpoint: string, variant: string, max: number, now = Date.now()): VariantDemand | undefined {
    const key = keyOf(endpoint, variant);
    let d = this.variants.get(key);
    if (!d) {
      d = { busy: 0, lastActive: now, waiters: new Set() };
      this.variants.set(key, d);
    }
    if (d.busy >= max) return undefined;
    d.busy++;
    d.lastActive = now;
    return d;
  }

  leave(d: VariantDemand, now = Date.now()): void {
    d.busy = Math.max(0, d.busy - 1);
    d.lastActive = now;
  }

  /** A request found no instance: the controller should size the fleet now, not at its next tick. */
  signal(endpoint: string): void {
    for (const l of this.listeners) l(endpoint);
  }

  onDemand(listener: (endpoint: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The endpoint's containers could not start: its waiting requests fail with `reason` rather than wait it out. */
  failed(endpoint: string, reason: string): void {
    const prefix = `${endpoint.toLowerCase()}\n`;
    for (const [key, d] of this.variants) if (key.startsWith(prefix)) for (const wake of [...d.waiters]) wake(reason);
  }

  /** The endpoint's route was published or removed: its waiting requests look again. */
  changed(route: EndpointRoute | string): void {
    const name = typeof route === 'string' ? route : route.name;
    const prefix = `${name.toLowerCase()}\n`;
    for (const [key, d] of this.variants) {
      if (!key.startsWith(prefix)) continue;
      for (const wake of [...d.waiters]) wake();
      if (typeof route === 'string' && d.busy === 0) this.variants.delete(key);
    }
  }
}
