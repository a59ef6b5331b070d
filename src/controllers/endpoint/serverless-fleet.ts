/**
 * @module controllers/endpoint/serverless-fleet — how the endpoint controller sizes a serverless
 * variant's fleet: the same fleet as any variant (started, pinged, drained and removed by
 * ./fleet-runner.ts), whose count follows the data plane's demand (resources/serverless.ts
 * serverlessTarget) instead of an instance count: up from zero when a request finds no container,
 * back to ProvisionedConcurrency after SLIPWAY_SERVERLESS_IDLE_SECONDS without requests.
 */
import type { SlipwayConfig } from '../../platform/config.js';
import type { RoutePublisher } from '../../resources/endpoint-routes.js';
import type { VariantPlan } from '../../resources/endpoint.js';
import type { ResourceRecord } from '../../resources/kinds.js';
import { hostContainerCap, serverlessTarget } from '../../resources/serverless.js';
import { InstanceState, type FleetMember } from './fleet.js';

/** While a serverless container starts, its ping is tried this often: a request is waiting for it. */
export const COLD_START_CHECK_MS = 100;

/**
 * Containers started for a serverless variant in one reconcile pass: the pass pings the starting
 * ones only before it starts more, so a burst must not keep the first cold start from being seen.
 */
export const STARTS_PER_PASS = 2;

/**
 * The serverless variant `v`'s container count now, given `alive` (starting or serving)
 * containers, and how many of them may exist after this pass (`now`: at most STARTS_PER_PASS more).
 */
export function serverlessWant(
  table: RoutePublisher,
  config: Pick<SlipwayConfig, 'serverless'>,
  endpoint: string,
  v: VariantPlan,
  alive: number,
  hostMemoryBytes: number,
): { want: number; now: number } {
  const p = v.serverless!;
  const want = serverlessTarget(p, table.serverlessDemand(endpoint, v.variantName), alive, Date.now(), config.serverless.idleSeconds * 1000, hostContainerCap(p, hostMemoryBytes));
  return { want, now: Math.min(want, alive + STARTS_PER_PASS) };
}

/** A container of a serverless variant of the active fleet is starting. */
export function coldStarting(rec: ResourceRecord<'endpoint'>, instances: Iterable<FleetMember>): boolean {
  const plan = rec.internal.active;
  const serverless = new Set(plan.variants.filter((v) => v.serverless).map((v) => v.variantName));
  if (serverless.size === 0) return false;
  for (const i of instances) if (i.generation === plan.generation && i.state === InstanceState.Starting && serverless.has(i.variant)) return true;
  return false;
}
