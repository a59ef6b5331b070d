/**
 * @module dataplane/serverless-gate — a request for a serverless variant
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html):
 *
 *   MaxConcurrency requests already in flight ──▶ ThrottlingException (429)
 *   an instance is routed ──▶ forwarded at once (least outstanding, as any variant)
 *   none (scaled to zero) ──▶ the controller is told, the request waits for the route to gain one
 *                             (every waiting request shares the same cold start) ──▶ forwarded
 *   its container could not start ──▶ ModelError (424) with the reason, at once
 *   none within the cold-start timeout ──▶ ModelNotReadyException (429, the runtime model's error
 *                             for "a serverless endpoint variant's resources are still being provisioned")
 *
 * The request counts against MaxConcurrency from admission until its response closes, waiting included.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../protocol/context.js';
import { ServiceError } from '../protocol/errors.js';
import { modelError, runtimeValidationError } from '../protocol/rest-json/runtime-errors.js';
import { pickInstance, type EndpointRoute, type InstanceRoute, type RoutingTable, type VariantRoute } from './routing-table.js';

export type Forward = (route: EndpointRoute, variant: VariantRoute, inst: InstanceRoute) => void;
export type Fail = (err: ServiceError) => void;

/** The endpoint's serverless variant when no production variant has an instance (pickVariant skips empty ones). */
export function serverlessVariantOf(route: EndpointRoute): VariantRoute | undefined {
  return route.variants.find((v) => v.serverless && !v.shadow);
}

/**
 * SageMaker Runtime's throttling error: not in the runtime model's error list, but the code every
 * AWS SDK knows as throttling (retried with backoff by boto3 and the JS SDK).
 */
export function throttled(route: EndpointRoute, variant: VariantRoute): ServiceError {
  return new ServiceError(
    'ThrottlingException',
    `Rate exceeded: endpoint ${route.name} variant ${variant.name} is already serving its MaxConcurrency of ${variant.serverless!.maxConcurrency} concurrent invocations.`,
    429,
  );
}

export function modelNotReady(route: EndpointRoute, variant: VariantRoute, seconds: number): ServiceError {
  return new ServiceError(
    'ModelNotReadyException',
    `Endpoint ${route.name} variant ${variant.name} is still being provisioned: no container was ready within ${seconds} seconds (cold start). Wait and try your request again.`,
    429,
  );
}

/**
 * The container started for this request could not start (exited, or not healthy in time):
 * waiting longer would not help, so the request fails with the controller's reason (which points
 * at the endpoint's logs), as ModelError does for a model that fails a request.
 */
export function startFailed(reason: string): ServiceError {
  return modelError({ message: reason, originalStatusCode: 0, originalMessage: reason });
}

/**
 * Admits a request for the serverless `variant` of `route` and forwards it once an instance is
 * routed, or fails it (throttled, not ready in time, endpoint gone). Nothing is called once the
 * caller has hung up.
 */
export function admitServerless(
  table: RoutingTable,
  coldStartTimeoutMs: number,
  res: ServerResponse,
  ctx: RequestContext,
  route: EndpointRoute,
  variant: VariantRoute,
  forward: Forward,
  fail: Fail,
): void {
  const demand = table.serverless.enter(route.name, variant.name, variant.serverless!.maxConcurrency);
  if (!demand) return fail(throttled(route, variant));
  res.once('close', () => table.serverless.leave(demand));
  const inst = pickInstance(variant);
  if (inst) return forward(route, variant, inst);

  let done = false;
  const finish = () => {
    done = true;
    clearTimeout(timer);
    demand.waiters.delete(wake);
    res.off('close', gone);
  };
  const wake = (failure?: string) => {
    if (done) return;
    if (failure !== undefined) {
      finish();
      return fail(startFailed(failure));
    }
    const now = table.lookup(route.name);
    if (!now) {
      finish();
      return fail(runtimeValidationError(`Endpoint ${route.name} of account ${ctx.accountId} not found.`));
    }
    const v = now.variants.find((x) => x.name === variant.name);
    const i = v ? pickInstance(v) : undefined;
    if (v && i) {
      finish();
      forward(now, v, i);
    }
  };
  const gone = () => finish();
  const timer = setTimeout(() => {
    if (done) return;
    finish();
    fail(modelNotReady(route, variant, Math.round(coldStartTimeoutMs / 1000)));
  }, coldStartTimeoutMs);
  demand.waiters.add(wake);
  // The request body stays unread in the socket meanwhile (backpressure), as for any slow model.
  res.once('close', gone);
  table.serverless.signal(route.name);
}
