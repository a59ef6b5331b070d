/**
 * @module dataplane/routing-table — the in-memory table of serving endpoints that the
 * endpoint controller writes (only healthy instances) and the data plane reads on every request,
 * so no request touches Docker or the database.
 *
 *   controller ──publish(route)──▶ RoutingTable ◀──lookup(name)── data plane
 *                                     │
 *                 removed instances ──┴──▶ onInstanceRemoved listeners (close connection pools gracefully)
 *
 * The composition root (server/app.ts) builds one table and gives it to the endpoint controller
 * as its RoutePublisher (resources/endpoint-routes.ts) and to the data plane.
 *
 * After a restart the table is empty until the controller has adopted the running containers: it
 * marks the table "restoring" before the server listens, and the data plane holds requests for
 * names it does not know until then, instead of answering "not found" for an endpoint that exists.
 */
import type { EndpointRoute, InstanceRoute, RoutePublisher, RouteSpec, VariantRoute } from '../resources/endpoint-routes.js';
import type { ServerlessDemandView } from '../resources/serverless.js';
import { ServerlessDemand } from './serverless-demand.js';

export type { EndpointRoute, InstanceRoute, VariantRoute } from '../resources/endpoint-routes.js';

/**
 * Variant by smooth weighted round-robin over production variants with weight > 0 and at least
 * one instance (shadow variants are never a caller's). With weights 1:3 every window of 4 picks
 * has exactly one A and three B.
 */
export function pickVariant(route: EndpointRoute): VariantRoute | undefined {
  let total = 0;
  let best: VariantRoute | undefined;
  for (const v of route.variants) {
    if (v.weight <= 0 || v.instances.length === 0 || v.shadow) continue;
    v.current += v.weight;
    total += v.weight;
    if (!best || v.current > best.current) best = v;
  }
  if (best) best.current -= total;
  return best;
}

/** Least outstanding requests; ties go to the instance that served fewest so far (spreads load). */
export function pickInstance(variant: VariantRoute): InstanceRoute | undefined {
  let best: InstanceRoute | undefined;
  for (const i of variant.instances) {
    if (i.broken) continue;
    if (!best || i.outstanding < best.outstanding || (i.outstanding === best.outstanding && i.served < best.served)) best = i;
  }
  return best;
}

/**
 * The shadow variant and the share of requests it gets a copy of: its weight relative to the
 * production variants' (weight 0.5 beside 1: half; equal or more: all), as SageMaker's shadow tests
 * set the sampling through the variant weights. None without a shadow of weight > 0.
 */
export function shadowOf(variants: readonly VariantRoute[]): EndpointRoute['shadow'] {
  let production = 0;
  let shadow: VariantRoute | undefined;
  for (const v of variants) {
    if (v.shadow) shadow = v;
    else production += v.weight;
  }
  if (!shadow || shadow.weight <= 0) return undefined;
  return { variant: shadow, share: production > 0 ? Math.min(1, shadow.weight / production) : 1 };
}

export class RoutingTable implements RoutePublisher {
  private readonly routes = new Map<string, EndpointRoute>();
  /** Serverless variants' demand: written by the data plane, read by the controller. */
  readonly serverless = new ServerlessDemand();
  private restore: { done: Promise<void>; finish: () => void } | undefined;
  private readonly removedListeners = new Set<(instance: InstanceRoute) => void>();
  private readonly brokenListeners = new Set<(endpoint: string, instance: InstanceRoute) => void>();
  /** Replicas (dataplane/shared-routes.ts): fetches routes other replicas published, before a miss answers "not found". */
  missHandler: ((name: string) => Promise<void>) | undefined;

  /** Endpoint names are case-insensitive, as in the resource store. */
  lookup(name: string): EndpointRoute | undefined {
    // Keys are lower-case: a name that already is one hits without allocating a copy.
    return this.routes.get(name) ?? this.routes.get(name.toLowerCase());
  }

  /**
   * Replaces an endpoint's route. Instance objects carried over (same instanceId and origin) keep
   * their counters so draining and least-outstanding stay correct across re-publishes.
   */
  publish(route: RouteSpec): EndpointRoute {
    const key = route.name.toLowerCase();
    const old = this.routes.get(key);
    const oldInstances = new Map<string, InstanceRoute>();
    const oldVariants = new Map<string, VariantRoute>();
    for (const v of old?.variants ?? []) {
      oldVariants.set(v.name, v);
      for (const i of v.instances) oldInstances.set(i.instanceId, i);
    }
    const variants: VariantRoute[] = route.variants.map((v) => ({
        name: v.name,
        weight: v.weight,
        ...(v.shadow ? { shadow: true } : {}),
        ...(v.multiModel ? { multiModel: v.multiModel } : {}),
        ...(v.pipeline ? { pipeline: v.pipeline } : {}),
        ...(v.serverless ? { serverless: v.serverless } : {}),
        current: oldVariants.get(v.name)?.current ?? 0,
        instances: v.instances.map((i) => {
          const prev = oldInstances.get(i.instanceId);
          if (prev && prev.origin === i.origin) {
            oldInstances.delete(i.instanceId);
            return prev;
          }
          return { ...i, outstanding: 0, served: 0, broken: false };
        }),
    }));
    const shadow = shadowOf(variants);
    const next: EndpointRoute = {
      name: route.name,
      arn: route.arn,
      ...(route.capture ? { capture: route.capture } : {}),
      variants,
      ...(shadow ? { shadow } : {}),
    };
    this.routes.set(key, next);
    for (const gone of oldInstances.values()) this.emitRemoved(gone);
    if (next.variants.some((v) => v.serverless)) this.serverless.changed(next);
    return next;
  }

  /** The controller is about to adopt the endpoints that were serving (before the server listens). */
  beginRestore(): void {
    if (this.restore) return;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.restore = { done, finish };
  }

  /** Every endpoint that was serving is routed again (or known to have no instance). */
  endRestore(): void {
    const r = this.restore;
    this.restore = undefined;
    r?.finish();
  }

  /** While restoring: resolves when restored or after `timeoutMs`, whichever is first. Undefined otherwise. */
  whenRestored(timeoutMs: number): Promise<void> | undefined {
    const r = this.restore;
    if (!r) return undefined;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void r.done.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get restoring(): boolean {
    return this.restore !== undefined;
  }

  /** Every instance currently routed for the endpoint, by id (the controller drains on these). */
  instances(name: string): Map<string, InstanceRoute> {
    const out = new Map<string, InstanceRoute>();
    for (const v of this.lookup(name)?.variants ?? []) for (const i of v.instances) out.set(i.instanceId, i);
    return out;
  }

  remove(name: string): void {
    const key = name.toLowerCase();
    const old = this.routes.get(key);
    this.routes.delete(key);
    for (const v of old?.variants ?? []) for (const i of v.instances) this.emitRemoved(i);
    if (old?.variants.some((v) => v.serverless)) this.serverless.changed(name);
  }

  serverlessDemand(endpoint: string, variant: string): ServerlessDemandView | undefined {
    return this.serverless.view(endpoint, variant);
  }

  onServerlessDemand(listener: (endpoint: string) => void): () => void {
    return this.serverless.onDemand(listener);
  }

  serverlessStartFailed(endpoint: string, reason: string): void {
    this.serverless.failed(endpoint, reason);
  }

  names(): string[] {
    return [...this.routes.values()].map((r) => r.name);
  }

  /** The data plane saw a connection to `instance` fail; it is skipped until a ping clears it. */
  reportBroken(endpoint: string, instance: InstanceRoute): void {
    if (instance.broken) return;
    instance.broken = true;
    for (const l of this.brokenListeners) l(endpoint, instance);
  }

  onInstanceBroken(listener: (endpoint: string, instance: InstanceRoute) => void): () => void {
    this.brokenListeners.add(listener);
    return () => this.brokenListeners.delete(listener);
  }

  onInstanceRemoved(listener: (instance: InstanceRoute) => void): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  private emitRemoved(instance: InstanceRoute): void {
    for (const l of this.removedListeners) l(instance);
  }
}
