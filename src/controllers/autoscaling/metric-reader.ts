/**
 * @module controllers/autoscaling/metric-reader — one datapoint of a target-tracking policy's metric
 * from Slipway's own metrics:
 *
 *   SageMakerVariantInvocationsPerInstance  InvocationsPerInstance (AWS/SageMaker) summed over the
 *                                           evaluation window, per minute (the Sum of AWS's
 *                                           1-minute datapoint); an idle variant reads 0
 *   CustomizedMetricSpecification           the statistic of the newest 1-minute bucket of that
 *                                           metric in the metric store (PutMetricData or Slipway's
 *                                           own), within the last minute; none: no datapoint
 */
import type { Metrics } from '../../metrics/metrics.js';
import { rollUp, statValue, STATISTICS, type MetricStore, type Statistic } from '../../metrics/metric-store.js';
import { INVOCATIONS_PER_INSTANCE, type TargetTrackingConfigDoc } from '../../resources/scalable-target.js';

export interface MetricReader {
  datapoint(config: TargetTrackingConfigDoc, at: { endpoint: string; variant: string }, windowSeconds: number, now: number): Promise<number | undefined>;
}

export function createMetricReader(metrics: Metrics, store: MetricStore): MetricReader {
  return {
    async datapoint(config, at, windowSeconds, now) {
      if (config.PredefinedMetricSpecification?.PredefinedMetricType === INVOCATIONS_PER_INSTANCE) {
        const window = Math.max(1, Math.min(windowSeconds, 300));
        return (metrics.invocationsPerInstance(at.endpoint, at.variant, window, now) * 60) / window;
      }
      const c = config.CustomizedMetricSpecification;
      if (!c?.MetricName || !c.Namespace || !c.Statistic) return undefined;
      const dimensions = Object.fromEntries((c.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const since = Math.floor((now - 60_000) / 60_000) * 60_000;
      const buckets = await store.buckets({ namespace: c.Namespace, metric: c.MetricName, dimensions }, since, now + 60_000);
      const newest = buckets[buckets.length - 1];
      if (!newest) return undefined;
      const [d] = rollUp([newest], newest.minute, 60);
      if (!d) return undefined;
      return statValue(d, (STATISTICS as readonly string[]).includes(c.Statistic) ? (c.Statistic as Statistic) : 'Average');
    },
  };
}
