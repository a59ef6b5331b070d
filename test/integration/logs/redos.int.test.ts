/**
 * Issue #12 item 3: user regexes never stall the server. FilterLogEvents patterns (`%regex%`, JSON
 * and space-delimited patterns, `*` wildcards) and a training job's MetricDefinitions are matched in
 * linear time with CloudWatch's and SageMaker's own limits, while /_slipway/health (measured from
 * another process against a server process) answers within 200 ms throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { monitorHealth, type HealthMonitor } from '../../helpers/health-monitor.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { removeContainersOf, sdkClientConfig } from '../../helpers/server.js';
import { clients, createJob, makeBucket, shellJob, uniq, waitFor } from '../training/helpers.js';

let home: string;
let srv: ServerProcess;
let health: HealthMonitor;
let logs: CloudWatchLogsClient;
const group = '/redos-test';

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'slipway-redos-'));
  srv = await startServerProcess(home);
  // A stalled server (the old engine on these patterns) fails the test instead of hanging it.
  logs = new CloudWatchLogsClient({ ...sdkClientConfig(srv.url), requestHandler: { requestTimeout: 20_000, throwOnRequestTimeout: true } });
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
  const words = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(' ');
  const messages = [`${'a'.repeat(26)}!`, `${'a'.repeat(30)}!`, `${'a'.repeat(100_000)}!`, JSON.stringify({ m: 'a'.repeat(100_000) }), words, 'ERROR 42 boom'];
  await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 's', logEvents: messages.map((message, i) => ({ timestamp: 1_700_000_000_000 + i, message })) }));
  health = monitorHealth(srv.url, { pid: srv.child.pid! });
});

afterAll(async () => {
  await health?.stop();
  // SIGKILL: a server stalled on a regex would never get to its SIGTERM handler.
  await srv?.kill9();
  if (home) {
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  }
});

async function filter(filterPattern: string): Promise<{ messages: string[]; ms: number; error?: string }> {
  const started = performance.now();
  try {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern }));
    return { messages: (r.events ?? []).map((e) => e.message!), ms: performance.now() - started };
  } catch (err) {
    return { messages: [], ms: performance.now() - started, error: (err as Error).name };
  }
}

describe('FilterLogEvents', () => {
  it('refuses %(a+)+$% as CloudWatch does (no parentheses in filter regexes), at once', async () => {
    const r = await filter('%(a+)+$%');
    expect(r.error).toBe('InvalidParameterException');
    expect(r.ms).toBeLessThan(1_000);
  });

  it('answers catastrophic-backtracking patterns over long events promptly', async () => {
    for (const pattern of ['%a*a*a*a*a*a*a*a*a*a*c%', '{ $.m = %a*a*a*a*a*a*a*c% }', '{ $.m = *a*a*a*a*a*a*a*a*c }', '[..., a, ..., b, ..., c, ..., d = nope]']) {
      const r = await filter(pattern);
      expect(r.error, pattern).toBeUndefined();
      expect(r.messages, pattern).toEqual([]);
      expect(r.ms, pattern).toBeLessThan(3_000);
    }
    // And still finds what it should.
    expect((await filter('%ERR[OR]*\\s[0-9]+%')).messages).toEqual(['ERROR 42 boom']);
    expect((await filter('%^a{26}\\W$%')).messages).toEqual([`${'a'.repeat(26)}!`]);
  });
});

describe('MetricDefinitions', () => {
  it('scans container output with (a+)+$ without stalling the server, and refuses lookahead at create', async () => {
    const { s3 } = clients(srv.url);
    const sm = new SageMakerClient({ ...sdkClientConfig(srv.url), requestHandler: { requestTimeout: 20_000, throwOnRequestTimeout: true } });
    const image = await buildFixtureImage('noop');
    const bucket = await makeBucket(s3);
    const name = uniq('redos');
    // (a+)+$ over these takes V8's backtracking engine ~8 s per line.
    const line = `${'a'.repeat(26)}!`;
    await createJob(
      sm,
      shellJob(name, image, bucket, `for i in 1 2 3; do echo ${line}; done; echo 'loss=0.25'`, {
        AlgorithmSpecification: {
          TrainingImage: image,
          TrainingInputMode: 'File',
          ContainerEntrypoint: ['sh', '-c', `for i in 1 2 3; do echo ${line}; done; echo 'loss=0.25'`],
          MetricDefinitions: [
            { Name: 'evil', Regex: '(a+)+$' },
            { Name: 'loss', Regex: 'loss=([0-9.]+)' },
          ],
        },
      }),
    );
    const d = await waitFor(sm, name);
    expect(d.TrainingJobStatus).toBe('Completed');
    expect(d.FinalMetricDataList?.find((m) => m.MetricName === 'loss')?.Value).toBe(0.25);

    const refused = await createJob(
      sm,
      shellJob(uniq('lookahead'), image, bucket, 'true', {
        AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'x', Regex: 'loss(?==)' }] },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(refused?.name).toBe('ValidationException');
  });
});

describe('/_slipway/health', () => {
  it('answered within 200 ms throughout', async () => {
    const report = await health.stop();
    expect(report.polls).toBeGreaterThan(5);
    expect(report.failures).toBe(0);
    // A slow poll while the server's thread was busy is a stall; others are the machine's load (helper).
    expect(report.maxStallMs, JSON.stringify(report.slow)).toBeLessThan(200);
  });
});
