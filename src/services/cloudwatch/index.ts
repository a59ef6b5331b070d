/**
 * @module services/cloudwatch — CloudWatch metric reads (GetMetricStatistics, GetMetricData,
 * ListMetrics) and PutMetricData over Slipway's 1-minute metric store. One operation table serves
 * the three wire protocols CloudWatch clients use (RPC v2 CBOR, JSON 1.0, query).
 */
import { ServiceError } from '../../protocol/errors.js';
import { operationTable, type OperationTable } from '../../protocol/operation-table.js';
import type { Dimension, MetricDatum, Operations } from './generated/types.js';
import { datapointPercentile, rollUp, statValue, STATISTICS, type MetricStore, type Statistic } from '../../metrics/metric-store.js';
import { parsePercentile } from '../../metrics/histogram.js';

export const CLOUDWATCH_SERVICE = 'GraniteServiceVersion20100801';
export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
/** Query-protocol members that are numbers on the wire model. */
export const CLOUDWATCH_NUMERIC_MEMBERS: ReadonlySet<string> = new Set(['Period', 'MaxDatapoints', 'Value', 'Values', 'Counts', 'SampleCount', 'Sum', 'Minimum', 'Maximum', 'StorageResolution']);
/** Query-protocol output members that are maps in the model (rendered as entry/key/value). */
export const CLOUDWATCH_MAP_MEMBERS: ReadonlySet<string> = new Set(['ExtendedStatistics']);

const invalid = (m: string) => new ServiceError('InvalidParameterValue', m, 400);
const missing = (m: string) => new ServiceError('MissingParameter', m, 400);
const combination = (m: string) => new ServiceError('InvalidParameterCombination', m, 400);


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

function dims(list: Dimension[] | undefined): Record<string, string> {
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

/** One PutMetricData datum: exactly one of Value, Values (with optional Counts) or StatisticValues. */
function checkDatum(d: MetricDatum, n: number): [MetricDatum, number] {
  const member = `MetricData.member.${n}`;
  const given = [d.Value !== undefined, d.Values !== undefined, d.StatisticValues !== undefined].filter(Boolean).length;
  if (given === 0) throw missing(`The parameter ${member}.Value is required.`);
  if (given > 1) throw combination(`The parameters ${member}.Value, ${member}.Values and ${member}.StatisticValues are mutually exclusive.`);
  if (d.Value !== undefined && !Number.isFinite(d.Value)) throw invalid(`The parameter ${member}.Value must be a number.`);
  if (d.Values !== undefined) {
    if (!d.Values.every((v) => Number.isFinite(v))) throw invalid(`The parameter ${member}.Values must contain numbers.`);
    if (d.Counts !== undefined && d.Counts.length !== d.Values.length) {
      throw combination(`The parameters ${member}.Values and ${member}.Counts must be of the same size.`);
    }
    if (d.Counts?.some((c) => !Number.isFinite(c) || c < 0)) throw invalid(`The parameter ${member}.Counts must contain non-negative numbers.`);
  }
  if (d.StatisticValues) {
    const s = d.StatisticValues;
    if (![s.SampleCount, s.Sum, s.Minimum, s.Maximum].every((v) => Number.isFinite(v))) {
      throw missing(`The parameter ${member}.StatisticValues requires SampleCount, Sum, Minimum and Maximum.`);
    }
  }
  return [d, d.Timestamp === undefined ? Date.now() : toMs(d.Timestamp, 'Timestamp')];
}

export function cloudWatchOperations(deps: { metrics: MetricStore }): OperationTable {
  const { metrics } = deps;
  return operationTable<Operations>({
    GetMetricStatistics: async (_ctx, input) => {
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
      for (const s of stats) if (!STATISTICS.includes(s as Statistic)) throw invalid(`The parameter Statistics contains an invalid value: ${s}.`);
      const extended = (input.ExtendedStatistics ?? []).map((name) => {
        const p = parsePercentile(name);
        if (p === undefined) throw invalid(`The value ${name} for parameter ExtendedStatistics is not supported.`);
        return [name, p] as const;
      });
      if ((end - start) / 1000 / period > 1440) {
        throw combination('You have requested up to 1,440 datapoints, which exceeds the limit of 1,440.');
      }
      const points = rollUp(await metrics.buckets({ namespace: input.Namespace, metric: input.MetricName, dimensions: dims(input.Dimensions) }, start, end), start, period);
      return {
        Label: input.MetricName,
        Datapoints: points.map((p) => {
          const out: Record<string, unknown> = { Timestamp: new Date(p.timestamp), Unit: input.Unit ?? p.unit };
          for (const s of stats) out[s] = statValue(p, s as Statistic);
          if (extended.length > 0) {
            const values: Record<string, number> = {};
            for (const [name, pct] of extended) {
              const v = datapointPercentile(p, pct);
              if (v !== undefined) values[name] = v;
            }
            out.ExtendedStatistics = values;
          }
          return out;
        }),
      };
    },

    GetMetricData: async (_ctx, input) => {
      const start = toMs(input.StartTime, 'StartTime');
      const end = toMs(input.EndTime, 'EndTime');
      if (!input.MetricDataQueries?.length) throw missing('The parameter MetricDataQueries is required.');
      const results = await Promise.all(input.MetricDataQueries.filter((q) => q.ReturnData !== false).map(async (q) => {
        if (!q.MetricStat) {
          return { Id: q.Id, Label: q.Label ?? q.Id, Timestamps: [], Values: [], StatusCode: 'InternalError' as const, Messages: [{ Code: 'Unsupported', Value: 'Metric math expressions are not supported by Slipway yet.' }] };
        }
        const period = checkPeriod(q.MetricStat.Period);
        const stat = q.MetricStat.Stat as Statistic;
        const pct = parsePercentile(q.MetricStat.Stat);
        if (!STATISTICS.includes(stat) && pct === undefined) {
          return { Id: q.Id, Label: q.Label ?? q.MetricStat.Metric.MetricName, Timestamps: [], Values: [], StatusCode: 'InternalError' as const, Messages: [{ Code: 'Unsupported', Value: `Statistic ${q.MetricStat.Stat} is not supported.` }] };
        }
        const m = q.MetricStat.Metric;
        let points = rollUp(await metrics.buckets({ namespace: m.Namespace ?? '', metric: m.MetricName ?? '', dimensions: dims(m.Dimensions) }, start, end), start, period);
        if (input.ScanBy !== 'TimestampAscending') points = points.reverse();
        // A percentile exists only for periods whose samples came with a distribution.
        const valued = points.map((p) => [p, pct === undefined ? statValue(p, stat) : datapointPercentile(p, pct)] as const).filter(([, v]) => v !== undefined);
        return {
          Id: q.Id,
          Label: q.Label ?? m.MetricName,
          Timestamps: valued.map(([p]) => new Date(p.timestamp)),
          Values: valued.map(([, v]) => v as number),
          StatusCode: 'Complete' as const,
        };
      }));
      return { MetricDataResults: results, Messages: [] };
    },

    ListMetrics: async (_ctx, input) => {
      const list = await metrics.list({
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

    PutMetricData: (_ctx, input) => {
      if (!input.Namespace) throw missing('The parameter Namespace is required.');
      if (input.Namespace.startsWith('AWS/')) throw invalid('The value AWS/ for parameter Namespace is invalid.');
      const data = input.MetricData ?? [];
      // Everything is checked before anything is recorded: a bad datum stores none of the request.
      const checked = data.map((d, i) => checkDatum(d, i + 1));
      for (const [d, at] of checked) {
        const key = { namespace: input.Namespace, metric: d.MetricName, dimensions: dims(d.Dimensions) };
        const unit = d.Unit ?? 'None';
        if (d.Value !== undefined) metrics.record(key, d.Value, unit, at);
        else if (d.Values !== undefined) d.Values.forEach((v, i) => metrics.record(key, v, unit, at, d.Counts?.[i] ?? 1));
        else if (d.StatisticValues) {
          const sv = d.StatisticValues;
          metrics.recordStatistics(key, { sampleCount: sv.SampleCount, sum: sv.Sum, minimum: sv.Minimum, maximum: sv.Maximum }, unit, at);
        }
      }
      return {};
    },
  });
}
