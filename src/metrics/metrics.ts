/**
 * @module metrics/metrics — the one place Slipway records metrics. Every sample goes two ways:
 * into Prometheus instruments (served at /_slipway/metrics) and into the CloudWatch-style
 * MetricStore (GetMetricStatistics / GetMetricData), under SageMaker's names and dimensions
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricSeries, MetricStore } from './metric-store.js';
import { RateWindow } from './rate-window.js';

export const NAMESPACES = {
  invocations: 'AWS/SageMaker',
  endpointInstances: '/aws/sagemaker/Endpoints',
  trainingJobs: '/aws/sagemaker/TrainingJobs',
  processingJobs: '/aws/sagemaker/ProcessingJobs',
  transformJobs: '/aws/sagemaker/TransformJobs',
} as const;

export interface InvocationSample {
  endpoint: string;
  variant: string;
  /** HTTP status returned to the caller's view of the model (container status, or 0 on timeout). */
  status: number;
  modelLatencyUs: number;
  overheadLatencyUs: number;
  /** Instances serving the variant, for InvocationsPerInstance. */
  instanceCount: number;
}

/** One endpoint variant's invocation instruments, resolved once (the hot path records per request). */
interface InvocationSeries {
  labels: { endpoint: string; variant: string };
  invocations: MetricSeries;
  perInstance: MetricSeries;
  errors4xx: MetricSeries;
  errors5xx: MetricSeries;
  modelLatency: MetricSeries;
  overheadLatency: MetricSeries;
  /** InvocationsPerInstance per second, for autoscaling's sub-minute windows. */
  perInstanceRate: RateWindow;
}

// Microsecond buckets from 100 µs to 60 s, as SageMaker reports latencies in microseconds.
const LATENCY_BUCKETS_US = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1e6, 2.5e6, 5e6, 1e7, 3e7, 6e7];

export class Metrics {
  readonly registry = new Registry();
  private readonly invocations: Counter<'endpoint' | 'variant'>;
  private readonly errors4xx: Counter<'endpoint' | 'variant'>;
  private readonly errors5xx: Counter<'endpoint' | 'variant'>;
  private readonly modelLatency: Histogram<'endpoint' | 'variant'>;
  private readonly overheadLatency: Histogram<'endpoint' | 'variant'>;
  private readonly modelSetup: Gauge<'endpoint' | 'variant'>;
  private readonly instanceCpu: Gauge<'endpoint' | 'variant' | 'instance'>;
  private readonly instanceMemory: Gauge<'endpoint' | 'variant' | 'instance'>;
  private readonly jobMetric: Gauge<'job' | 'metric'>;
  private readonly jobCpu: Gauge<'job' | 'host'>;
  private readonly jobMemory: Gauge<'job' | 'host'>;
  /** endpoint → variant → series; endpoint and variant names are few and long-lived. */
  private readonly invocationSeries = new Map<string, Map<string, InvocationSeries>>();

  constructor(private readonly store: MetricStore) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'slipway_' });
    const ev = ['endpoint', 'variant'] as const;
    this.invocations = new Counter({ name: 'sagemaker_invocations_total', help: 'InvokeEndpoint requests that reached a model (Invocations).', labelNames: ev, registers: [r] });
    this.errors4xx = new Counter({ name: 'sagemaker_invocation_4xx_errors_total', help: 'Invocations where the model returned 4xx (Invocation4XXErrors).', labelNames: ev, registers: [r] });
    this.errors5xx = new Counter({ name: 'sagemaker_invocation_5xx_errors_total', help: 'Invocations where the model returned 5xx or timed out (Invocation5XXErrors).', labelNames: ev, registers: [r] });
    this.modelLatency = new Histogram({ name: 'sagemaker_model_latency_microseconds', help: 'Time the model took to respond (ModelLatency), microseconds.', labelNames: ev, buckets: LATENCY_BUCKETS_US, registers: [r] });
    this.overheadLatency = new Histogram({ name: 'sagemaker_overhead_latency_microseconds', help: 'Time Slipway added to each invocation (OverheadLatency), microseconds.', labelNames: ev, buckets: LATENCY_BUCKETS_US, registers: [r] });
    this.modelSetup = new Gauge({ name: 'sagemaker_model_setup_time_microseconds', help: 'Time to start an instance until /ping answered (ModelSetupTime), microseconds.', labelNames: ev, registers: [r] });
    this.instanceCpu = new Gauge({ name: 'sagemaker_instance_cpu_utilization_percent', help: 'CPUUtilization of an endpoint instance.', labelNames: ['endpoint', 'variant', 'instance'], registers: [r] });
    this.instanceMemory = new Gauge({ name: 'sagemaker_instance_memory_utilization_percent', help: 'MemoryUtilization of an endpoint instance.', labelNames: ['endpoint', 'variant', 'instance'], registers: [r] });
    this.jobMetric = new Gauge({ name: 'sagemaker_training_metric', help: 'Last value of a training job metric from MetricDefinitions.', labelNames: ['job', 'metric'], registers: [r] });
    this.jobCpu = new Gauge({ name: 'sagemaker_training_cpu_utilization_percent', help: 'CPUUtilization of a training host.', labelNames: ['job', 'host'], registers: [r] });
    this.jobMemory = new Gauge({ name: 'sagemaker_training_memory_utilization_percent', help: 'MemoryUtilization of a training host.', labelNames: ['job', 'host'], registers: [r] });
  }

  recordInvocation(s: InvocationSample, at = Date.now()): void {
    const series = this.seriesFor(s.endpoint, s.variant);
    const labels = series.labels;
    const is4xx = s.status >= 400 && s.status < 500;
    const is5xx = s.status >= 500 || s.status === 0;
    this.invocations.inc(labels);
    this.modelLatency.observe(labels, s.modelLatencyUs);
    this.overheadLatency.observe(labels, s.overheadLatencyUs);
    if (is4xx) this.errors4xx.inc(labels);
    if (is5xx) this.errors5xx.inc(labels);
    const store = this.store;
    store.recordSeries(series.invocations, 1, at);
    store.recordSeries(series.perInstance, 1 / Math.max(1, s.instanceCount), at);
    series.perInstanceRate.add(1 / Math.max(1, s.instanceCount), at);
    store.recordSeries(series.errors4xx, is4xx ? 1 : 0, at);
    store.recordSeries(series.errors5xx, is5xx ? 1 : 0, at);
    store.recordSeries(series.modelLatency, s.modelLatencyUs, at);
    store.recordSeries(series.overheadLatency, s.overheadLatencyUs, at);
  }

  private seriesFor(endpoint: string, variant: string): InvocationSeries {
    let byVariant = this.invocationSeries.get(endpoint);
    if (!byVariant) {
      byVariant = new Map();
      this.invocationSeries.set(endpoint, byVariant);
    }
    let series = byVariant.get(variant);
    if (!series) {
      const dims = { EndpointName: endpoint, VariantName: variant };
      const ns = NAMESPACES.invocations;
      const of = (metric: string, unit: string) => this.store.series({ namespace: ns, metric, dimensions: dims }, unit);
      series = {
        labels: { endpoint, variant },
        invocations: of('Invocations', 'None'),
        perInstance: of('InvocationsPerInstance', 'None'),
        errors4xx: of('Invocation4XXErrors', 'None'),
        errors5xx: of('Invocation5XXErrors', 'None'),
        modelLatency: of('ModelLatency', 'Microseconds'),
        overheadLatency: of('OverheadLatency', 'Microseconds'),
        perInstanceRate: new RateWindow(),
      };
      byVariant.set(variant, series);
    }
    return series;
  }

  /**
   * InvocationsPerInstance summed over the last `windowSeconds` (each invocation counts 1 / the
   * instances serving it), as the Sum statistic of SageMaker's metric over that window.
   */
  invocationsPerInstance(endpoint: string, variant: string, windowSeconds: number, now = Date.now()): number {
    const series = this.invocationSeries.get(endpoint)?.get(variant);
    return series ? series.perInstanceRate.sum(windowSeconds, now) : 0;
  }

  recordModelSetupTime(endpoint: string, variant: string, micros: number, at = Date.now()): void {
    this.modelSetup.set({ endpoint, variant }, micros);
    this.store.record({ namespace: NAMESPACES.invocations, metric: 'ModelSetupTime', dimensions: { EndpointName: endpoint, VariantName: variant } }, micros, 'Microseconds', at);
  }

  /**
   * One multi-model invocation's model lookup, as SageMaker's multi-model metrics: ModelCacheHit
   * (1 when the instance held the model, else 0: its Average is the hit rate), and for a load,
   * ModelDownloadingTime (fetch and extract), ModelLoadingTime (the container's load call) and
   * LoadedModelCount on the instance afterwards.
   */
  recordModelLookup(endpoint: string, variant: string, s: { hit: boolean; downloadUs?: number; loadUs?: number; unloadUs?: number; loadedCount: number }, at = Date.now()): void {
    const dimensions = { EndpointName: endpoint, VariantName: variant };
    const put = (metric: string, value: number, unit: string) => this.store.record({ namespace: NAMESPACES.invocations, metric, dimensions }, value, unit, at);
    put('ModelCacheHit', s.hit ? 1 : 0, 'None');
    if (s.downloadUs !== undefined) put('ModelDownloadingTime', s.downloadUs, 'Microseconds');
    if (s.loadUs !== undefined) put('ModelLoadingTime', s.loadUs, 'Microseconds');
    if (s.unloadUs !== undefined) put('ModelUnloadingTime', s.unloadUs, 'Microseconds');
    put('LoadedModelCount', s.loadedCount, 'None');
  }

  /**
   * One hop of an inference pipeline's invocation, as SageMaker's per-container metrics
   * (Invocations, Invocation4XXErrors, Invocation5XXErrors, ModelLatency with dimensions
   * EndpointName, VariantName, ContainerName: https://docs.aws.amazon.com/sagemaker/latest/dg/multi-container-metrics.html).
   * `status` 0: no answer (timeout, broken connection), counted as 5XX.
   */
  recordContainerInvocation(endpoint: string, variant: string, container: string, status: number, modelLatencyUs: number, at = Date.now()): void {
    const dimensions = { EndpointName: endpoint, VariantName: variant, ContainerName: container };
    const put = (metric: string, value: number, unit: string) => this.store.record({ namespace: NAMESPACES.invocations, metric, dimensions }, value, unit, at);
    put('Invocations', 1, 'None');
    put('Invocation4XXErrors', status >= 400 && status < 500 ? 1 : 0, 'None');
    put('Invocation5XXErrors', status >= 500 || status === 0 ? 1 : 0, 'None');
    put('ModelLatency', modelLatencyUs, 'Microseconds');
  }

  recordEndpointInstance(endpoint: string, variant: string, instance: string, cpuPercent: number, memoryPercent: number, at = Date.now()): void {
    this.instanceCpu.set({ endpoint, variant, instance }, cpuPercent);
    this.instanceMemory.set({ endpoint, variant, instance }, memoryPercent);
    const dims = { EndpointName: endpoint, VariantName: variant };
    this.store.record({ namespace: NAMESPACES.endpointInstances, metric: 'CPUUtilization', dimensions: dims }, cpuPercent, 'Percent', at);
    this.store.record({ namespace: NAMESPACES.endpointInstances, metric: 'MemoryUtilization', dimensions: dims }, memoryPercent, 'Percent', at);
  }

  /** A value parsed from a training job's log by one of its MetricDefinitions. */
  recordTrainingMetric(job: string, metric: string, value: number, at = Date.now()): void {
    this.jobMetric.set({ job, metric }, value);
    this.store.record({ namespace: NAMESPACES.trainingJobs, metric, dimensions: { TrainingJobName: job } }, value, 'None', at);
  }

  recordTrainingHost(job: string, host: string, cpuPercent: number, memoryPercent: number, at = Date.now()): void {
    this.jobCpu.set({ job, host }, cpuPercent);
    this.jobMemory.set({ job, host }, memoryPercent);
    const dims = { Host: `${job}/${host}` };
    this.store.record({ namespace: NAMESPACES.trainingJobs, metric: 'CPUUtilization', dimensions: dims }, cpuPercent, 'Percent', at);
    this.store.record({ namespace: NAMESPACES.trainingJobs, metric: 'MemoryUtilization', dimensions: dims }, memoryPercent, 'Percent', at);
  }

  async prometheusText(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
