/**
 * @module dataplane/invocation — one InvokeEndpoint exchange with a container, written as an
 * undici dispatch handler: the response is relayed straight from the HTTP parser's callbacks, with
 * no response stream, async iterator, AbortController or promise per request (those were most of
 * the proxy's own CPU cost; see bench/invoke).
 *
 *   start ─dispatch─▶ Pool ─▶ onConnect(abort) ─▶ onHeaders ─▶ onData* ─▶ onComplete ─▶ finish
 *            ▲                    │
 *            └─ onError: refused before a byte was sent → next instance (at most 2 retries)
 *               onError: anything else → ModelError / ServiceUnavailable / ... → finish
 *
 * Response modes, chosen in onHeaders:
 *   COLLECT  2xx with Content-Length ≤ 64 KiB: gathered, then one writeHead + end (one syscall)
 *   PIPE     other 2xx: headers first, chunks relayed with backpressure (onData → false, resume on drain)
 *   EVENTS   InvokeEndpointWithResponseStream: each chunk becomes PayloadPart event(s)
 *   ERROR    non-2xx: up to 64 KiB of the body kept for ModelError's OriginalMessage
 *
 * Uses undici 7's native (onConnect/onHeaders/onData/onComplete/onError) handler interface: the
 * controller-style one is an adapter over it that also parses every response header into an object.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { RequestContext } from '../protocol/context.js';
import { ServiceError, ServiceUnavailable, asServiceError } from '../protocol/errors.js';
import { MAX_EVENT_PAYLOAD, modelStreamErrorEvent, payloadPartEvent } from '../protocol/rest-json/event-stream.js';
import { renderError } from '../protocol/rest-json/runtime-errors.js';
import { logger } from '../platform/logger.js';
import { pickInstance, type EndpointRoute, type InstanceRoute, type RoutingTable, type VariantRoute } from './routing-table.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CaptureSettings } from '../resources/data-capture.js';
import type { DataCaptureWriter } from './capture/data-capture.js';
import { isPlatformError } from '../platform/platform-errors.js';

/**
 * Bodies up to this size (by Content-Length) are collected and written in one piece: one syscall
 * instead of several per request, which is most of the proxy's cost for typical small inference
 * payloads. Larger or unsized bodies stream with backpressure.
 */
export const COALESCE_LIMIT = 64 * 1024;
const ORIGINAL_MESSAGE_LIMIT = 64 * 1024;

/** What an invocation needs from the surface that owns the pools and the error wording. */
export interface InvocationPlane {
  readonly table: RoutingTable;
  readonly metrics: Metrics;
  /** Where sampled exchanges of endpoints with DataCaptureConfig go (absent: capture is off). */
  readonly capture?: DataCaptureWriter;
  dispatcherFor(inst: InstanceRoute): Dispatcher;
  containerError(ctx: RequestContext, route: EndpointRoute, inst: InstanceRoute, status: number, body: string): ServiceError;
  timeoutError(ctx: RequestContext, route: EndpointRoute, inst: InstanceRoute): ServiceError;
}

// Response modes (see the module header).
const COLLECT = 0;
const PIPE = 1;
const EVENTS = 2;
const ERROR = 3;

export class Invocation implements Dispatcher.DispatchHandler {
  /** Set when this invocation is sampled for DataCaptureConfig (see ./capture/data-capture.ts). */
  capture: CaptureSettings | undefined;
  /** Response chunks kept for capture when the response is relayed in pieces (PIPE). */
  private captured: Buffer[] | null = null;
  private responseType: string | undefined;
  private body: Buffer | Readable = Buffer.alloc(0);
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private mode = COLLECT;
  private chunks: Buffer[] = [];
  private size = 0;
  private out: Record<string, string> | null = null;
  private tModel = 0;
  private modelUs = 0;
  /**
   * What the model answered (0 when it never did: timeout, broken connection), for the
   * Invocation4XX/5XXErrors metrics, which count the model's status, not the caller's 424.
   */
  private modelStatus = 0;
  /** Requests the model never saw (oversize, refused connection, caller gone) are not invocations. */
  private reachedModel = true;
  private callerGone = false;
  private settled = false;
  private retries = 0;
  /** The container path: `/invocations`, or a multi-model instance's `/models/<model_name>/invoke`. */
  private path = '/invocations';
  /** The instance was chosen for what it holds (multi-model): never re-picked or retried elsewhere. */
  private pinned = false;

  constructor(
    private readonly plane: InvocationPlane,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly ctx: RequestContext,
    private readonly route: EndpointRoute,
    private readonly variant: VariantRoute,
    private inst: InstanceRoute,
    private readonly headers: Record<string, string>,
    private readonly streaming: boolean,
    private readonly t0: number,
  ) {}

  /**
   * Sends the request with `body` (whole when small, else the request stream); `pinned` keeps the
   * instance given at construction and sends to `path` (a multi-model instance holding the model).
   */
  start(body: Buffer | Readable, pinned?: { path: string }): void {
    this.body = body;
    if (pinned) {
      this.pinned = true;
      this.path = pinned.path;
    } else {
      // Least outstanding is decided now, not before the body was read.
      const now = pickInstance(this.variant);
      if (now) this.inst = now;
    }
    this.inst.outstanding++;
    this.inst.served++;
    this.res.on('close', this.onCallerClose);
    this.dispatch();
  }

  private dispatch(): void {
    this.tModel = performance.now();
    this.plane.dispatcherFor(this.inst).dispatch({ path: this.path, method: 'POST', headers: this.headers, body: this.body }, this);
  }

  // Arrow properties: handed to EventEmitter as listeners and removed again in finish().
  private readonly onCallerClose = (): void => {
    if (this.settled || this.res.writableFinished) return;
    this.callerGone = true;
    this.abortUpstream?.(new undiciErrors.RequestAbortedError());
  };

  private readonly onDrain = (): void => {
    this.resumeUpstream?.();
  };

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.callerGone) abort(new undiciErrors.RequestAbortedError());
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: interim, the final status follows
    this.modelStatus = statusCode;
    this.resumeUpstream = resume;
    if (statusCode > 299) {
      this.mode = ERROR;
      return true;
    }
    let ct: string | undefined;
    let attrs: string | undefined;
    let len: string | undefined;
    // Names by length first: most headers are skipped without building a string.
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const n = name.length;
      if (n === 12) {
        if (ct === undefined && name.toString('latin1').toLowerCase() === 'content-type') ct = raw[i + 1]!.toString('latin1');
      } else if (n === 14) {
        if (len === undefined && name.toString('latin1').toLowerCase() === 'content-length') len = raw[i + 1]!.toString('latin1');
      } else if (n === 34) {
        if (attrs === undefined && name.toString('latin1').toLowerCase() === 'x-amzn-sagemaker-custom-attributes') attrs = raw[i + 1]!.toString('latin1');
      }
    }
    const res = this.res;
    this.responseType = ct;
    if (this.streaming) {
      const out: Record<string, string> = {
        'x-amzn-RequestId': this.ctx.requestId,
        'Content-Type': 'application/vnd.amazon.eventstream',
        'x-Amzn-Invoked-Production-Variant': this.variant.name,
      };
      if (ct) out['X-Amzn-SageMaker-Content-Type'] = ct;
      if (attrs !== undefined) out['X-Amzn-SageMaker-Custom-Attributes'] = attrs;
      this.mode = EVENTS;
      res.writeHead(200, out);
      res.flushHeaders();
      return true;
    }
    const out: Record<string, string> = {
      'x-amzn-RequestId': this.ctx.requestId,
      'x-Amzn-Invoked-Production-Variant': this.variant.name,
    };
    if (ct) out['Content-Type'] = ct;
    if (attrs !== undefined) out['X-Amzn-SageMaker-Custom-Attributes'] = attrs;
    if (len !== undefined) out['Content-Length'] = len;
    if (len !== undefined && Number(len) <= COALESCE_LIMIT) {
      this.mode = COLLECT;
      this.out = out;
    } else {
      this.mode = PIPE;
      if (this.capture?.output) this.captured = [];
      res.writeHead(200, out);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    switch (this.mode) {
      case COLLECT:
        this.chunks.push(chunk);
        this.size += chunk.length;
        return true;
      case ERROR:
        if (this.size < ORIGINAL_MESSAGE_LIMIT) this.chunks.push(chunk.subarray(0, ORIGINAL_MESSAGE_LIMIT - this.size));
        this.size += chunk.length;
        return true;
      case PIPE:
        this.captured?.push(chunk);
        return this.res.write(chunk) || this.pause();
      default: {
        let ok = true;
        for (let off = 0; off < chunk.length; off += MAX_EVENT_PAYLOAD) {
          ok = this.res.write(payloadPartEvent(chunk.subarray(off, off + MAX_EVENT_PAYLOAD))) && ok;
        }
        return ok || this.pause();
      }
    }
  }

  /** Backpressure: undici stops reading the container's socket until the caller drains. */
  private pause(): false {
    this.res.once('drain', this.onDrain);
    return false;
  }

  onComplete(): void {
    if (this.settled) return;
    this.modelUs = (performance.now() - this.tModel) * 1000;
    const res = this.res;
    switch (this.mode) {
      case COLLECT: {
        const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
        res.writeHead(200, this.out!);
        res.end(body);
        if (this.capture) this.recordCapture(body);
        break;
      }
      case PIPE:
        res.end();
        if (this.capture) this.recordCapture(this.captured ? Buffer.concat(this.captured) : undefined);
        break;
      case ERROR: {
        const text = Buffer.concat(this.chunks).toString('utf8');
        this.respondError(this.plane.containerError(this.ctx, this.route, this.inst, this.modelStatus, text));
        break;
      }
      default:
        res.end();
    }
    this.finish();
  }

  onError(err: Error): void {
    if (this.settled) return;
    const { plane, route, variant, req, res } = this;
    // Refused before a byte was sent (instance just died): another instance may serve it.
    if (!this.callerGone && !this.pinned && isRefused(err) && this.retries < 2 && (Buffer.isBuffer(this.body) || !req.readableDidRead)) {
      plane.table.reportBroken(route.name, this.inst);
      const other = variant.instances.filter((i) => i !== this.inst);
      const next = other.length ? pickInstance({ ...variant, instances: other }) : undefined;
      if (next) {
        this.inst.outstanding--;
        this.inst = next;
        next.outstanding++;
        next.served++;
        this.retries++;
        this.abortUpstream = null;
        this.dispatch();
        return;
      }
    }
    this.modelUs = (performance.now() - this.tModel) * 1000;
    let se: ServiceError;
    if (this.callerGone) {
      // The caller went away; nobody to answer. If the model had already answered (a caller that
      // hangs up mid-response), the model did serve it: it still counts as an invocation.
      this.reachedModel = this.modelStatus !== 0;
      res.destroy();
      this.finish();
      return;
    } else if (this.mode === EVENTS && res.headersSent) {
      // Mid-stream failure: the event stream itself carries the error (contract §1.4).
      const timedOut = err instanceof undiciErrors.BodyTimeoutError;
      this.modelStatus = 0;
      res.end(
        modelStreamErrorEvent(
          timedOut ? 'Your model did not finish sending the response within the allowed time.' : 'The connection to the model container was closed while streaming the response.',
          timedOut ? 'ModelInvocationTimeExceeded' : 'StreamBroken',
        ),
      );
      this.finish();
      return;
    } else if (!this.modelAnswered() && isPlatformError(err)) {
      // This side could not open a connection (no descriptor, port or memory): not the model's doing.
      this.reachedModel = false;
      logger.warn({ err, requestId: this.ctx.requestId, endpoint: route.name }, 'could not reach the model: no resources on this side');
      se = new ServiceUnavailable('Slipway could not open a connection to the model right now. Try again.');
    } else if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      se = plane.timeoutError(this.ctx, route, this.inst);
    } else if (isRefused(err)) {
      this.reachedModel = false;
      plane.table.reportBroken(route.name, this.inst);
      se = new ServiceUnavailable(`Endpoint ${route.name} has no instance accepting connections right now. Try again.`);
    } else if (isSocketError(err)) {
      plane.table.reportBroken(route.name, this.inst);
      se = plane.containerError(this.ctx, route, this.inst, 0, 'The connection to container primary was closed before it sent a complete response.');
    } else {
      logger.error({ err, requestId: this.ctx.requestId, endpoint: route.name }, 'invocation failed');
      se = asServiceError(err);
    }
    this.respondError(se);
    this.finish();
  }

  /** The model sent a status line (so an error after it is the exchange's, not the connection's). */
  private modelAnswered(): boolean {
    return this.modelStatus !== 0;
  }

  /** Hands a completed exchange to the capture writer (input only when the body was read whole). */
  private recordCapture(output: Buffer | undefined): void {
    const c = this.capture!;
    const writer = this.plane.capture;
    if (!writer) return;
    const input = c.input && Buffer.isBuffer(this.body) ? { contentType: this.headers['content-type'], body: this.body } : undefined;
    const out = c.output && output ? { contentType: this.responseType, body: output } : undefined;
    if (!input && !out) return;
    writer.record({
      endpoint: this.route.name,
      variant: this.variant.name,
      settings: c,
      ...(this.headers['x-amzn-sagemaker-inference-id'] ? { inferenceId: this.headers['x-amzn-sagemaker-inference-id'] } : {}),
      ...(input ? { input } : {}),
      ...(out ? { output: out } : {}),
      at: Date.now(),
    });
  }

  private respondError(se: ServiceError): void {
    if (!this.req.readableEnded) this.req.resume();
    renderError(this.res, this.ctx, se);
  }

  private finish(): void {
    this.settled = true;
    const inst = this.inst;
    inst.outstanding--;
    this.res.off('close', this.onCallerClose);
    this.res.off('drain', this.onDrain);
    if (!this.reachedModel) return;
    const totalUs = (performance.now() - this.t0) * 1000;
    this.plane.metrics.recordInvocation({
      endpoint: this.route.name,
      variant: this.variant.name,
      status: this.modelStatus,
      modelLatencyUs: Math.round(this.modelUs),
      overheadLatencyUs: Math.max(0, Math.round(totalUs - this.modelUs)),
      instanceCount: this.variant.instances.length,
    });
  }
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
