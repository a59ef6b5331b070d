/**
 * Multi-model endpoints (issue 16, item 1) with a real server, Docker, boto3 and the example
 * container (`examples/multi-model`, SageMaker's multi-model container API): five models under
 * one prefix, each invoked by TargetModel; models load on first use, the least recently used is
 * unloaded when the per-instance limit is reached or the container answers 507, and an evicted
 * model loads again; a missing model or a missing TargetModel is the caller's ValidationError; the
 * model metrics (ModelCacheHit, LoadedModelCount) count what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateModelCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { ensureBaseImage } from '../../fixtures/images/build.js';
import { until } from '../../helpers/poll.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { clients, deleteAllEndpoints, python, rnd, waitForStatus } from './helpers.js';

const execFileAsync = promisify(execFile);
const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'multi-model');
const IMAGE = 'slipway-example/multi-model:latest';
const BUCKET = 'mme-models';
const MODELS = ['m1.tar.gz', 'm2.tar.gz', 'm3.tar.gz', 'm4.tar.gz', 'sub/m5.tar.gz'];
/** Model i predicts (i+1)·x + i. */
const expected = (i: number, x: number) => (i + 1) * x + i;

let srv: TestServer;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  await ensureBaseImage();
  await execFileAsync('docker', ['build', '-q', '-t', IMAGE, EXAMPLE], { maxBuffer: 16 << 20 });
  process.env.SLIPWAY_MME_MAX_MODELS_PER_INSTANCE = '3';
  try {
    srv = await startTestServer();
  } finally {
    delete process.env.SLIPWAY_MME_MAX_MODELS_PER_INSTANCE;
  }
  c = clients(srv.url);
  await c.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const dir = mkdtempSync(join(tmpdir(), 'slipway-mme-'));
  try {
    for (const [i, key] of MODELS.entries()) {
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ slope: i + 1, intercept: i }));
      const archive = join(dir, `${i}.tar.gz`);
      await execFileAsync('tar', ['-czf', archive, '-C', dir, 'model.json']);
      await c.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `mme/${key}`, Body: readFileSync(archive) }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

afterAll(async () => {
  if (!srv) return;
  await deleteAllEndpoints(c.sm, srv.home);
  await srv.cleanup();
});

/** A multi-model endpoint over s3://mme-models/mme/ made with boto3; `env` goes to the container. */
async function deploy(env: Record<string, string> = {}): Promise<string> {
  const [model, config, endpoint] = [rnd('mme'), rnd('c'), rnd('e')];
  await python(
    srv.url,
    `
import boto3, json
sm = boto3.client("sagemaker")
sm.create_model(ModelName="${model}", ExecutionRoleArn="arn:aws:iam::000000000000:role/slipway",
                PrimaryContainer={"Image": "${IMAGE}", "Mode": "MultiModel", "ModelDataUrl": "s3://${BUCKET}/mme/", "Environment": json.loads('${JSON.stringify(env)}')})
sm.create_endpoint_config(EndpointConfigName="${config}", ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "${model}", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
sm.create_endpoint(EndpointName="${endpoint}", EndpointConfigName="${config}")
`,
  );
  await waitForStatus(c.sm, endpoint, ['InService']);
  return endpoint;
}

async function predict(endpoint: string, target: string, x: number): Promise<{ model: string; prediction: number }> {
  const r = await c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, TargetModel: target, ContentType: 'application/json', Body: JSON.stringify({ x }) }));
  return JSON.parse(Buffer.from(r.Body!).toString()) as { model: string; prediction: number };
}

async function logLines(endpoint: string): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await c.logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/sagemaker/Endpoints/${endpoint}`, ...(nextToken ? { nextToken } : {}) }));
    out.push(...(page.events ?? []).map((e) => e.message ?? ''));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

describe('multi-model endpoints', () => {
  it('serve five models by TargetModel through boto3, unloading the least recently used past the limit and loading it again', async () => {
    const endpoint = await deploy();
    // boto3, as a notebook calls a multi-model endpoint.
    const out = await python(
      srv.url,
      `
import boto3, json
rt = boto3.client("sagemaker-runtime")
res = {}
for m in ${JSON.stringify(MODELS)}:
    r = rt.invoke_endpoint(EndpointName="${endpoint}", TargetModel=m, ContentType="application/json", Body=json.dumps({"x": 10}))
    res[m] = json.loads(r["Body"].read())["prediction"]
print(json.dumps(res))
`,
    );
    expect(JSON.parse(out)).toEqual(Object.fromEntries(MODELS.map((m, i) => [m, expected(i, 10)])));

    // Limit 3: m1 and m2 were unloaded for m4 and m5; m1 loads again and answers the same.
    expect(await predict(endpoint, MODELS[0]!, 2)).toEqual({ model: MODELS[0], prediction: expected(0, 2) });
    // A model still held answers from the cache (no new load line).
    expect((await predict(endpoint, MODELS[4]!, 1)).prediction).toBe(expected(4, 1));
    const loadsIn = (lines: string[], m: string) => lines.filter((l) => l.startsWith('loaded ') && l.endsWith(` for ${m}`)).length;
    // The container's lines reach the log group shortly after it printed them.
    const lines = await until('the reload and the three unloads in the log', async () => {
      const ls = await logLines(endpoint);
      return loadsIn(ls, MODELS[0]!) >= 2 && ls.filter((l) => l.startsWith('unloaded ')).length >= 3 && ls;
    }, { timeoutMs: 20_000 });
    const loads = (m: string) => loadsIn(lines, m);
    expect(loads(MODELS[0]!)).toBe(2);
    expect(loads(MODELS[4]!)).toBe(1);
    expect(lines.filter((l) => l.startsWith('unloaded ')).length).toBe(3);

    // ModelCacheHit: one sample per invocation (7), 1 for the single hit; LoadedModelCount stays at the limit.
    const metrics = JSON.parse(
      await python(
        srv.url,
        `
import boto3, datetime, json
cw = boto3.client("cloudwatch")
now = datetime.datetime.now(datetime.timezone.utc)
def stat(name, s):
    r = cw.get_metric_statistics(Namespace="AWS/SageMaker", MetricName=name, Dimensions=[{"Name": "EndpointName", "Value": "${endpoint}"}, {"Name": "VariantName", "Value": "AllTraffic"}],
                                 StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1), Period=600, Statistics=[s])
    return sum(p[s] for p in r["Datapoints"])
print(json.dumps({"samples": stat("ModelCacheHit", "SampleCount"), "hits": stat("ModelCacheHit", "Sum"), "loaded": stat("LoadedModelCount", "Maximum")}))
`,
      ),
    );
    expect(metrics).toEqual({ samples: 7, hits: 1, loaded: 3 });
  }, 240_000);

  it('unloads the least recently used model when the container answers 507', async () => {
    const endpoint = await deploy({ MAX_MODELS: '2' });
    for (const [i, m] of MODELS.slice(0, 3).entries()) expect((await predict(endpoint, m, 1)).prediction).toBe(expected(i, 1));
    const lines = await until('the 507 and the unload in the log', async () => {
      const ls = await logLines(endpoint);
      return ls.some((l) => /POST \/models HTTP\/1\.1" 507/.test(l)) && ls.some((l) => l.startsWith('unloaded ')) && ls;
    }, { timeoutMs: 20_000 });
    expect(lines.some((l) => /POST \/models HTTP\/1\.1" 507/.test(l)), lines.join('\n')).toBe(true);
    expect(lines.filter((l) => l.startsWith('unloaded ')).length).toBe(1);
  }, 240_000);

  it('answer a missing model or a missing TargetModel with the caller’s ValidationError', async () => {
    const endpoint = await deploy();
    await expect(predict(endpoint, 'nope.tar.gz', 1)).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/Failed to download model data \(s3:\/\/mme-models\/mme\/nope\.tar\.gz\)/) });
    const none = c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'application/json', Body: '{"x": 1}' }));
    await expect(none).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/TargetModel/) });
    // The endpoint keeps serving.
    expect((await predict(endpoint, MODELS[1]!, 3)).prediction).toBe(expected(1, 3));
  }, 240_000);

  it('refuse a MultiModel container whose ModelDataUrl is not a prefix', async () => {
    const made = c.sm.send(
      new CreateModelCommand({
        ModelName: rnd('bad'),
        ExecutionRoleArn: 'arn:aws:iam::000000000000:role/slipway',
        PrimaryContainer: { Image: IMAGE, Mode: 'MultiModel', ModelDataUrl: `s3://${BUCKET}/mme/m1.tar.gz` },
      }),
    );
    await expect(made).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/must be an S3 prefix ending in \//) });
  });
});
