/**
 * @module dataplane/pipeline — InvokeEndpoint on an inference pipeline (a model with several
 * Containers, resources/inference-pipeline.ts):
 *
 *   body read whole (≤ 6 MiB) ──▶ instance: least outstanding
 *     Serial: container 1 ─response─▶ container 2 ─response─▶ … ─▶ container N ─▶ caller
 *     Direct: the container named by TargetContainerHostname ─▶ caller
 *
 * Each hop is `POST /invocations` on that container. The first gets the caller's Content-Type;
 * each later one gets the previous response's body and Content-Type (inference-pipelines.html:
 * "the response from one container is the request to the next"). The caller's Accept goes to the
 * container whose answer the caller gets (the last; SageMaker does not document what earlier ones
 * see, so they get none and answer in their own default, e.g. SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT).
 * Custom attributes go to every hop; the last hop's come back. A hop answering non-2xx, a response
 * over 6 MiB or no answer within the invocation timeout (for the whole chain) ends the request
 * with ModelError naming that container and its log stream, as SageMaker's ModelError does.
 * Every hop is counted for its container (Metrics.recordContainerInvocation); the request once for
 * the variant, with the hops' time as ModelLatency.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Pool, errors as undiciErrors } from 'undici';
import type { RequestContext } from '../protocol/context.js';
import { ServiceError, ServiceUnavailable, asServiceError } from '../protocol/errors.js';
import { MAX_EVENT_PAYLOAD, payloadPartEvent } from '../protocol/rest-json/event-stream.js';
import { modelError, renderError } from '../protocol/rest-json/runtime-errors.js';
import { isPlatformError } from '../platform/platform-errors.js';
import { logger } from '../platform/logger.js';
import type { ContainerRoute, EndpointRoute, InstanceRoute, VariantRoute } from '../resources/endpoint-routes.js';
import type { InvocationPlane } from './invocation.js';
import { pickInstance } from './routing-table.js';
import { DataCaptureWriter } from './capture/data-capture.js';

/** Request and response size limit of each hop (contract §4.2). */
const HOP_LIMIT = 6 * 1024 * 1024;
const ORIGINAL_MESSAGE_LIMIT = 64 * 1024;

/** Keep-alive pools per pipeline container origin, closed when their instance leaves the route. */
export class PipelinePools {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly timeoutMs: number) {}

  for(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
      this.pools.set(origin, p);
    }
    return p;
  }

  /** An instance left the route: its containers' pools close once their requests have finished. */
  release(inst: InstanceRoute): void {
    for (const c of inst.containers ?? []) {
      const p = this.pools.get(c.origin);
      if (!p) continue;
      this.pools.delete(c.origin);
      void p.close().catch(() => undefined);
    }
  }

  async destroy(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }
}

export interface PipelineCall {
  plane: InvocationPlane;
  pools: PipelinePools;
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RequestContext;
  route: EndpointRoute;
  variant: VariantRoute;
  /** Container positions the request goes through, in order (resources/inference-pipeline.ts pipelineStages). */
  stages: number[];
  /** The forwarded request headers (content-type, accept, custom attributes, inference id). */
  headers: Record<string, string>;
  streaming: boolean;
  timeoutMs: number;
  t0: number;
  /** ModelError's LogStreamArn for a container's stream. */
  logStreamArn(stream: string): string;
}

/** A container's failure, as ModelError words it. */
class HopError extends Error {
  constructor(
    readonly container: ContainerRoute,
    readonly status: number,
    readonly text: string,
  ) {
    super(text);
  }
}

/** Runs the request through the pipeline and answers the caller; never rejects. */
export function invokePipeline(c: PipelineCall, body: Buffer): void {
  const inst = pickInstance(c.variant);
  if (!inst?.containers) {
    renderError(c.res, c.ctx, new ServiceUnavailable(`Endpoint ${c.route.name} has no healthy instance to serve the request. Try again later.`));
    return;
  }
  inst.outstanding++;
  inst.served++;
  void run(c, inst, inst.containers, body).finally(() => inst.outstanding--);
}

async function run(c: PipelineCall, inst: InstanceRoute, containers: readonly ContainerRoute[], body: Buffer): Promise<void> {
  const signal = AbortSignal.any([AbortSignal.timeout(c.timeoutMs), callerGone(c.res)]);
  let payload = body;
  let contentType: string | undefined = c.headers['content-type'];
  let attrs: string | undefined;
  let modelUs = 0;
  let status = 0;
  let reached = false;
  let current: ContainerRoute | undefined;
  /** The hop under way, until its answer is read. */
  let hop: { container: ContainerRoute; t: number } | undefined;
  try {
    for (const [n, k] of c.stages.entries()) {
      current = containers[k]!;
      const last = n === c.stages.length - 1;
      const headers: Record<string, string> = { 'content-length': String(payload.length) };
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (last && c.headers.accept !== undefined) headers.accept = c.headers.accept;
      for (const h of ['x-amzn-sagemaker-custom-attributes', 'x-amzn-sagemaker-inference-id']) if (c.headers[h] !== undefined) headers[h] = c.headers[h]!;
      const t = performance.now();
      hop = { container: current, t };
      const r = await c.pools.for(current.origin).request({ path: '/invocations', method: 'POST', headers, body: payload, signal });
      reached = true;
      status = r.statusCode;
      const out = await readCapped(r.body, r.statusCode > 299 ? ORIGINAL_MESSAGE_LIMIT : HOP_LIMIT, r.statusCode > 299);
      modelUs += (performance.now() - t) * 1000;
      c.plane.metrics.recordContainerInvocation(c.route.name, c.variant.name, current.hostname, out === undefined ? 0 : r.statusCode, (performance.now() - t) * 1000);
      hop = undefined;
      if (out === undefined) throw new HopError(current, 0, `The response of container ${current.hostname} is larger than ${HOP_LIMIT} bytes.`);
      if (r.statusCode > 299) throw new HopError(current, r.statusCode, out.toString('utf8'));
      payload = out;
      contentType = headerValue(r.headers['content-type']);
      attrs = headerValue(r.headers['x-amzn-sagemaker-custom-attributes']);
    }
    respond(c, payload, contentType, attrs);
    capture(c, body, payload, contentType);
  } catch (err) {
    if (c.res.destroyed || c.res.writableEnded) return;
    // A hop that never answered in time was an invocation the model got: a 5XX, for its container too.
    if (hop && signal.aborted) {
      reached = true;
      modelUs += (performance.now() - hop.t) * 1000;
      c.plane.metrics.recordContainerInvocation(c.route.name, c.variant.name, hop.container.hostname, 0, (performance.now() - hop.t) * 1000);
    }
    renderError(c.res, c.ctx, failure(c, inst, current, err, signal));
    status = err instanceof HopError ? err.status : 0;
  } finally {
    if (reached) {
      const totalUs = (performance.now() - c.t0) * 1000;
      c.plane.metrics.recordInvocation({
        endpoint: c.route.name,
        variant: c.variant.name,
        status,
        modelLatencyUs: Math.round(modelUs),
        overheadLatencyUs: Math.max(0, Math.round(totalUs - modelUs)),
        instanceCount: c.variant.instances.length,
      });
    }
  }
}

/** The caller's answer: the last response whole, or as event-stream PayloadParts (response-stream API). */
function respond(c: PipelineCall, body: Buffer, contentType: string | undefined, attrs: string | undefined): void {
  const out: Record<string, string> = { 'x-amzn-RequestId': c.ctx.requestId, 'x-Amzn-Invoked-Production-Variant': c.variant.name };
  if (attrs !== undefined) out['X-Amzn-SageMaker-Custom-Attributes'] = attrs;
  if (c.streaming) {
    out['Content-Type'] = 'application/vnd.amazon.eventstream';
    if (contentType !== undefined) out['X-Amzn-SageMaker-Content-Type'] = contentType;
    c.res.writeHead(200, out);
    for (let off = 0; off < body.length; off += MAX_EVENT_PAYLOAD) c.res.write(payloadPartEvent(body.subarray(off, off + MAX_EVENT_PAYLOAD)));
    c.res.end();
    return;
  }
  if (contentType !== undefined) out['Content-Type'] = contentType;
  out['Content-Length'] = String(body.length);
  c.res.writeHead(200, out);
  c.res.end(body);
}

/**
 * DataCaptureConfig: the caller's request and the answer the caller got, as for any endpoint
 * (./capture/data-capture.ts); the hops in between are not captured. Sampled per request.
 */
function capture(c: PipelineCall, input: Buffer, output: Buffer, outputType: string | undefined): void {
  const settings = c.route.capture;
  const writer = c.plane.capture;
  if (!settings || !writer || c.streaming || !DataCaptureWriter.sampled(settings)) return;
  if (!settings.input && !settings.output) return;
  const inferenceId = c.headers['x-amzn-sagemaker-inference-id'];
  writer.record({
    endpoint: c.route.name,
    variant: c.variant.name,
    settings,
    ...(inferenceId ? { inferenceId } : {}),
    ...(settings.input ? { input: { contentType: c.headers['content-type'], body: input } } : {}),
    ...(settings.output ? { output: { contentType: outputType, body: output } } : {}),
    at: Date.now(),
  });
}

/** What the caller is told when the chain broke. */
function failure(c: PipelineCall, inst: InstanceRoute, at: ContainerRoute | undefined, err: unknown, signal: AbortSignal): ServiceError {
  const consoleNote = `See the log stream ${at ? at.logStream : inst.logStream} of /aws/sagemaker/Endpoints/${c.route.name} in account ${c.ctx.accountId} for more information.`;
  if (err instanceof HopError) {
    const kind = err.status >= 500 || err.status === 0 ? 'server' : 'client';
    return modelError({
      message: `Received ${kind} error (${err.status}) from ${err.container.hostname} with message "${err.text}". ${consoleNote}`,
      originalStatusCode: err.status,
      originalMessage: err.text,
      logStreamArn: c.logStreamArn(err.container.logStream),
    });
  }
  const name = at?.hostname ?? 'the first container';
  if (signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    const text = `Your invocation timed out while waiting for a response from container ${name}. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.`;
    return modelError({ message: `Received server error (0) from ${name} with message "${text}". ${consoleNote}`, originalStatusCode: 0, originalMessage: text, ...(at ? { logStreamArn: c.logStreamArn(at.logStream) } : {}) });
  }
  if (isPlatformError(err)) return new ServiceUnavailable('Slipway could not open a connection to the model right now. Try again.');
  const code = (err as { code?: string })?.code;
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    c.plane.table.reportBroken(c.route.name, inst);
    return new ServiceUnavailable(`Container ${name} of endpoint ${c.route.name} is not accepting connections right now. Try again.`);
  }
  logger.error({ err, requestId: c.ctx.requestId, endpoint: c.route.name }, 'pipeline invocation failed');
  return asServiceError(err);
}

/**
 * The body whole, or undefined when it exceeds `limit` (the rest is dropped). With `truncate`, a
 * longer body is cut at `limit` instead (an error's text for OriginalMessage).
 */
async function readCapped(body: AsyncIterable<Buffer>, limit: number, truncate: boolean): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      if (!truncate) return undefined;
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      continue;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks, size);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Aborts when the caller hangs up before the answer is written. */
function callerGone(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort(new undiciErrors.RequestAbortedError());
  });
  return ac.signal;
}
