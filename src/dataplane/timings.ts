/**
 * @module dataplane/timings — per-request latency split kept for the metrics work: ModelLatency
 * (request sent to the container → its response fully received) and OverheadLatency (everything
 * else Slipway spent), plus counters per endpoint and variant. In memory: counters restart with
 * the server, which is what Prometheus-style counters expect.
 */

export interface InvocationTiming {
  endpoint: string;
  variant: string;
  instanceId: string;
  /** HTTP status the caller got. */
  status: number;
  /** Error code when not 2xx (ModelError, ValidationError, ...). */
  errorCode?: string;
  /** Microseconds. */
  modelLatencyUs: number;
  overheadLatencyUs: number;
  /** Epoch milliseconds at completion. */
  at: number;
}

export interface VariantCounters {
  endpoint: string;
  variant: string;
  invocations: number;
  invocation4xxErrors: number;
  invocation5xxErrors: number;
  modelErrors: number;
  modelLatencyUsSum: number;
  modelLatencyUsMax: number;
  overheadLatencyUsSum: number;
  overheadLatencyUsMax: number;
}

const RECENT = 2048;

export class InvocationStats {
  private readonly counters = new Map<string, VariantCounters>();
  private readonly ring: InvocationTiming[] = [];
  private next = 0;

  record(t: InvocationTiming): void {
    const key = `${t.endpoint}\u0000${t.variant}`;
    let c = this.counters.get(key);
    if (!c) {
      c = {
        endpoint: t.endpoint,
        variant: t.variant,
        invocations: 0,
        invocation4xxErrors: 0,
        invocation5xxErrors: 0,
        modelErrors: 0,
        modelLatencyUsSum: 0,
        modelLatencyUsMax: 0,
        overheadLatencyUsSum: 0,
        overheadLatencyUsMax: 0,
      };
      this.counters.set(key, c);
    }
    c.invocations++;
    if (t.status >= 400 && t.status < 500) c.invocation4xxErrors++;
    if (t.status >= 500) c.invocation5xxErrors++;
    if (t.errorCode === 'ModelError') c.modelErrors++;
    c.modelLatencyUsSum += t.modelLatencyUs;
    c.modelLatencyUsMax = Math.max(c.modelLatencyUsMax, t.modelLatencyUs);
    c.overheadLatencyUsSum += t.overheadLatencyUs;
    c.overheadLatencyUsMax = Math.max(c.overheadLatencyUsMax, t.overheadLatencyUs);
    if (this.ring.length < RECENT) this.ring.push(t);
    else this.ring[this.next] = t;
    this.next = (this.next + 1) % RECENT;
  }

  counterSnapshot(): VariantCounters[] {
    return [...this.counters.values()].map((c) => ({ ...c }));
  }

  /** The most recent timings, oldest first. */
  recent(limit = RECENT): InvocationTiming[] {
    const ordered = this.ring.length < RECENT ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.slice(-limit);
  }
}
