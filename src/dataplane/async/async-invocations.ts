/**
 * @module dataplane/async/async-invocations — InvokeEndpointAsync (contract §1.4, §4.6): accepts
 * requests into a durable SQLite queue and runs them against the endpoint's healthy instances in
 * the background, streaming the input from the object store and the answer back into it.
 *
 *   POST /endpoints/{name}/async-invocations
 *     → validate headers, endpoint (exists, serving, has AsyncInferenceConfig), InputLocation object
 *     → INSERT async_invocations (Queued)  ──committed──▶ 202 {"InferenceId"} + Output/FailureLocation
 *
 *   worker (timer + nudges): Queued rows, oldest first
 *     → past RequestTTLSeconds                → message at FailureLocation, row deleted
 *     → no route yet (endpoint starting)      → stays queued
 *     → instance with < MaxConcurrentInvocationsPerInstance running → InProgress
 *         POST /invocations (input streamed) ─2xx──▶ body streamed to OutputLocation
 *                                            ─else─▶ body / timeout message to FailureLocation
 *         refused (instance died)            → Queued again (retried up to MAX_ATTEMPTS)
 *     → row deleted once an object was written
 *
 * Crash safety: rows are deleted only after the result object is committed; at start-up rows
 * left InProgress go back to Queued and run again from the input (at-least-once, like SageMaker).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { Pool, errors as undiciErrors } from 'undici';
import type { RequestContext } from '../../protocol/context.js';
import { ServiceError } from '../../protocol/errors.js';
import { runtimeValidationError, renderError } from '../../protocol/rest-json/runtime-errors.js';
import { logger } from '../../platform/logger.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { ResourceStore } from '../../storage/resource-store.js';
import { joinUri, parseDataUri } from '../../resources/s3-uri.js';
import type { SqlDb } from '../../storage/sql/sql-db.js';
import type { InstanceRoute, RoutingTable, VariantRoute } from '../routing-table.js';
import { EndpointStatus, type EndpointInternal } from '../../resources/endpoint.js';
import type { Metrics } from '../../metrics/metrics.js';
import { SqlAsyncStore, type AsyncRequest } from './async-store.js';
import type { Clock } from '../../platform/clock.js';
import type { AsyncInferenceConfigDoc } from '../../resources/endpoint-config.js';
import { headerValidationMessage } from '../request-headers.js';

export const DEFAULT_REQUEST_TTL_SECONDS = 21_600;
export const DEFAULT_INVOCATION_TIMEOUT_SECONDS = 900;
/** AsyncInferenceClientConfig.MaxConcurrentInvocationsPerInstance when the config leaves it out. */
export const DEFAULT_MAX_CONCURRENCY = 4;
/** Refused connections (instance going away) before the request is given up. */
const MAX_ATTEMPTS = 5;
const POLL_MS = 500;

/** The validated InvokeEndpointAsync headers. */
export interface AsyncHeaders {
  inferenceId: string;
  inputLocation: string;
  contentType?: string;
  accept?: string;
  customAttributes?: string;
  requestTtlSeconds: number;
  invocationTimeoutSeconds: number;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function one(h: HeaderBag, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function intHeader(h: HeaderBag, name: string, wire: string, min: number, max: number, dflt: number): number {
  const v = one(h, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw runtimeValidationError(`${wire} must be an integer between ${min} and ${max}; got "${v}".`);
  }
  return Number(v);
}

function limited(h: HeaderBag, name: string, wire: string, max: number): string | undefined {
  const v = one(h, name);
  if (v !== undefined && v.length > max) throw runtimeValidationError(`${wire} must be at most ${max} characters long.`);
  return v;
}

/** Reads the InvokeEndpointAsync request headers (contract §1.4); throws ValidationError. */
export function parseAsyncHeaders(h: HeaderBag, newId: () => string = randomUUID): AsyncHeaders {
  const inputLocation = one(h, 'x-amzn-sagemaker-inputlocation');
  if (inputLocation === undefined || inputLocation === '') throw runtimeValidationError('InputLocation (X-Amzn-SageMaker-InputLocation) is required.');
  if (inputLocation.length > 1024) throw runtimeValidationError('InputLocation must be at most 1024 characters long.');
  const id = one(h, 'x-amzn-sagemaker-inference-id');
  if (id !== undefined && (id.length < 1 || id.length > 64)) throw runtimeValidationError('InferenceId must be 1 to 64 characters long.');
  // The id names the output object: keep it one path segment.
  if (id !== undefined && /[/\\]|^\.\.?$/.test(id)) throw runtimeValidationError(`InferenceId "${id}" must not contain "/" or "\\".`);
  const contentType = limited(h, 'x-amzn-sagemaker-content-type', 'ContentType', 1024);
  const accept = limited(h, 'x-amzn-sagemaker-accept', 'Accept', 1024);
  const customAttributes = limited(h, 'x-amzn-sagemaker-custom-attributes', 'CustomAttributes', 1024);
  return {
    inferenceId: id ?? newId(),
    inputLocation,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(accept !== undefined ? { accept } : {}),
    ...(customAttributes !== undefined ? { customAttributes } : {}),
    requestTtlSeconds: intHeader(h, 'x-amzn-sagemaker-requestttlseconds', 'RequestTTLSeconds', 60, 21_600, DEFAULT_REQUEST_TTL_SECONDS),
    invocationTimeoutSeconds: intHeader(h, 'x-amzn-sagemaker-invocationtimeoutseconds', 'InvocationTimeoutSeconds', 1, 3600, DEFAULT_INVOCATION_TIMEOUT_SECONDS),
  };
}

/** `<S3OutputPath>/<id>.out` and `<S3FailurePath or S3OutputPath>/<id>-error.out` (contract §4.6: naming is ours). */
export function resultLocations(cfg: AsyncInferenceConfigDoc, inferenceId: string): { output: string; failure: string } {
  const out = cfg.OutputConfig?.S3OutputPath;
  if (!out) throw runtimeValidationError('The endpoint\'s AsyncInferenceConfig has no OutputConfig.S3OutputPath.');
  return { output: joinUri(out, `${inferenceId}.out`), failure: joinUri(cfg.OutputConfig?.S3FailurePath ?? out, `${inferenceId}-error.out`) };
}

function s3Location(uri: string, what: string): { bucket: string; key: string } {
  const loc = parseDataUri(uri);
  if (!uri.startsWith('s3://') || loc?.scheme !== 's3' || !loc.key) throw runtimeValidationError(`${what} ${uri} is not an s3://bucket/key URI.`);
  return { bucket: loc.bucket, key: loc.key };
}

export interface AsyncInvocationsDeps {
  sql: SqlDb;
  resources: ResourceStore;
  objects: ObjectStore;
  table: RoutingTable;
  metrics: Metrics;
  now?: Clock;
}

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Owns the async queue and its worker. `accept` answers the HTTP request; `start` resumes rows
 * left by a previous process and starts the worker; `stop` aborts requests in flight (their rows
 * stay for the next start) and closes connections.
 */
export class AsyncInvocations {
  private readonly store: SqlAsyncStore;
  private readonly now: Clock;
  private readonly running = new Map<number, Running>();
  private readonly active = new Map<InstanceRoute, number>();
  private readonly pools = new Map<string, Pool>();
  private timer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private stopping = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: AsyncInvocationsDeps) {
    this.store = new SqlAsyncStore(deps.sql);
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    const resumed = await this.store.requeueInProgress();
    if (resumed) logger.info({ resumed }, 'async invocations in flight at the last stop are queued again');
    this.unsubscribe = this.deps.table.onInstanceRemoved((inst) => {
      const pool = this.pools.get(inst.origin);
      if (!pool) return;
      this.pools.delete(inst.origin);
      void pool.close().catch(() => undefined);
    });
    this.timer = setInterval(() => void this.pump(), POLL_MS);
    this.timer.unref();
    this.nudge();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort();
    await Promise.all(all.map((r) => r.done));
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }

  /** Handles `POST /endpoints/{name}/async-invocations`. */
  async accept(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, name: string): Promise<void> {
    // The body is not used (the input is at InputLocation); drain it so the answer is seen.
    if (!req.readableEnded) req.resume();
    let queued: AsyncRequest;
    try {
      // The model's header constraints first, as on the synchronous paths (../request-headers.ts).
      const invalid = headerValidationMessage('InvokeEndpointAsync', name, req.headers);
      if (invalid !== undefined) throw runtimeValidationError(invalid);
      queued = await this.enqueue(ctx, name, req.headers);
    } catch (err) {
      if (err instanceof ServiceError) return renderError(res, ctx, err);
      throw err;
    }
    const body = JSON.stringify({ InferenceId: queued.inferenceId });
    res.writeHead(202, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-RequestId': ctx.requestId,
      'X-Amzn-SageMaker-OutputLocation': queued.outputLocation,
      'X-Amzn-SageMaker-FailureLocation': queued.failureLocation,
    });
    res.end(body);
    this.nudge();
  }

  private async enqueue(ctx: RequestContext, name: string, headers: HeaderBag): Promise<AsyncRequest> {
    const h = parseAsyncHeaders(headers);
    const rec = await this.deps.resources.get('endpoint', name);
    if (!rec) throw runtimeValidationError(`Endpoint ${name} of account ${ctx.accountId} not found.`);
    // Updating endpoints keep serving the old fleet (blue/green), so they take requests too.
    if (rec.status !== EndpointStatus.InService && rec.status !== EndpointStatus.Updating) {
      throw runtimeValidationError(`Endpoint ${rec.name} of account ${ctx.accountId} is not in service (status ${rec.status}).`);
    }
    const cfg = await this.asyncConfigOf(rec.internal);
    if (!cfg) throw runtimeValidationError(`Endpoint ${rec.name} of account ${ctx.accountId} is not configured for asynchronous inference (its endpoint config has no AsyncInferenceConfig).`);
    const input = s3Location(h.inputLocation, 'InputLocation');
    const loc = resultLocations(cfg, h.inferenceId);
    s3Location(loc.output, 'S3OutputPath');
    s3Location(loc.failure, 'S3FailurePath');
    let exists = false;
    try {
      exists = (await this.deps.objects.headObject(input.bucket, input.key)) !== undefined;
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err; // NoSuchBucket and friends: same answer as a missing key
    }
    if (!exists) throw runtimeValidationError(`Could not find the input object at InputLocation ${h.inputLocation}.`);
    const t = this.now();
    return await this.store.add({
      endpoint: rec.name,
      inferenceId: h.inferenceId,
      inputLocation: h.inputLocation,
      outputLocation: loc.output,
      failureLocation: loc.failure,
      ...(h.contentType !== undefined ? { contentType: h.contentType } : {}),
      ...(h.accept !== undefined ? { accept: h.accept } : {}),
      ...(h.customAttributes !== undefined ? { customAttributes: h.customAttributes } : {}),
      invocationTimeoutS: h.invocationTimeoutSeconds,
      maxConcurrency: cfg.ClientConfig?.MaxConcurrentInvocationsPerInstance ?? DEFAULT_MAX_CONCURRENCY,
      createdAt: t,
      expiresAt: t + h.requestTtlSeconds * 1000,
    });
  }

  /** The deployed plan's copy; endpoints created before plans carried it fall back to the config. */
  private async asyncConfigOf(internal: EndpointInternal): Promise<AsyncInferenceConfigDoc | undefined> {
    if (internal.active.asyncInferenceConfig) return internal.active.asyncInferenceConfig;
    const cfg = await this.deps.resources.get('endpoint-config', internal.active.endpointConfigName);
    return cfg?.doc.AsyncInferenceConfig;
  }

  /** Runs the worker soon (coalesced). */
  private nudge(): void {
    if (this.pumpScheduled || this.stopping) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.stopping) return;
    let rows: AsyncRequest[];
    try {
      rows = await this.store.queued(500);
    } catch (err) {
      logger.error({ err }, 'async queue read failed');
      return;
    }
    await this.dispatch(rows).catch((err: unknown) => logger.error({ err }, 'async queue dispatch failed'));
  }

  private async dispatch(rows: AsyncRequest[]): Promise<void> {
    const now = this.now();
    for (const r of rows) {
      if (this.running.has(r.id)) continue;
      if (now > r.expiresAt) {
        this.launch(r, undefined);
        continue;
      }
      const route = this.deps.table.lookup(r.endpoint);
      if (!route) {
        if (!(await this.deps.resources.get('endpoint', r.endpoint))) this.launch(r, undefined);
        continue; // starting or restarting: wait for healthy instances (or the TTL)
      }
      const pick = this.pickFree(route.variants, r.maxConcurrency);
      if (pick) this.launch(r, pick);
    }
  }

  /** The least busy healthy instance below the per-instance limit, over variants with weight > 0. */
  private pickFree(variants: readonly VariantRoute[], limit: number): { variant: VariantRoute; inst: InstanceRoute } | undefined {
    let best: { variant: VariantRoute; inst: InstanceRoute; n: number } | undefined;
    for (const v of variants) {
      if (v.weight <= 0) continue;
      for (const inst of v.instances) {
        if (inst.broken) continue;
        const n = this.active.get(inst) ?? 0;
        if (n >= limit) continue;
        if (!best || n < best.n) best = { variant: v, inst, n };
      }
    }
    return best;
  }

  /** Claims the request at once (a concurrent pump skips it), then marks and runs it. */
  private launch(r: AsyncRequest, target: { variant: VariantRoute; inst: InstanceRoute } | undefined): void {
    const abort = new AbortController();
    if (target) this.active.set(target.inst, (this.active.get(target.inst) ?? 0) + 1);
    const done = (async () => {
      if (!target) return this.expireOrOrphan(r);
      await this.store.markInProgress(r.id);
      return this.invoke(r, target.variant, target.inst, abort.signal);
    })()
      .catch((err: unknown) => logger.error({ err, inferenceId: r.inferenceId, endpoint: r.endpoint }, 'async invocation failed'))
      .finally(() => {
        this.running.delete(r.id);
        if (target) {
          const n = (this.active.get(target.inst) ?? 1) - 1;
          if (n > 0) this.active.set(target.inst, n);
          else this.active.delete(target.inst);
        }
        this.nudge();
      });
    this.running.set(r.id, { abort, done });
  }

  private async expireOrOrphan(r: AsyncRequest): Promise<void> {
    const gone = !await this.deps.resources.get('endpoint', r.endpoint);
    const message = gone
      ? `Endpoint ${r.endpoint} was deleted before the request ${r.inferenceId} could be processed.`
      : `The request ${r.inferenceId} expired after waiting in the queue for ${Math.round((r.expiresAt - r.createdAt) / 1000)} seconds (RequestTTLSeconds).`;
    await this.finishWithFailure(r, message);
  }

  private async invoke(r: AsyncRequest, variant: VariantRoute, inst: InstanceRoute, stop: AbortSignal): Promise<void> {
    const input = s3Location(r.inputLocation, 'InputLocation');
    let body: Readable;
    let size: number;
    let objectType: string | undefined;
    try {
      const got = await this.deps.objects.getObject(input.bucket, input.key);
      body = got.body;
      size = got.meta.size;
      objectType = got.meta.contentType || undefined;
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      return this.finishWithFailure(r, `Could not read the input object at ${r.inputLocation}: ${err.message}`);
    }

    const headers: Record<string, string> = { 'content-length': String(size), 'x-amzn-sagemaker-inference-id': r.inferenceId };
    // Without a ContentType in the request (the SageMaker Python SDK's AsyncPredictor sends none),
    // SageMaker hands the container the input object's own Content-Type (issue #14).
    const contentType = r.contentType ?? objectType;
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (r.accept !== undefined) headers.accept = r.accept;
    if (r.customAttributes !== undefined) headers['x-amzn-sagemaker-custom-attributes'] = r.customAttributes;

    const timeoutMs = r.invocationTimeoutS * 1000;
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, timeoutMs);
    const onStop = () => deadline.abort();
    stop.addEventListener('abort', onStop);
    const t0 = performance.now();
    let status = 0;
    let reached = true;
    try {
      const res = await this.poolFor(inst).request({
        path: '/invocations',
        method: 'POST',
        headers,
        body,
        signal: deadline.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      const ct = res.headers['content-type'];
      const contentType = Array.isArray(ct) ? ct[0] : ct;
      if (status >= 200 && status <= 299) {
        const out = s3Location(r.outputLocation, 'OutputLocation');
        await this.deps.objects.putObject(out.bucket, out.key, res.body, contentType ? { contentType } : {});
        await this.store.remove(r.id);
      } else {
        // The container's own error body is the most useful failure document.
        const fail = s3Location(r.failureLocation, 'FailureLocation');
        await this.deps.objects.putObject(fail.bucket, fail.key, res.body, contentType ? { contentType } : {});
        await this.store.remove(r.id);
      }
    } catch (err) {
      body.destroy();
      if (stop.aborted) return; // server stopping: the row stays InProgress and runs again after restart
      if (timedOut) {
        status = 0;
        return await this.finishWithFailure(r, `Your invocation timed out while waiting for a response from container primary (InvocationTimeoutSeconds ${r.invocationTimeoutS}).`);
      }
      const code = (err as { code?: string; cause?: { code?: string } })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
      if (code === 'ECONNREFUSED' && r.attempts < MAX_ATTEMPTS) {
        reached = false;
        this.deps.table.reportBroken(r.endpoint, inst);
        await this.store.requeue(r.id);
        return;
      }
      if (err instanceof ServiceError && status >= 200) {
        // Writing the result failed (e.g. the output bucket is gone).
        return await this.finishWithFailure(r, `Could not write the result to ${status <= 299 ? r.outputLocation : r.failureLocation}: ${err.message}`);
      }
      if (err instanceof undiciErrors.UndiciError || code) {
        return await this.finishWithFailure(r, `The connection to container primary failed before a complete response was received (${code ?? (err as Error).message}).`);
      }
      throw err;
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      if (!stop.aborted && reached) {
        const modelUs = Math.round((performance.now() - t0) * 1000);
        this.deps.metrics.recordInvocation({ endpoint: r.endpoint, variant: variant.name, status, modelLatencyUs: modelUs, overheadLatencyUs: 0, instanceCount: variant.instances.length });
      }
    }
  }

  /** Writes a plain-text failure document and drops the row (also when even that write fails). */
  private async finishWithFailure(r: AsyncRequest, message: string): Promise<void> {
    try {
      const fail = s3Location(r.failureLocation, 'FailureLocation');
      await this.deps.objects.putObject(fail.bucket, fail.key, Readable.from([Buffer.from(message + '\n')]), { contentType: 'text/plain' });
    } catch (err) {
      logger.error({ err, inferenceId: r.inferenceId, failureLocation: r.failureLocation, reason: message }, 'could not write the async failure document');
    }
    await this.store.remove(r.id);
  }

  private poolFor(inst: InstanceRoute): Pool {
    let p = this.pools.get(inst.origin);
    if (!p) {
      p = new Pool(inst.origin, { connections: 64, keepAliveTimeout: 30_000 });
      this.pools.set(inst.origin, p);
    }
    return p;
  }
}
