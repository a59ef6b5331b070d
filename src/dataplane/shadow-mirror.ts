/**
 * @module dataplane/shadow-mirror — shadow variants (ShadowProductionVariants): a sampled copy of
 * each synchronous request also goes to the shadow variant; its answer is read and dropped, never
 * returned, and counts in the shadow's own metrics (Invocations, ModelLatency, Invocation4XX/5XX
 * with its VariantName) and data capture.
 *
 *   caller ──▶ production variant ──▶ caller           (unchanged, never waits for the shadow)
 *      └─ sampled ──▶ ShadowMirror.send ──▶ shadow instance ──▶ metrics, capture, dropped
 *
 * Sampling: the shadow's weight relative to the production variant's is the share of requests
 * copied (routing-table.ts `shadowOf`, worked out when the route is published, so
 * UpdateEndpointWeightsAndCapacities changes it live). Copies are bounded: past MAX_IN_FLIGHT unanswered copies per shadow variant, new ones
 * are skipped (and counted in `skipped`), so a slow shadow can never hold memory or sockets that
 * production needs.
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Metrics } from '../metrics/metrics.js';
import type { CaptureSettings } from '../resources/data-capture.js';
import type { DataCaptureWriter } from './capture/data-capture.js';
import { pickInstance, type EndpointRoute, type InstanceRoute, type VariantRoute } from './routing-table.js';

/** Unanswered copies per shadow variant beyond which new ones are skipped. */
export const MAX_IN_FLIGHT = 64;
/** A shadow's answer is read up to this size (capture keeps it); the rest is discarded. */
const MAX_KEPT_RESPONSE = 6 * 1024 * 1024;

/** The shadow variant a request is copied to, or undefined (not sampled, or no shadow serving). */
export function sampleShadow(route: EndpointRoute, random: () => number = Math.random): VariantRoute | undefined {
  const s = route.shadow;
  // The common case (no shadow) costs one property read; the share was worked out at publish.
  if (!s || s.variant.instances.length === 0) return undefined;
  return random() < s.share ? s.variant : undefined;
}

export interface ShadowMirrorDeps {
  metrics: Metrics;
  capture?: DataCaptureWriter;
  dispatcherFor(inst: InstanceRoute): Dispatcher;
  timeoutMs: number;
}

export class ShadowMirror {
  private readonly inFlight = new Map<VariantRoute, number>();
  /** Copies not sent because the shadow had MAX_IN_FLIGHT unanswered. */
  skipped = 0;

  constructor(private readonly deps: ShadowMirrorDeps) {}

  /** Sends a copy of a request (its body read whole) to `shadow`; returns at once. */
  send(route: EndpointRoute, shadow: VariantRoute, headers: Record<string, string>, body: Buffer, capture: CaptureSettings | undefined): void {
    const busy = this.inFlight.get(shadow) ?? 0;
    const inst = pickInstance(shadow);
    if (!inst || busy >= MAX_IN_FLIGHT) {
      this.skipped++;
      return;
    }
    this.inFlight.set(shadow, busy + 1);
    inst.outstanding++;
    inst.served++;
    const t0 = performance.now();
    const done = (status: number, response: Buffer | undefined, responseType: string | undefined): void => {
      inst.outstanding--;
      this.inFlight.set(shadow, (this.inFlight.get(shadow) ?? 1) - 1);
      const modelUs = Math.round((performance.now() - t0) * 1000);
      this.deps.metrics.recordInvocation({ endpoint: route.name, variant: shadow.name, status, modelLatencyUs: modelUs, overheadLatencyUs: 0, instanceCount: shadow.instances.length });
      if (capture && this.deps.capture && status >= 200 && status < 300) {
        this.deps.capture.record({
          endpoint: route.name,
          variant: shadow.name,
          settings: capture,
          ...(headers['x-amzn-sagemaker-inference-id'] ? { inferenceId: headers['x-amzn-sagemaker-inference-id'] } : {}),
          ...(capture.input ? { input: { contentType: headers['content-type'], body } } : {}),
          ...(capture.output && response ? { output: { contentType: responseType, body: response } } : {}),
          at: Date.now(),
        });
      }
    };
    this.deps
      .dispatcherFor(inst)
      .request({ path: '/invocations', method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, body, headersTimeout: this.deps.timeoutMs, bodyTimeout: this.deps.timeoutMs })
      .then(async (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size <= MAX_KEPT_RESPONSE) chunks.push(chunk);
        }
        const type = res.headers['content-type'];
        done(res.statusCode, size <= MAX_KEPT_RESPONSE ? Buffer.concat(chunks) : undefined, Array.isArray(type) ? type[0] : type);
      })
      // No answer (timeout, reset, refused): a 5xx for the shadow's metrics, nothing for the caller.
      .catch(() => done(0, undefined, undefined));
  }
}
