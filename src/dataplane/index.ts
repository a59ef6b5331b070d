/**
 * @module dataplane — the SageMaker Runtime surface: InvokeEndpoint and
 * InvokeEndpointWithResponseStream proxied to the endpoint's containers (contract §1.4, §4.2).
 *
 *   POST /endpoints/{name}/invocations[-response-stream]   (other methods: 404 UnknownOperationException)
 *     → CORS → header members checked against the runtime model (./request-headers.ts)
 *     → route lookup (in memory, kept by the endpoint controller; no Docker, no SQLite); just
 *       after a restart an unknown name waits until the controller has adopted what was serving
 *     → variant: X-Amzn-SageMaker-Target-Variant or smooth weighted round-robin
 *     → instance: least outstanding requests → keep-alive undici Pool per instance
 *     → request body: ≤ 64 KiB read whole, ≤ 6 MiB by Content-Length streamed up, without
 *       Content-Length read whole first (./unsized-body.ts: the model never sees an oversize body)
 *     → Invocation (./invocation.ts) relays the response: whole, streamed, or as event-stream frames
 *     → an inference pipeline (several containers): chained or targeted by ./pipeline.ts
 *     → with a shadow variant, a sampled copy goes to it as well and its answer is dropped (./shadow-mirror.ts)
 *     → container non-2xx / no answer in time → ModelError (424), never 5xx (SDKs would retry)
 *
 * This is the hot path (bench/invoke): no per-request promises, streams or async iterators for
 * small bodies, and metrics go to pre-resolved series.
 *
 * Invocation timeout: 60 s as in SageMaker; `SLIPWAY_INVOCATION_TIMEOUT_MS` overrides it (tests).
 *
 * InvokeEndpointAsync (`/async-invocations`) is queued and run by ./async/async-invocations.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { RequestContext } from '../protocol/context.js';
import { ServiceError, ServiceUnavailable, asServiceError } from '../protocol/errors.js';
import { modelError, oversizeBody, renderError, runtimeValidationError } from '../protocol/rest-json/runtime-errors.js';
import type { Surface, SurfaceHandler } from '../protocol/surface.js';
import type { SlipwayConfig } from '../platform/config.js';
import type { ResourceStore } from '../storage/resource-store.js';
import { pickInstance, pickVariant, type RoutingTable, type EndpointRoute, type InstanceRoute, type VariantRoute } from './routing-table.js';
import { endpointLogGroup } from '../resources/endpoint.js';
import { answerPreflight, applyCors } from './cors.js';
import { COALESCE_LIMIT, Invocation, type InvocationPlane } from './invocation.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { SqlDb } from '../storage/sql/sql-db.js';
import { AsyncInvocations } from './async/async-invocations.js';
import { DataCaptureWriter } from './capture/data-capture.js';
import type { LogStore } from '../storage/log-store.js';
import { headerValidationMessage } from './request-headers.js';
import { readUnsized } from './unsized-body.js';
import { readWhole } from '../protocol/read-body.js';
import { ShadowMirror, sampleShadow } from './shadow-mirror.js';
import { invokeMultiModel, type MultiModelCall } from './multi-model.js';
import { admitServerless, serverlessVariantOf } from './serverless-gate.js';
import type { ModelLoader } from '../resources/multi-model.js';
import { pipelineStages } from '../resources/inference-pipeline.js';
import { invokePipeline, PipelinePools, type PipelineCall } from './pipeline.js';

export interface RuntimeSurface {
  surface: Surface;
  stop(): Promise<void>;
}

export interface RuntimeSurfaceDeps {
  config: SlipwayConfig;
  resources: ResourceStore;
  /** The routes the endpoint controller publishes (the same table it was given). */
  routes: RoutingTable;
  /** Invocation counts and latency split (ModelLatency vs OverheadLatency) go here. */
  metrics: Metrics;
  /** Where InvokeEndpointAsync reads InputLocation and writes results (without it, async is off). */
  objects?: ObjectStore;
  /** The metadata database (async queue); without it the surface opens its own connection to `config.dbPath`. */
  sql?: SqlDb;
  /** Where data capture reports write failures (the endpoint's log group). */
  logs?: LogStore;
  /** Loads TargetModels into multi-model instances (absent: multi-model variants answer 503). */
  modelLoader?: ModelLoader;
  [other: string]: unknown;
}

/** 6 MiB: InvokeEndpoint's Body max in the model and the hosting contract's payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Longest a request for an unknown endpoint waits for the endpoint controller to finish adopting after a restart. */
const RESTORE_WAIT_MS = 10_000;
const PATH = /^\/endpoints\/([^/]+)\/(invocations|invocations-response-stream|async-invocations)$/;

/** Request headers the container gets (contract §1.4/§4.2); everything else (auth, host) stays here. */
const FORWARDED = [
  'content-type',
  'accept',
  'x-amzn-sagemaker-custom-attributes',
  'x-amzn-sagemaker-inference-id',
  'x-amzn-sagemaker-target-model',
  'x-amzn-sagemaker-target-container-hostname',
  'x-amzn-sagemaker-enable-explanations',
  'x-amzn-sagemaker-session-id',
] as const;

export function invocationTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.SLIPWAY_INVOCATION_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 60_000;
}

export async function createRuntimeSurface(deps: RuntimeSurfaceDeps): Promise<RuntimeSurface> {
  const { config } = deps;
  const table = deps.routes;
  const timeoutMs = invocationTimeoutMs();
  const pools = new Map<InstanceRoute, Pool>();
  const unsubscribe = table.onInstanceRemoved((inst) => {
    const pool = pools.get(inst);
    if (!pool) return;
    pools.delete(inst);
    // close() lets requests in flight finish (blue/green drain), then frees the sockets.
    void pool.close().catch(() => undefined);
  });
  const pipelinePools = new PipelinePools(timeoutMs);
  const unsubscribePipelines = table.onInstanceRemoved((inst) => pipelinePools.release(inst));
  const unsubscribeModels = deps.modelLoader ? table.onInstanceRemoved((inst) => deps.modelLoader!.forget(inst.instanceId)) : undefined;
  const poolFor = (inst: InstanceRoute): Pool => {
    let p = pools.get(inst);
    if (!p) {
      p = new Pool(inst.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      pools.set(inst, p);
    }
    return p;
  };

  const consoleUrl = (name: string) =>
    `https://${config.region}.console.aws.amazon.com/cloudwatch/home?region=${config.region}#logEventViewer:group=${endpointLogGroup(name)}`;
  const streamArn = (ctx: RequestContext, name: string, stream: string) =>
    `arn:aws:logs:${config.region}:${ctx.accountId}:log-group:${endpointLogGroup(name)}:log-stream:${stream}`;
  const logStreamArn = (ctx: RequestContext, name: string, inst: InstanceRoute) => streamArn(ctx, name, inst.logStream);

  /** SageMaker's ModelError wording (aws/amazon-sagemaker-examples#785, #407). */
  const containerError = (ctx: RequestContext, route: EndpointRoute, inst: InstanceRoute, status: number, body: string): ServiceError => {
    const kind = status >= 500 || status === 0 ? 'server' : 'client';
    return modelError({
      message: `Received ${kind} error (${status}) from primary with message "${body}". See ${consoleUrl(route.name)} in account ${ctx.accountId} for more information.`,
      originalStatusCode: status,
      originalMessage: body,
      logStreamArn: logStreamArn(ctx, route.name, inst),
    });
  };
  const timeoutError = (ctx: RequestContext, route: EndpointRoute, inst: InstanceRoute) =>
    containerError(
      ctx,
      route,
      inst,
      0,
      'Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.',
    );

  // Surfaces built without storage (data-plane unit harnesses) serve synchronous calls only.
  const asyncInvocations =
    deps.objects !== undefined && deps.sql !== undefined
      ? new AsyncInvocations({ sql: deps.sql, resources: deps.resources, objects: deps.objects, table, metrics: deps.metrics })
      : undefined;
  await asyncInvocations?.start();
  // DataCaptureConfig needs the object store to write to.
  const capture = deps.objects !== undefined ? new DataCaptureWriter(deps.objects, deps.logs) : undefined;
  capture?.start();

  const mirror = new ShadowMirror({ metrics: deps.metrics, ...(capture ? { capture } : {}), dispatcherFor: poolFor, timeoutMs });
  const plane: InvocationPlane = {
    table,
    metrics: deps.metrics,
    ...(capture ? { capture } : {}),
    dispatcherFor: poolFor,
    containerError,
    timeoutError,
  };

  /** No route for `name`: wait for adoption after a restart, else "not found" (or busy if it exists). */
  const unrouted = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL, name: string, waited: boolean): Promise<void> => {
    const wait = waited ? undefined : table.whenRestored(RESTORE_WAIT_MS);
    if (wait) {
      void wait.then(() => serve(req, res, ctx, url, true)).catch((err: unknown) => renderError(res, ctx, asServiceError(err)));
      return;
    }
    if (!waited && table.missHandler) {
      // Another replica may run the endpoint and have published its route since the last refresh.
      const refreshed = table.missHandler(name);
      void refreshed.then(() => serve(req, res, ctx, url, true)).catch((err: unknown) => renderError(res, ctx, asServiceError(err)));
      return;
    }
    if (table.restoring && await deps.resources.get('endpoint', name)) {
      return fail(req, res, ctx, new ServiceUnavailable(`Endpoint ${name} is being restored after a restart. Try again.`));
    }
    fail(req, res, ctx, runtimeValidationError(`Endpoint ${name} of account ${ctx.accountId} not found.`));
  };

  // Not async: the synchronous invocation path needs no promise (see SurfaceHandler).
  const handler: SurfaceHandler = (req, res, ctx, url) => serve(req, res, ctx, url, false);

  const serve = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, url: URL, waited: boolean): Promise<void> | void => {
    const t0 = performance.now();
    if (req.method === 'OPTIONS') return answerPreflight(req, res, config.corsOrigins, ctx.requestId);
    if (req.headers.origin !== undefined) applyCors(req, res, config.corsOrigins);
    const m = PATH.exec(url.pathname);
    const name = m ? safeDecode(m[1]!) : '';
    const op = m?.[2] ?? 'invocations';
    ctx.operation = op === 'invocations' ? 'InvokeEndpoint' : op === 'async-invocations' ? 'InvokeEndpointAsync' : 'InvokeEndpointWithResponseStream';
    // The runtime API has POST operations only; Coral answers an unmatched method and path so.
    if (req.method !== 'POST') return fail(req, res, ctx, new ServiceError('UnknownOperationException', `No operation answers ${req.method ?? ''} ${url.pathname}.`, 404));
    // Async requests are judged by the stored endpoint, not the route: they may wait for instances.
    if (op === 'async-invocations') {
      if (asyncInvocations) return asyncInvocations.accept(req, res, ctx, name);
      return fail(req, res, ctx, runtimeValidationError('Asynchronous inference is not available on this server.'));
    }
    const invalid = headerValidationMessage(op === 'invocations' ? 'InvokeEndpoint' : 'InvokeEndpointWithResponseStream', name, req.headers);
    if (invalid !== undefined) return fail(req, res, ctx, runtimeValidationError(invalid));

    const route = table.lookup(name);
    if (!route) return unrouted(req, res, ctx, url, name, waited);
    const declared = req.headers['content-length'];
    const declaredBytes = declared === undefined ? -1 : Number(declared);
    if (declaredBytes > MAX_PAYLOAD_BYTES) {
      return fail(req, res, ctx, oversizeBody(ctx.requestId));
    }

    const target = header(req, 'x-amzn-sagemaker-target-variant');
    let variant: VariantRoute | undefined;
    if (target !== undefined) {
      // A shadow variant answers no caller: it is not a target (SageMaker routes only to production variants).
      variant = route.variants.find((v) => v.name === target && !v.shadow);
      if (!variant) {
        return fail(req, res, ctx, runtimeValidationError(`Variant ${target} not found for endpoint ${route.name} of account ${ctx.accountId}.`));
      }
    } else {
      variant = pickVariant(route) ?? serverlessVariantOf(route);
    }
    if (variant?.serverless) {
      return admitServerless(table, config.serverless.coldStartTimeoutSeconds * 1000, res, ctx, route, variant, (r, v, i) => forward(req, res, ctx, r, v, i, op, t0, declared), (err) => fail(req, res, ctx, err));
    }
    const inst = variant ? pickInstance(variant) : undefined;
    if (!variant || !inst) return fail(req, res, ctx, new ServiceUnavailable(`Endpoint ${route.name} has no healthy instance to serve the request. Try again later.`));
    forward(req, res, ctx, route, variant, inst, op, t0, declared);
  };

  /** The request goes to `inst` of `variant` (the body is read here). */
  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    route: EndpointRoute,
    variant: VariantRoute,
    inst: InstanceRoute,
    op: string,
    t0: number,
    declared: string | undefined,
  ): void => {
    const declaredBytes = declared === undefined ? -1 : Number(declared);
    const streaming = op === 'invocations-response-stream';
    const headers: Record<string, string> = {};
    const incoming = req.headers;
    for (let i = 0; i < FORWARDED.length; i++) {
      const v = incoming[FORWARDED[i]!];
      if (typeof v === 'string') headers[FORWARDED[i]!] = v;
    }
    if (streaming) {
      // The streaming API carries Accept as X-Amzn-SageMaker-Accept; the container sees Accept.
      const accept = header(req, 'x-amzn-sagemaker-accept');
      if (accept !== undefined) headers.accept = accept;
    }
    // TargetContainerHostname: required by Direct pipelines, refused elsewhere (resources/inference-pipeline.ts).
    const targetHost = headers['x-amzn-sagemaker-target-container-hostname'];
    if (variant.pipeline || targetHost !== undefined) {
      const plan = pipelineStages(variant.pipeline?.mode, variant.pipeline?.hostnames ?? [], targetHost);
      if ('problem' in plan) return fail(req, res, ctx, runtimeValidationError(plan.problem));
      if (variant.pipeline) {
        const call: PipelineCall = { plane, pools: pipelinePools, req, res, ctx, route, variant, stages: plan.stages, headers, streaming, timeoutMs, t0, logStreamArn: (stream) => streamArn(ctx, route.name, stream) };
        return readInvocationBody(req, res, ctx, declared, (body) => invokePipeline(call, body));
      }
    }
    if (variant.multiModel) return serveMultiModel(req, res, ctx, route, variant as MultiModelCall['variant'], headers, streaming, t0, declared);
    const invocation = new Invocation(plane, req, res, ctx, route, variant, inst, headers, streaming, t0);
    // Sampled for DataCaptureConfig (not the response-stream API): the body is then read whole (≤ 6 MiB).
    const captured = route.capture !== undefined && !streaming && DataCaptureWriter.sampled(route.capture);
    if (captured) invocation.capture = route.capture;
    // Sampled for the shadow variant: the body is read whole (≤ 6 MiB) so it can be sent twice.
    const shadow = sampleShadow(route);
    const start = (body: Buffer) => {
      invocation.start(body);
      if (shadow) mirror.send(route, shadow, headers, body, captured ? route.capture : undefined);
    };
    if (declared !== undefined) {
      headers['content-length'] = declared;
      if (declaredBytes <= COALESCE_LIMIT || (captured && route.capture!.input) || shadow) {
        readSmall(req, declaredBytes, (body) => {
          if (body) start(body);
          else res.destroy(); // the caller hung up mid-body
        });
      } else {
        invocation.start(req);
      }
    } else {
      readUnsized(req, MAX_PAYLOAD_BYTES, (body) => {
        if (Buffer.isBuffer(body)) {
          headers['content-length'] = String(body.length);
          start(body);
        } else if (body === 'tooLarge') {
          renderError(res, ctx, oversizeBody(ctx.requestId));
        } else if (body === 'busy') {
          renderError(res, ctx, new ServiceUnavailable('Too many request bodies without Content-Length are being received. Try again, or send Content-Length.'));
        } else {
          res.destroy(); // the caller hung up mid-body
        }
      });
    }
  };

  /** A multi-model variant: TargetModel required, the body read whole, the model loaded where needed (./multi-model.ts). */
  const serveMultiModel = (
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    route: EndpointRoute,
    variant: MultiModelCall['variant'],
    headers: Record<string, string>,
    streaming: boolean,
    t0: number,
    declared: string | undefined,
  ): void => {
    const target = headers['x-amzn-sagemaker-target-model'];
    if (target === undefined || target === '') {
      return fail(req, res, ctx, runtimeValidationError(`Endpoint ${route.name} hosts multiple models: name one with TargetModel (X-Amzn-SageMaker-Target-Model).`));
    }
    if (!deps.modelLoader) return fail(req, res, ctx, new ServiceUnavailable('Multi-model endpoints are not available on this server.'));
    const call: MultiModelCall = { plane, loader: deps.modelLoader, req, res, ctx, route, variant, target, invocation: (i) => new Invocation(plane, req, res, ctx, route, variant, i, headers, streaming, t0) };
    readInvocationBody(req, res, ctx, declared, (body) => {
      headers['content-length'] = String(body.length);
      invokeMultiModel(call, body);
    });
  };

  /** The request body read whole (≤ 6 MiB) for calls that need it before choosing where it goes; the caller hung up: nothing. */
  const readInvocationBody = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, declared: string | undefined, go: (body: Buffer) => void): void => {
    if (declared !== undefined) {
      readSmall(req, Number(declared), (body) => (body ? go(body) : res.destroy()));
      return;
    }
    readUnsized(req, MAX_PAYLOAD_BYTES, (body) => {
      if (Buffer.isBuffer(body)) go(body);
      else if (body === 'tooLarge') renderError(res, ctx, oversizeBody(ctx.requestId));
      else if (body === 'busy') renderError(res, ctx, new ServiceUnavailable('Too many request bodies without Content-Length are being received. Try again, or send Content-Length.'));
      else res.destroy();
    });
  };

  return {
    surface: {
      handle: handler,
      // A web page calling an endpoint must be able to read why it was refused (authentication too).
      renderError: (res, ctx, err, req) => {
        if (req.headers.origin !== undefined && !res.headersSent) applyCors(req, res, config.corsOrigins);
        renderError(res, ctx, err);
      },
    },
    stop: async () => {
      await asyncInvocations?.stop();
      await capture?.stop();
      unsubscribe();
      unsubscribeModels?.();
      unsubscribePipelines();
      await pipelinePools.destroy();
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Answers early (before any upstream call); reads what is left of the body so the client sees the answer instead of a reset. */
function fail(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, err: ServiceError): void {
  if (!req.readableEnded) req.resume();
  renderError(res, ctx, err);
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads a small body of known length whole (see COALESCE_LIMIT); `done` gets undefined when the
 * caller hung up before sending all of it.
 */
function readSmall(req: IncomingMessage, expected: number, done: (body: Buffer | undefined) => void): void {
  if (expected === 0) {
    req.resume();
    done(EMPTY);
    return;
  }
  readWhole(req, expected, (body) => done(Buffer.isBuffer(body) && body.length === expected ? body : undefined));
}

export type { ServerResponse };
export type { IncomingMessage };
