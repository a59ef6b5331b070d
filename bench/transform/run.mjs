#!/usr/bin/env node
// bench/transform — batch transform throughput (records/s) through Slipway vs the limit: a client
// sending the very same MultiRecord batches straight to the model container's published port.
//   model     examples/decision-trees (scikit-learn behind nginx + gunicorn), trained via Slipway
//   input     --lines CSV rows (default 200,000, ~9 MB), one object
//   settings  MaxPayloadInMB=1, MaxConcurrentTransforms=--concurrency (default 2), SplitType Line
//   slipway   records / the object's transform time from the job's data-log line (container
//             start-up excluded, as it is not per-record work)
//   direct    the same batches, same concurrency, responses kept in order, one keep-alive pool
// Rounds alternate (slipway, direct) so other load on the host hits both alike; medians are reported.
// Needs a built server (npm run build:server) and the base image. Results: bench/results/transform.json.
// Usage: node bench/transform/run.mjs [--lines 200000] [--concurrency 2] [--rounds 5]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import {
  SageMakerClient,
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  CreateModelCommand,
  CreateTransformJobCommand,
  DescribeTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import { startSlipway } from '../../dist/server/app.js';
import { numArg as arg, sleep } from '../common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const LINES = arg('--lines', 200_000);
const CONCURRENCY = arg('--concurrency', 2);
const ROUNDS = arg('--rounds', 5);
const MAX_PAYLOAD = 1024 * 1024;
const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function csv() {
  const bases = [[5.1, 3.5, 1.4, 0.2], [6.0, 2.9, 4.5, 1.5], [6.9, 3.1, 5.8, 2.3]];
  let seed = 7;
  const rows = [];
  for (let i = 0; i < LINES; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    rows.push(bases[seed % 3].map((v) => v.toFixed(9)).join(','));
  }
  return Buffer.from(rows.join('\n') + '\n');
}

/** MultiRecord packing exactly as Slipway does it: whole lines, each with its '\n', up to MAX_PAYLOAD. */
function batches(body) {
  const out = [];
  let start = 0;
  let pos = 0;
  while (pos < body.length) {
    const nl = body.indexOf(10, pos);
    const end = nl + 1;
    if (end - start > MAX_PAYLOAD) {
      out.push(body.subarray(start, pos));
      start = pos;
    }
    pos = end;
  }
  if (pos > start) out.push(body.subarray(start, pos));
  return out;
}

async function until(fn, what, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function direct(modelDir, body) {
  const name = `slipway-bench-transform-${process.pid}`;
  execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  execFileSync('docker', ['run', '-d', '--name', name, '-p', '127.0.0.1::8080', '-v', `${modelDir}:/opt/ml/model:ro`, 'decision-trees:latest', 'serve'], { stdio: 'ignore' });
  try {
    const port = execFileSync('docker', ['port', name, '8080/tcp'], { encoding: 'utf8' }).trim().split(':').pop();
    const origin = `http://127.0.0.1:${port}`;
    await until(async () => (await fetch(`${origin}/ping`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 200, 'direct /ping');
    const pool = new Pool(origin, { connections: CONCURRENCY });
    const list = batches(body);
    const send = async (b) => {
      const r = await pool.request({ path: '/invocations', method: 'POST', headers: { 'content-type': 'text/csv', accept: 'text/csv' }, body: b });
      const data = Buffer.from(await r.body.arrayBuffer());
      if (r.statusCode !== 200) throw new Error(`direct: ${r.statusCode} ${data}`);
      return data;
    };
    // No extra warm-up: /ping loaded the model in one worker, as it did for Slipway's instance.
    const t0 = performance.now();
    const window = [];
    const results = [];
    for (const b of list) {
      window.push(send(b));
      if (window.length >= CONCURRENCY) results.push(await window.shift());
    }
    while (window.length) results.push(await window.shift());
    const ms = performance.now() - t0;
    await pool.close();
    const lines = Buffer.concat(results).toString().trimEnd().split('\n').length;
    if (lines !== LINES) throw new Error(`direct: ${lines} predictions for ${LINES} lines`);
    return { ms, requests: list.length };
  } finally {
    execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  }
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-transform-'));
  const srv = await startSlipway({ home, port: 0, host: '127.0.0.1' });
  const cfg = { endpoint: srv.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });
  const sm = new SageMakerClient(cfg);
  const bucket = 'bench-transform';
  const work = mkdtempSync(join(tmpdir(), 'slipway-bench-model-'));
  try {
    execFileSync('docker', ['build', '-q', '-t', 'decision-trees:latest', join(ROOT, 'examples/decision-trees')], { stdio: 'ignore' });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'train/iris.csv', Body: readFileSync(join(ROOT, 'examples/decision-trees/data/iris.csv')) }));
    await sm.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'bench-train',
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: 'decision-trees:latest', TrainingInputMode: 'File' },
        InputDataConfig: [{ ChannelName: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/train` } } }],
        OutputDataConfig: { S3OutputPath: `s3://${bucket}/model` },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
      }),
    );
    const trained = await until(async () => {
      const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: 'bench-train' }));
      if (d.TrainingJobStatus === 'Failed') throw new Error(d.FailureReason);
      return d.TrainingJobStatus === 'Completed' && d;
    }, 'training');
    const modelUri = trained.ModelArtifacts.S3ModelArtifacts;
    const tgz = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: modelUri.replace(`s3://${bucket}/`, '') }))).Body.transformToByteArray());
    const modelDir = join(work, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(work, 'model.tar.gz'), tgz);
    execFileSync('tar', ['xzf', join(work, 'model.tar.gz'), '-C', modelDir]);
    await sm.send(new CreateModelCommand({ ModelName: 'bench-model', ExecutionRoleArn: ROLE, PrimaryContainer: { Image: 'decision-trees:latest', ModelDataUrl: modelUri } }));

    const body = csv();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/rows.csv', Body: body }));
    const rounds = { slipway: [], direct: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const job = `bench-transform-${r}`;
      await sm.send(
        new CreateTransformJobCommand({
          TransformJobName: job,
          ModelName: 'bench-model',
          MaxConcurrentTransforms: CONCURRENCY,
          MaxPayloadInMB: 1,
          BatchStrategy: 'MultiRecord',
          TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/in/` } }, ContentType: 'text/csv', SplitType: 'Line' },
          TransformOutput: { S3OutputPath: `s3://${bucket}/out/${job}`, Accept: 'text/csv', AssembleWith: 'Line' },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        }),
      );
      const d = await until(async () => {
        const x = await sm.send(new DescribeTransformJobCommand({ TransformJobName: job }));
        if (x.TransformJobStatus === 'Failed') throw new Error(x.FailureReason);
        return x.TransformJobStatus === 'Completed' && x;
      }, 'transform');
      const logLine = await dataLogLine(srv.url, job);
      const m = /: (\d+) record\(s\) in (\d+) request\(s\), (\d+) ms/.exec(logLine);
      if (!m || Number(m[1]) !== LINES) throw new Error(`unexpected data-log line: ${logLine}`);
      rounds.slipway.push({ ms: Number(m[3]), requests: Number(m[2]), wallSeconds: d.TransformEndTime.getTime() / 1000 - d.TransformStartTime.getTime() / 1000 });
      rounds.direct.push(await direct(modelDir, body));
      console.log(`round ${r + 1}: slipway ${m[3]} ms, direct ${Math.round(rounds.direct.at(-1).ms)} ms`);
    }
    const rps = (xs) => median(xs.map((x) => LINES / (x.ms / 1000)));
    const result = {
      date: new Date().toISOString(),
      lines: LINES,
      bytes: body.length,
      maxPayloadInMB: 1,
      maxConcurrentTransforms: CONCURRENCY,
      requestsPerRun: rounds.direct[0].requests,
      slipwayRecordsPerSecond: Math.round(rps(rounds.slipway)),
      directRecordsPerSecond: Math.round(rps(rounds.direct)),
      ratio: Number((rps(rounds.slipway) / rps(rounds.direct)).toFixed(3)),
      slipwayJobWallSecondsMedian: median(rounds.slipway.map((x) => x.wallSeconds)),
      rounds,
      note: 'slipway time = the data-log per-object transform time (excludes container start-up); direct = same batches from a Node client to the published port',
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/transform.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify({ slipway: result.slipwayRecordsPerSecond, direct: result.directRecordsPerSecond, ratio: result.ratio }));
  } finally {
    await srv.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

async function dataLogLine(url, job) {
  const { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const logs = new CloudWatchLogsClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const group = '/aws/sagemaker/TransformJobs';
  const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: `${job}/` }))).logStreams ?? [];
  const dl = streams.find((s) => s.logStreamName.endsWith('/data-log'));
  const ev = (await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: dl.logStreamName, startFromHead: true }))).events ?? [];
  return ev.map((e) => e.message).find((m) => / record\(s\) in /.test(m)) ?? '';
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
