import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { awsEnv, python, useTestServer } from '../../helpers/server.js';

const exec = promisify(execFile);
const server = useTestServer();

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await exec('aws', [...args, '--endpoint-url', server().url, '--output', 'json'], { env: awsEnv(server().url) });
  return stdout.trim() ? JSON.parse(stdout) : {};
}

describe('CloudWatch metrics API', () => {
  it('stores PutMetricData and answers GetMetricStatistics over RPC v2 CBOR (aws CLI)', async () => {
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const ts = new Date(now).toISOString();
    await aws('cloudwatch', 'put-metric-data', '--namespace', 'Custom/Test', '--metric-data',
      JSON.stringify([
        { MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'a' }], Timestamp: ts, Value: 10 },
        { MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'a' }], Timestamp: ts, Value: 30 },
        { MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'b' }], Timestamp: ts, Value: 99 },
      ]));
    const out = await aws('cloudwatch', 'get-metric-statistics', '--namespace', 'Custom/Test', '--metric-name', 'Latency',
      '--dimensions', 'Name=Service,Value=a', '--start-time', new Date(now - 600_000).toISOString(), '--end-time', new Date(now + 600_000).toISOString(),
      '--period', '60', '--statistics', 'Sum', 'Average', 'SampleCount', 'Maximum', 'Minimum');
    expect(out.Datapoints).toHaveLength(1);
    expect(out.Datapoints[0]).toMatchObject({ Sum: 40, Average: 20, SampleCount: 2, Maximum: 30, Minimum: 10 });
    // AWS CLI v1 prints timestamps as received (cli_timestamp_format=none): epoch seconds here.
    expect(out.Datapoints[0].Timestamp).toBe(now / 1000);
    const list = await aws('cloudwatch', 'list-metrics', '--namespace', 'Custom/Test');
    expect(list.Metrics).toHaveLength(2);
  });

  it('answers percentile statistics (p50, p99) to boto3, the aws CLI and the query protocol', async () => {
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const start = new Date(now - 600_000).toISOString();
    const end = new Date(now + 600_000).toISOString();
    // 1..100, once each, plus 1000 counted 10 times: p50 = 55, p99 = 1000.
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const out = await python(server().url, `
import boto3, json, os, datetime
cw = boto3.client('cloudwatch', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
ts = datetime.datetime.fromtimestamp(${now / 1000}, datetime.timezone.utc)
cw.put_metric_data(Namespace='Custom/Pct', MetricData=[
  {'MetricName': 'Latency', 'Timestamp': ts, 'Values': ${JSON.stringify(values)}, 'Unit': 'Milliseconds'},
  {'MetricName': 'Latency', 'Timestamp': ts, 'Values': [1000], 'Counts': [10], 'Unit': 'Milliseconds'},
])
s = cw.get_metric_statistics(Namespace='Custom/Pct', MetricName='Latency', StartTime='${start}', EndTime='${end}',
  Period=60, Statistics=['SampleCount', 'Maximum'], ExtendedStatistics=['p50', 'p99', 'p99.9'])
d = cw.get_metric_data(StartTime='${start}', EndTime='${end}', MetricDataQueries=[
  {'Id': 'p90', 'MetricStat': {'Metric': {'Namespace': 'Custom/Pct', 'MetricName': 'Latency'}, 'Period': 60, 'Stat': 'p90'}}])
try:
    cw.get_metric_statistics(Namespace='Custom/Pct', MetricName='Latency', StartTime='${start}', EndTime='${end}', Period=60, ExtendedStatistics=['p200'])
    bad = None
except cw.exceptions.ClientError as e:
    bad = e.response['Error']['Code']
p = s['Datapoints'][0]
print(json.dumps({'count': p['SampleCount'], 'max': p['Maximum'], 'ext': p['ExtendedStatistics'], 'p90': d['MetricDataResults'][0]['Values'], 'bad': bad}))
`);
    expect(out.count).toBe(110);
    expect(out.max).toBe(1000);
    const near = (v: number, want: number) => expect(Math.abs(v - want) / want).toBeLessThan(0.02);
    near(out.ext.p50, 55);
    near(out.ext.p99, 1000);
    expect(out.ext['p99.9']).toBe(1000); // the last rank is the exact maximum
    near(out.p90[0], 99);
    expect(out.bad).toBe('InvalidParameterValue');

    const cli = await aws('cloudwatch', 'get-metric-statistics', '--namespace', 'Custom/Pct', '--metric-name', 'Latency', '--start-time', start,
      '--end-time', end, '--period', '60', '--extended-statistics', 'p50');
    near(cli.Datapoints[0].ExtendedStatistics.p50, 55);

    const q = await fetch(server().url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: 'AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x',
      },
      body: new URLSearchParams({
        Action: 'GetMetricStatistics', Version: '2010-08-01', Namespace: 'Custom/Pct', MetricName: 'Latency', StartTime: start, EndTime: end,
        Period: '60', 'ExtendedStatistics.member.1': 'p99',
      }),
    });
    const xml = await q.text();
    expect(xml, xml).toMatch(/<ExtendedStatistics><entry><key>p99<\/key><value>99\d\.\d+<\/value><\/entry><\/ExtendedStatistics>/);
  });

  it('rejects a bad period with the query-compatible error code', async () => {
    const err = await exec('aws', ['cloudwatch', 'get-metric-statistics', '--namespace', 'X', '--metric-name', 'Y', '--start-time', '2026-01-01T00:00:00Z',
      '--end-time', '2026-01-01T01:00:00Z', '--period', '61', '--statistics', 'Sum', '--endpoint-url', server().url], { env: awsEnv(server().url) }).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toMatch(/InvalidParameterValue/);
  });

  it('answers the JSON 1.0 and query protocols too', async () => {
    const t = Math.floor(Date.now() / 60_000) * 60;
    const json = await fetch(server().url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'GraniteServiceVersion20100801.PutMetricData', 'Content-Type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ Namespace: 'Custom/J', MetricData: [{ MetricName: 'M', Value: 5, Timestamp: t }] }),
    });
    expect(json.status).toBe(200);
    const body = new URLSearchParams({
      Action: 'GetMetricStatistics', Version: '2010-08-01', Namespace: 'Custom/J', MetricName: 'M',
      StartTime: new Date((t - 300) * 1000).toISOString(), EndTime: new Date((t + 300) * 1000).toISOString(), Period: '300', 'Statistics.member.1': 'Sum',
    });
    const q = await fetch(server().url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: 'AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x',
      },
      body,
    });
    const xml = await q.text();
    expect(q.status).toBe(200);
    expect(xml).toContain('<GetMetricStatisticsResult>');
    expect(xml).toMatch(/<Sum>5<\/Sum>/);
  });

  it('serves Prometheus text with process metrics', async () => {
    const r = await fetch(`${server().url}/_slipway/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await r.text()).toMatch(/slipway_process_cpu_user_seconds_total/);
  });
});
