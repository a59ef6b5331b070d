/**
 * @module dataplane/multi-model — InvokeEndpoint on a multi-model variant (`Mode: MultiModel`):
 *
 *   TargetModel required ──▶ body read whole (≤ 6 MiB) ──▶ instance: least outstanding among those
 *   that already hold the model, else among all ──▶ ModelLoader.ensure (load on first use, LRU
 *   unload) ──▶ POST /models/<model_name>/invoke on that instance, relayed like any invocation
 *
 * A TargetModel with no object under the prefix is the caller's ValidationError (400); a container
 * that fails to load it answers as a ModelError (424), as SageMaker does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../protocol/context.js';
import { asServiceError, ServiceUnavailable } from '../protocol/errors.js';
import { renderError, runtimeValidationError } from '../protocol/rest-json/runtime-errors.js';
import { TargetModelError, type ModelLoader } from '../resources/multi-model.js';
import type { Invocation } from './invocation.js';
import type { InvocationPlane } from './invocation.js';
import { pickInstance, type EndpointRoute, type InstanceRoute, type VariantRoute } from './routing-table.js';

/** The instance to send `target` to: least outstanding among holders, else among all. */
export function pickForModel(variant: VariantRoute, holds: (inst: InstanceRoute) => boolean): InstanceRoute | undefined {
  const holders = variant.instances.filter((i) => !i.broken && holds(i));
  return pickInstance(holders.length ? { ...variant, instances: holders } : variant);
}

export interface MultiModelCall {
  plane: InvocationPlane;
  loader: ModelLoader;
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RequestContext;
  route: EndpointRoute;
  variant: VariantRoute & { multiModel: { prefix: string } };
  target: string;
  /** Builds the invocation for the chosen instance. */
  invocation(inst: InstanceRoute): Invocation;
}

/** Loads the model where needed, then starts the invocation with the body read whole. */
export function invokeMultiModel(c: MultiModelCall, body: Buffer): void {
  const inst = pickForModel(c.variant, (i) => c.loader.holds(i.instanceId, c.target));
  if (!inst) {
    renderError(c.res, c.ctx, new ServiceUnavailable(`Endpoint ${c.route.name} has no healthy instance to serve the request. Try again later.`));
    return;
  }
  // Counted while the model loads, so concurrent requests spread over the other instances.
  inst.outstanding++;
  c.loader
    .ensure({ endpoint: c.route.name, variant: c.variant.name, prefix: c.variant.multiModel.prefix, instanceId: inst.instanceId, origin: inst.origin }, c.target)
    .then(
      (modelName) => {
        inst.outstanding--;
        if (c.res.destroyed) return;
        c.invocation(inst).start(body, { path: `/models/${modelName}/invoke` });
      },
      (err: unknown) => {
        inst.outstanding--;
        if (err instanceof TargetModelError) {
          const se = err.kind === 'client' ? runtimeValidationError(err.message) : c.plane.containerError(c.ctx, c.route, inst, err.status, err.message);
          renderError(c.res, c.ctx, se);
          return;
        }
        renderError(c.res, c.ctx, asServiceError(err));
      },
    );
}
