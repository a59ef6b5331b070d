/**
 * Fuzz suite, through the real clients: a seeded sample of the model-driven mutations that SDKs
 * send as they are (lengths, patterns, enums, ranges, list sizes, missing members), sent with the
 * AWS SDK for JavaScript v3 and with boto3 (parameter validation off, no retries). Each must come
 * back as the client's typed service error for a 4xx, with a request id: proof that what the wire
 * checks call "typed" is what real clients understand, over JSON 1.1, RPC v2 CBOR (boto3 reads the
 * query-compatible code from x-amzn-query-error) and REST-XML.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudWatchLogsClient, CreateLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelCommand, ListTrainingJobsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';
import { loadAwsModel, type ServiceName } from './aws-model.js';
import { replaceToken, tokenFor, TOKEN } from './doc-cases.js';
import { mutationsOf, type Mutation } from './mutations.js';
import { fuzzSeed, Prng } from './prng.js';
import type { Doc } from './seed-values.js';

const execFileAsync = promisify(execFile);
const seed = fuzzSeed();

/** Kinds an SDK serialises exactly as given (no client-side checks in JS v3, none in boto3 with validation off). */
const VERBATIM = /^(too-long|too-short|pattern|enum|below-min|above-max|list-too-long|list-too-short|drop-required)$/;

interface SdkCase {
  service: ServiceName;
  op: string;
  params: Doc;
  what: string;
  /** Codes a typed refusal may carry for this service. */
  codes: string[];
}

async function sample(service: ServiceName, op: string, seedDoc: Doc, n: number, codes: string[], base: number): Promise<SdkCase[]> {
  const model = await loadAwsModel(service);
  const prng = Prng.forLabel(seed, `sdk/${service}/${op}`);
  const all = mutationsOf(model, model.operations[op]!.input!.shape, seedDoc).filter((m: Mutation) => m.expect === 'reject' && VERBATIM.test(m.kind));
  return prng
    .shuffle(all)
    .slice(0, n)
    .map((m, i) => ({ service, op, params: replaceToken(m.doc, tokenFor(base + i)), what: `${m.kind} at ${m.where} (${m.detail})`, codes }));
}

const ROLE = 'arn:aws:iam::000000000000:role/fuzz';
const SM_CODES = ['ValidationException', 'SerializationException'];
const LOGS_CODES = ['InvalidParameterException', 'SerializationException'];
const CW_CODES = ['InvalidParameterValue', 'MissingParameter'];

describe('fuzz through the real clients (JS SDK v3, boto3)', () => {
  let server: TestServer;
  let cases: SdkCase[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const now = Math.floor(Date.now() / 1000);
    cases = [
      ...(await sample('sagemaker', 'CreateModel', { ModelName: TOKEN, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: 'img:latest' } }, 8, SM_CODES, 1000)),
      ...(await sample('sagemaker', 'ListTrainingJobs', { MaxResults: 10, SortBy: 'Name' }, 6, SM_CODES, 2000)),
      ...(await sample('logs', 'CreateLogGroup', { logGroupName: `/fuzz/${TOKEN}` }, 6, LOGS_CODES, 3000)),
      ...(await sample('logs', 'PutRetentionPolicy', { logGroupName: '/fuzz/none', retentionInDays: 1 }, 4, [...LOGS_CODES, 'ResourceNotFoundException'], 4000)),
      ...(await sample('cloudwatch', 'PutMetricData', { Namespace: `Fuzz/${TOKEN}`, MetricData: [{ MetricName: 'm', Value: 1 }] }, 8, CW_CODES, 5000)),
      ...(await sample('cloudwatch', 'GetMetricStatistics', { Namespace: 'Fuzz', MetricName: 'm', StartTime: now - 600, EndTime: now, Period: 60, Statistics: ['Sum'] }, 8, CW_CODES, 6000)),
    ];
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it('JS SDK v3: every refusal is the typed exception of the code, a 4xx with a request id', async () => {
    const sm = new SageMakerClient({ ...sdkClientConfig(server.url), maxAttempts: 1 });
    const logs = new CloudWatchLogsClient({ ...sdkClientConfig(server.url), maxAttempts: 1 });
    const s3 = new S3Client({ ...sdkClientConfig(server.url), forcePathStyle: true, maxAttempts: 1 });
    const commands: Record<string, (p: never) => Promise<unknown>> = {
      'sagemaker/CreateModel': (p) => sm.send(new CreateModelCommand(p)),
      'sagemaker/ListTrainingJobs': (p) => sm.send(new ListTrainingJobsCommand(p)),
      'logs/CreateLogGroup': (p) => logs.send(new CreateLogGroupCommand(p)),
      'logs/PutRetentionPolicy': (p) => logs.send(new PutRetentionPolicyCommand(p)),
    };
    const jsCases: SdkCase[] = [
      ...cases.filter((c) => commands[`${c.service}/${c.op}`]),
      { service: 's3', op: 'PutObject', params: { Bucket: 'fzsdk', Key: 'k'.repeat(1025), Body: 'x' }, what: '1025-byte key', codes: ['KeyTooLongError', 'NoSuchBucket'] },
    ];
    commands['s3/PutObject'] = (p) => s3.send(new PutObjectCommand(p));
    await s3.send(new CreateBucketCommand({ Bucket: 'fzsdk' }));
    const failures: string[] = [];
    for (const c of jsCases) {
      try {
        await commands[`${c.service}/${c.op}`]!(c.params as never);
        failures.push(`${c.op} ${c.what}: accepted`);
      } catch (err) {
        const e = err as { name?: string; $fault?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
        const status = e.$metadata?.httpStatusCode ?? 0;
        if (!c.codes.includes(e.name ?? '') || e.$fault !== 'client' || status < 400 || status >= 500 || !e.$metadata?.requestId) {
          failures.push(`${c.op} ${c.what}: ${e.name} (${status}, fault ${e.$fault}, request id ${e.$metadata?.requestId}) ${String(err).slice(0, 160)}`);
        }
      }
    }
    expect(jsCases.length).toBeGreaterThan(20);
    expect(failures, `replay with SLIPWAY_FUZZ_SEED=${seed}`).toEqual([]);
  });

  it('boto3: every refusal is a ClientError with the code, a 4xx status and a request id (CloudWatch over CBOR included)', async () => {
    const script = `
import json, sys, boto3, botocore
from botocore.config import Config
from botocore.exceptions import ClientError
cfg = Config(parameter_validation=False, retries={'max_attempts': 1, 'mode': 'standard'})
clients = {}
out = []
for c in json.load(sys.stdin):
    svc = c['service']
    client = clients.setdefault(svc, boto3.client(svc, config=cfg))
    method = getattr(client, botocore.xform_name(c['op']))
    try:
        method(**c['params'])
        out.append({'ok': True})
    except ClientError as e:
        meta = e.response.get('ResponseMetadata', {})
        out.append({'code': e.response['Error'].get('Code'), 'status': meta.get('HTTPStatusCode'), 'requestId': meta.get('RequestId'), 'message': e.response['Error'].get('Message', '')})
    except Exception as e:
        out.append({'other': type(e).__name__ + ': ' + str(e)[:200]})
print(json.dumps(out))
`;
    const pyCases = [
      ...cases,
      { service: 's3' as ServiceName, op: 'PutObject', params: { Bucket: 'fzsdk', Key: 'k'.repeat(1025), Body: 'x' }, what: '1025-byte key', codes: ['KeyTooLongError', 'NoSuchBucket'] },
    ];
    const child = execFileAsync('python3', ['-c', script], { env: awsEnv(server.url), maxBuffer: 16 << 20, timeout: 120_000 });
    child.child.stdin!.end(JSON.stringify(pyCases.map(({ service, op, params }) => ({ service, op, params }))));
    const results = JSON.parse((await child).stdout) as { ok?: true; code?: string; status?: number; requestId?: string; other?: string }[];
    const failures = pyCases.flatMap((c, i) => {
      const r = results[i]!;
      if (r.ok) return [`${c.service} ${c.op} ${c.what}: accepted`];
      if (r.other) return [`${c.service} ${c.op} ${c.what}: ${r.other}`];
      const ok = c.codes.includes(r.code ?? '') && (r.status ?? 0) >= 400 && (r.status ?? 0) < 500 && !!r.requestId;
      return ok ? [] : [`${c.service} ${c.op} ${c.what}: ${r.code} ${r.status} request id ${r.requestId}`];
    });
    expect(pyCases.length).toBeGreaterThan(30);
    expect(failures, `replay with SLIPWAY_FUZZ_SEED=${seed}`).toEqual([]);
  });
});
