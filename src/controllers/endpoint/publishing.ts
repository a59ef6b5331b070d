/**
 * @module controllers/endpoint/publishing — what the endpoint controller shows of a fleet: the
 * route the data plane serves (serving instances of the active fleet, with its weights) and the
 * ProductionVariants summaries DescribeEndpoint reads. Pure: built from the record and instances.
 */
import type { RouteSpec, EndpointRoute } from '../../resources/endpoint-routes.js';
import { captureSettings } from '../../resources/data-capture.js';
import { EndpointStatus, type VariantSummaryDoc } from '../../resources/endpoint.js';
import type { ResourceRecord } from '../../resources/kinds.js';
import { serverlessConfigDoc } from '../../resources/serverless.js';
import { isServing, ofVariant, type FleetMember } from './fleet.js';

/** An instance as a route needs it. */
export interface Routable extends FleetMember {
  id: string;
  origin?: string;
  /** An inference pipeline's containers. */
  members?: { hostname: string; origin?: string }[];
}

/** The active fleet's serving instances with the active weights. */
export function routeSpec(rec: ResourceRecord<'endpoint'>, instances: Iterable<Routable>): RouteSpec {
  const plan = rec.internal.active;
  const all = [...instances];
  const capture = captureSettings(plan.dataCaptureConfig);
  return {
    name: rec.name,
    arn: rec.arn,
    ...(capture ? { capture } : {}),
    variants: plan.variants.map((v) => ({
      name: v.variantName,
      weight: v.weight,
      ...(v.shadow ? { shadow: true } : {}),
      ...(v.multiModel && v.modelDataUrl ? { multiModel: { prefix: v.modelDataUrl } } : {}),
      ...(v.pipeline ? { pipeline: { mode: v.pipeline.mode, hostnames: v.pipeline.containers.map((c) => c.hostname) } } : {}),
      ...(v.serverless ? { serverless: { maxConcurrency: v.serverless.maxConcurrency } } : {}),
      instances: ofVariant(all, plan.generation, v.variantName)
        .filter((i) => isServing(i) && i.origin && (i.members ?? []).every((m) => m.origin))
        .map((i) => ({
          instanceId: i.id,
          variant: i.variant,
          origin: i.origin!,
          logStream: `${i.variant}/${i.id}`,
          ...(i.members ? { containers: i.members.map((m) => ({ hostname: m.hostname, origin: m.origin!, logStream: `${i.variant}/${i.id}/${m.hostname}` })) } : {}),
        })),
    })),
  };
}

/**
 * DescribeEndpoint's variant summaries, in plan order (shadows included: endpointSummaries splits
 * them): images, routed and desired weights, serving and desired counts, and while the fleet
 * waits for capacity, why (VariantStatus).
 */
export function variantSummaries(
  rec: ResourceRecord<'endpoint'>,
  instances: Iterable<FleetMember>,
  route: EndpointRoute | undefined,
  waiting: { message: string; since: number } | undefined,
): VariantSummaryDoc[] {
  const plan = rec.internal.active;
  const all = [...instances];
  return plan.variants.map((v) => {
    const routed = route?.variants.find((r) => r.name === v.variantName);
    return {
      VariantName: v.variantName,
      // One per container; a pipeline's first container is the one whose digest is recorded.
      DeployedImages: (v.pipeline?.containers ?? [v]).map((c, k) => ({
        SpecifiedImage: c.image,
        ...(k === 0 && v.resolvedImage ? { ResolvedImage: v.resolvedImage } : {}),
        ...(k === 0 && v.resolutionTime ? { ResolutionTime: v.resolutionTime } : {}),
      })),
      CurrentWeight: routed?.weight ?? v.weight,
      DesiredWeight: v.weight,
      // A serverless variant shows its configuration instead of instance counts.
      ...(v.serverless
        ? { CurrentServerlessConfig: serverlessConfigDoc(v.serverless), DesiredServerlessConfig: serverlessConfigDoc(v.serverless) }
        : { CurrentInstanceCount: ofVariant(all, plan.generation, v.variantName).filter(isServing).length, DesiredInstanceCount: v.instanceCount }),
      ...(waiting
        ? { VariantStatus: [{ Status: rec.status === EndpointStatus.Updating ? 'Updating' : 'Creating', StatusMessage: waiting.message, StartTime: waiting.since / 1000 }] }
        : {}),
    };
  });
}
