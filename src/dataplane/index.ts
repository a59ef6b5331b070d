/**
 * @module dataplane — the SageMaker Runtime surface: InvokeEndpoint and
 * InvokeEndpointWithResponseStream proxied to the endpoint's containers (contract §1.4, §4.2).
 *
 *   POST /endpoints/{name}/invocations[-response-stream]
 *     → CORS → route lookup (in memory, kept by the endpoint controller; no Docker, no SQLite)
 *     → variant: X-Amzn-SageMaker-Target-Variant or smooth weighted round-robin
 *     → instance: least outstanding requests → keep-alive undici Pool per instance
 *     → request body streamed up (6 MiB cap), response streamed back (or as event-stream frames)
 *     → container non-2xx / no answer in time → ModelError (424), never 5xx (SDKs would retry)
 *
 * Invocation timeout: 60 s as in SageMaker; `SLIPWAY_INVOCATION_TIMEOUT_MS` overrides it (tests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Transform, type Readable } from 'node:stream';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { RequestContext } from '../protocol/context.js';
import { ServiceError, ServiceUnavailable, asServiceError } from '../protocol/errors.js';
import {
  MAX_EVENT_PAYLOAD,
  modelStreamErrorEvent,
  payloadPartEvent,
} from '../protocol/rest-json/event-stream.js';
import { modelError, runtimeValidationError, sendRuntimeError } from '../protocol/rest-json/runtime-errors.js';
import type { SurfaceHandler } from '../server/surface.js';
import type { SlipwayConfig } from '../server/config.js';
import { logger } from '../server/logger.js';
import type { ResourceStore } from '../storage/resource-store.js';
import { pickInstance, pickVariant, routingTableFor, type EndpointRoute, type InstanceRoute, type VariantRoute } from '../controllers/endpoint/routing-table.js';
import { endpointLogGroup } from '../controllers/endpoint/types.js';
import { answerPreflight, applyCors } from './cors.js';
import type { Metrics } from '../metrics/metrics.js';

export interface RuntimeSurface {
  handler: SurfaceHandler;
  slipwayRoutes?: Record<string, SurfaceHandler>;
  stop(): Promise<void>;
}

export interface RuntimeSurfaceDeps {
  config: SlipwayConfig;
  resources: ResourceStore;
  /** Invocation counts and latency split (ModelLatency vs OverheadLatency) go here. */
  metrics: Metrics;
  [other: string]: unknown;
}

/** 6 MiB: InvokeEndpoint's Body max in the model and the hosting contract's payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const ORIGINAL_MESSAGE_LIMIT = 64 * 1024;
/**
 * Bodies up to this size (by Content-Length) are collected and written in one piece: one syscall
 * instead of several per request, which is most of the proxy's cost for typical small inference
 * payloads. Larger or unsized bodies stream with backpressure.
 */
const COALESCE_LIMIT = 64 * 1024;
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

export function createRuntimeSurface(deps: RuntimeSurfaceDeps): RuntimeSurface {
  const { config } = deps;
  const table = routingTableFor(deps.resources);
  const timeoutMs = invocationTimeoutMs();
  const pools = new Map<InstanceRoute, Pool>();
  const unsubscribe = table.onInstanceRemoved((inst) => {
    const pool = pools.get(inst);
    if (!pool) return;
    pools.delete(inst);
    // close() lets requests in flight finish (blue/green drain), then frees the sockets.
    void pool.close().catch(() => undefined);
  });
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
  const logStreamArn = (ctx: RequestContext, name: string, inst: InstanceRoute) =>
    `arn:aws:logs:${config.region}:${ctx.accountId}:log-group:${endpointLogGroup(name)}:log-stream:${inst.logStream}`;

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

  const handler: SurfaceHandler = async (req, res, ctx, url) => {
    const t0 = performance.now();
    if (req.method === 'OPTIONS') return answerPreflight(req, res, config.corsOrigins, ctx.requestId);
    applyCors(req, res, config.corsOrigins);
    const m = PATH.exec(url.pathname);
    const name = m ? safeDecode(m[1]!) : '';
    const op = m?.[2] ?? 'invocations';
    ctx.operation = op === 'invocations' ? 'InvokeEndpoint' : op === 'async-invocations' ? 'InvokeEndpointAsync' : 'InvokeEndpointWithResponseStream';

    const fail = (err: ServiceError) => {
      drain(req);
      sendRuntimeError(res, ctx, err);
    };
    const route = table.lookup(name);
    if (!route) return fail(runtimeValidationError(`Endpoint ${name} of account ${ctx.accountId} not found.`));
    if (op === 'async-invocations') {
      return fail(runtimeValidationError(`Endpoint ${route.name} of account ${ctx.accountId} is not configured for asynchronous inference.`));
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_PAYLOAD_BYTES) {
      // Observed wording: "Request {request-id} has oversize body." (aws/sagemaker-python-sdk#4271).
      return fail(runtimeValidationError(`Request ${ctx.requestId} has oversize body.`));
    }

    const target = header(req, 'x-amzn-sagemaker-target-variant');
    let variant: VariantRoute | undefined;
    if (target !== undefined) {
      variant = route.variants.find((v) => v.name === target);
      if (!variant) {
        return fail(runtimeValidationError(`Variant ${target} not found for endpoint ${route.name} of account ${ctx.accountId}.`));
      }
    } else {
      variant = pickVariant(route);
    }
    let inst = variant ? pickInstance(variant) : undefined;
    if (!variant || !inst) return fail(new ServiceUnavailable(`Endpoint ${route.name} has no healthy instance to serve the request. Try again later.`));

    const streaming = op === 'invocations-response-stream';
    const headers: Record<string, string> = {};
    for (const h of FORWARDED) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    if (streaming) {
      // The streaming API carries Accept as X-Amzn-SageMaker-Accept; the container sees Accept.
      const accept = header(req, 'x-amzn-sagemaker-accept');
      if (accept !== undefined) headers.accept = accept;
    }
    let body: Readable | Buffer = req;
    let oversize = false;
    if (declared !== undefined) {
      headers['content-length'] = declared;
      if (Number(declared) <= COALESCE_LIMIT) {
        try {
          body = await readSmall(req, Number(declared));
        } catch {
          res.destroy(); // the caller hung up mid-body
          return;
        }
      }
    } else {
      let seen = 0;
      body = req.pipe(
        new Transform({
          transform(chunk: Buffer, _enc, cb) {
            seen += chunk.length;
            if (seen > MAX_PAYLOAD_BYTES) {
              oversize = true;
              cb(new Error('oversize body'));
            } else cb(null, chunk);
          },
        }),
      );
    }

    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClose);

    let tModel = performance.now();
    let modelUs = 0;
    // What the model answered (0 when it never did: timeout, broken connection), for the
    // Invocation4XX/5XXErrors metrics, which count the model's status, not the caller's 424.
    let modelStatus = 0;
    // Requests the model never saw (oversize, refused connection, caller gone) are not invocations.
    let reachedModel = true;
    inst.outstanding++;
    inst.served++;
    try {
      let up: Dispatcher.ResponseData;
      for (let attempt = 0; ; attempt++) {
        tModel = performance.now();
        try {
          up = await poolFor(inst).request({ path: '/invocations', method: 'POST', headers, body, signal: abort.signal });
          break;
        } catch (err) {
          // Refused before a byte was sent (instance just died): another instance may serve it.
          if (isRefused(err) && attempt < 2 && (Buffer.isBuffer(body) || !req.readableDidRead)) {
            table.reportBroken(route.name, inst);
            const other = variant.instances.filter((i) => i !== inst);
            const next = other.length ? pickInstance({ ...variant, instances: other }) : undefined;
            if (next) {
              inst.outstanding--;
              inst = next;
              inst.outstanding++;
              inst.served++;
              continue;
            }
          }
          throw err;
        }
      }
      const upStatus = up.statusCode;
      modelStatus = upStatus;
      if (upStatus < 200 || upStatus > 299) {
        const text = await readText(up.body, ORIGINAL_MESSAGE_LIMIT);
        modelUs = (performance.now() - tModel) * 1000;
        throw containerError(ctx, route, inst, upStatus, text);
      }
      const ct = firstHeader(up.headers['content-type']);
      const attrs = firstHeader(up.headers['x-amzn-sagemaker-custom-attributes']);
      if (!streaming) {
        const out: Record<string, string> = {
          'x-amzn-RequestId': ctx.requestId,
          'x-Amzn-Invoked-Production-Variant': variant.name,
        };
        if (ct) out['Content-Type'] = ct;
        if (attrs !== undefined) out['X-Amzn-SageMaker-Custom-Attributes'] = attrs;
        const len = firstHeader(up.headers['content-length']);
        if (len !== undefined) out['Content-Length'] = len;
        if (len !== undefined && Number(len) <= COALESCE_LIMIT) {
          const whole = await readSmall(up.body, Number(len));
          modelUs = (performance.now() - tModel) * 1000;
          res.writeHead(200, out);
          res.end(whole);
        } else {
          res.writeHead(200, out);
          for await (const chunk of up.body) {
            if (!res.write(chunk)) await waitDrain(res);
          }
          modelUs = (performance.now() - tModel) * 1000;
          res.end();
        }
      } else {
        const out: Record<string, string> = {
          'x-amzn-RequestId': ctx.requestId,
          'Content-Type': 'application/vnd.amazon.eventstream',
          'x-Amzn-Invoked-Production-Variant': variant.name,
        };
        if (ct) out['X-Amzn-SageMaker-Content-Type'] = ct;
        if (attrs !== undefined) out['X-Amzn-SageMaker-Custom-Attributes'] = attrs;
        res.writeHead(200, out);
        res.flushHeaders();
        try {
          for await (const chunk of up.body as AsyncIterable<Buffer>) {
            for (let off = 0; off < chunk.length; off += MAX_EVENT_PAYLOAD) {
              if (!res.write(payloadPartEvent(chunk.subarray(off, off + MAX_EVENT_PAYLOAD)))) await waitDrain(res);
            }
          }
        } catch (err) {
          if (abort.signal.aborted) throw err;
          const timedOut = err instanceof undiciErrors.BodyTimeoutError;
          modelStatus = 0;
          res.write(
            modelStreamErrorEvent(
              timedOut ? 'Your model did not finish sending the response within the allowed time.' : 'The connection to the model container was closed while streaming the response.',
              timedOut ? 'ModelInvocationTimeExceeded' : 'StreamBroken',
            ),
          );
        }
        modelUs = (performance.now() - tModel) * 1000;
        res.end();
      }
    } catch (err) {
      if (modelUs === 0) modelUs = (performance.now() - tModel) * 1000;
      let se: ServiceError;
      if (err instanceof ServiceError) se = err;
      else if (oversize) {
        reachedModel = false;
        se = runtimeValidationError(`Request ${ctx.requestId} has oversize body.`);
      } else if (abort.signal.aborted) {
        // The caller went away; nobody to answer.
        reachedModel = false;
        res.destroy();
        return;
      } else if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) se = timeoutError(ctx, route, inst);
      else if (isRefused(err)) {
        reachedModel = false;
        table.reportBroken(route.name, inst);
        se = new ServiceUnavailable(`Endpoint ${route.name} has no instance accepting connections right now. Try again.`);
      } else if (isSocketError(err)) {
        table.reportBroken(route.name, inst);
        se = containerError(ctx, route, inst, 0, 'The connection to container primary was closed before it sent a complete response.');
      } else {
        logger.error({ err, requestId: ctx.requestId, endpoint: route.name }, 'invocation failed');
        se = asServiceError(err);
      }
      drain(req);
      sendRuntimeError(res, ctx, se);
    } finally {
      inst.outstanding--;
      res.off('close', onClose);
      const totalUs = (performance.now() - t0) * 1000;
      if (reachedModel) {
        deps.metrics.recordInvocation({
          endpoint: route.name,
          variant: variant.name,
          status: modelStatus,
          modelLatencyUs: Math.round(modelUs),
          overheadLatencyUs: Math.max(0, Math.round(totalUs - modelUs)),
          instanceCount: variant.instances.length,
        });
      }
    }
  };

  return {
    handler,
    stop: async () => {
      unsubscribe();
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

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Reads what is left of a request we answer early, so the client sees the answer instead of a reset. */
function drain(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Reads a small body of known length whole (see COALESCE_LIMIT). */
async function readSmall(stream: AsyncIterable<Buffer>, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    chunks.push(c);
    size += c.length;
  }
  if (size !== expected) throw new Error(`body ended after ${size} of ${expected} bytes`);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

async function readText(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    if (size < limit) chunks.push(c.subarray(0, limit - size));
    size += c.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

function isRefused(err: unknown): boolean {
  return errCode(err) === 'ECONNREFUSED';
}

function isSocketError(err: unknown): boolean {
  const c = errCode(err);
  return c === 'UND_ERR_SOCKET' || c === 'ECONNRESET' || c === 'EPIPE' || c === 'UND_ERR_CLOSED';
}

export type { ServerResponse };
