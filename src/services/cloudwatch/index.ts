/**
 * @module services/cloudwatch — CloudWatch metric reads (GetMetricStatistics, GetMetricData,
 * ListMetrics) and PutMetricData over Slipway's 1-minute metric store. One operation table serves
 * the three wire protocols CloudWatch clients use (RPC v2 CBOR, JSON 1.0, query).
 */
import { ServiceError } from '../../protocol/errors.js';
import type { OperationTable } from '../../protocol/json11/json11-surface.js';
import { rollUp, type Datapoint, type MetricStore } from '../../metrics/metric-store.js';

export const CLOUDWATCH_SERVICE = 'GraniteServiceVersion20100801';
export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
/** Query-protocol members that are numbers on the wire model. */
export const CLOUDWATCH_NUMERIC_MEMBERS: ReadonlySet<string> = new Set(['Period', 'MaxDatapoints', 'Value', 'StorageResolution']);

const invalid = (m: string) => new ServiceError('InvalidParameterValue', m, 400);
const missing = (m: string) => new ServiceError('MissingParameter', m, 400);
const combination = (m: string) => new ServiceError('InvalidParameterCombination', m, 400);

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
type Statistic = (typeof STATISTICS)[number];

interface DimensionInput {
  Name: string;
  Value: string;
}

/** Accepts Date (CBOR), epoch seconds (JSON) or ISO 8601 (query). */
export function toMs(v: unknown, member: string): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string') {
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) return n * 1000;
    const d = Date.parse(v);
    if (!Number.isNaN(d)) return d;
  }
  if (v === undefined || v === null) throw missing(`The parameter ${member} is required.`);
  throw invalid(`The parameter ${member} must be a timestamp.`);
}

function dims(list: DimensionInput[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of list ?? []) out[d.Name] = d.Value;
  return out;
}

function checkPeriod(period: unknown): number {
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1) throw invalid('The parameter Period must be a positive integer.');
  // Slipway keeps 1-minute resolution, like CloudWatch's standard resolution.
  if (period % 60 !== 0) throw invalid('The parameter Period must be a multiple of 60.');
  return period;
}

function statValue(d: Datapoint, s: Statistic): number {
  switch (s) {
    case 'SampleCount':
      return d.sampleCount;
    case 'Average':
      return d.average;
    case 'Sum':
      return d.sum;
    case 'Minimum':
      return d.minimum;
    case 'Maximum':
      return d.maximum;
  }
}

export function cloudWatchOperations(deps: { metrics: MetricStore }): OperationTable {
  const { metrics } = deps;
  return {
    GetMetricStatistics: (
      _ctx,
      input: {
        Namespace?: string;
        MetricName?: string;
        Dimensions?: DimensionInput[];
        StartTime?: unknown;
        EndTime?: unknown;
        Period?: number;
        Statistics?: string[];
        ExtendedStatistics?: string[];
        Unit?: string;
      },
    ) => {
      if (!input.Namespace) throw missing('The parameter Namespace is required.');
      if (!input.MetricName) throw missing('The parameter MetricName is required.');
      const start = toMs(input.StartTime, 'StartTime');
      const end = toMs(input.EndTime, 'EndTime');
      if (end <= start) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
      const period = checkPeriod(input.Period);
      const stats = input.Statistics ?? [];
      if (stats.length === 0 && (input.ExtendedStatistics ?? []).length === 0) {
        throw missing('Either the Statistics or the ExtendedStatistics parameter is required.');
      }
      if ((input.ExtendedStatistics ?? []).length > 0) throw invalid('Percentile statistics are not supported by Slipway yet.');
      for (const s of stats) if (!STATISTICS.includes(s as Statistic)) throw invalid(`The parameter Statistics contains an invalid value: ${s}.`);
      if ((end - start) / 1000 / period > 1440) {
        throw combination('You have requested up to 1,440 datapoints, which exceeds the limit of 1,440.');
      }
      const points = rollUp(metrics.buckets({ namespace: input.Namespace, metric: input.MetricName, dimensions: dims(input.Dimensions) }, start, end), start, period);
      return {
        Label: input.MetricName,
        Datapoints: points.map((p) => {
          const out: Record<string, unknown> = { Timestamp: new Date(p.timestamp), Unit: input.Unit ?? p.unit };
          for (const s of stats) out[s] = statValue(p, s as Statistic);
          return out;
        }),
      };
    },

    GetMetricData: (
      _ctx,
      input: {
        MetricDataQueries?: {
          Id: string;
          Label?: string;
          ReturnData?: boolean;
          Expression?: string;
          MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: DimensionInput[] }; Period: number; Stat: string };
        }[];
        StartTime?: unknown;
        EndTime?: unknown;
        ScanBy?: 'TimestampDescending' | 'TimestampAscending';
      },
    ) => {
      const start = toMs(input.StartTime, 'StartTime');
      const end = toMs(input.EndTime, 'EndTime');
      if (!input.MetricDataQueries?.length) throw missing('The parameter MetricDataQueries is required.');
      const results = input.MetricDataQueries.filter((q) => q.ReturnData !== false).map((q) => {
        if (!q.MetricStat) {
          return { Id: q.Id, Label: q.Label ?? q.Id, Timestamps: [], Values: [], StatusCode: 'InternalError', Messages: [{ Code: 'Unsupported', Value: 'Metric math expressions are not supported by Slipway yet.' }] };
        }
        const period = checkPeriod(q.MetricStat.Period);
        const stat = q.MetricStat.Stat as Statistic;
        if (!STATISTICS.includes(stat)) {
          return { Id: q.Id, Label: q.Label ?? q.MetricStat.Metric.MetricName, Timestamps: [], Values: [], StatusCode: 'InternalError', Messages: [{ Code: 'Unsupported', Value: `Statistic ${q.MetricStat.Stat} is not supported.` }] };
        }
        const m = q.MetricStat.Metric;
        let points = rollUp(metrics.buckets({ namespace: m.Namespace, metric: m.MetricName, dimensions: dims(m.Dimensions) }, start, end), start, period);
        if (input.ScanBy !== 'TimestampAscending') points = points.reverse();
        return {
          Id: q.Id,
          Label: q.Label ?? m.MetricName,
          Timestamps: points.map((p) => new Date(p.timestamp)),
          Values: points.map((p) => statValue(p, stat)),
          StatusCode: 'Complete',
        };
      });
      return { MetricDataResults: results, Messages: [] };
    },

    ListMetrics: (_ctx, input: { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value?: string }[] }) => {
      const list = metrics.list({
        namespace: input.Namespace,
        metric: input.MetricName,
        dimensions: (input.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })),
      });
      return {
        Metrics: list.map((k) => ({
          Namespace: k.namespace,
          MetricName: k.metric,
          Dimensions: Object.entries(k.dimensions).map(([Name, Value]) => ({ Name, Value })),
        })),
      };
    },

    PutMetricData: (
      _ctx,
      input: { Namespace?: string; MetricData?: { MetricName: string; Dimensions?: DimensionInput[]; Timestamp?: unknown; Value?: number; Unit?: string }[] },
    ) => {
      if (!input.Namespace) throw missing('The parameter Namespace is required.');
      if (input.Namespace.startsWith('AWS/')) throw invalid('The value AWS/ for parameter Namespace is invalid.');
      for (const d of input.MetricData ?? []) {
        if (typeof d.Value !== 'number') throw missing('The parameter MetricData.member.Value is required.');
        const at = d.Timestamp === undefined ? Date.now() : toMs(d.Timestamp, 'Timestamp');
        metrics.record({ namespace: input.Namespace, metric: d.MetricName, dimensions: dims(d.Dimensions) }, d.Value, d.Unit ?? 'None', at);
      }
      return {};
    },
  };
}
