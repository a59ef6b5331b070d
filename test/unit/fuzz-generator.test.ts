import { describe, expect, it } from 'vitest';
import { validateCloudWatchInput } from '../../src/services/cloudwatch/validation.js';
import { validateLogsInput } from '../../src/services/logs/validation.js';
import { validateSageMakerInput } from '../../src/services/sagemaker/validation.js';
import { loadAwsModel } from '../integration/fuzz/aws-model.js';
import { encodeJson, encodeQuery } from '../integration/fuzz/encoders.js';
import { CORAL_UNKNOWN_OPERATION, exactAnswerProblems } from '../integration/fuzz/error-format.js';
import { mutationsOf, sampleMutations } from '../integration/fuzz/mutations.js';
import { Prng } from '../integration/fuzz/prng.js';
import { restMemberMutations, restRequest } from '../integration/fuzz/rest-cases.js';
import { minimalValue, type Doc } from '../integration/fuzz/seed-values.js';

/** The generator of test/integration/fuzz, checked as pure logic (no server). */
const sagemaker = await loadAwsModel('sagemaker');
const logs = await loadAwsModel('logs');
const cloudwatch = await loadAwsModel('cloudwatch');
const runtime = await loadAwsModel('sagemaker-runtime');

const MODEL_SEED: Doc = { ModelName: 'm1', ExecutionRoleArn: 'arn:aws:iam::000000000000:role/r', PrimaryContainer: { Image: 'img:latest', Environment: { A: 'b' } } };

describe('fuzz generator', () => {
  it('is deterministic: the same seed gives the same cases, another seed another sample', () => {
    const run = (seed: number) => {
      const prng = Prng.forLabel(seed, 'sagemaker/CreateModel');
      return sampleMutations(mutationsOf(sagemaker, 'CreateModelInput', MODEL_SEED), 30, prng).map((m) => `${m.kind} ${m.where} ${JSON.stringify(m.doc)}`);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('makes minimal seeds the model itself accepts, for every operation Slipway routes on JSON 1.x', () => {
    for (const op of ['ListTrainingJobs', 'DescribeModel', 'DeleteEndpoint', 'AddTags']) {
      const r = validateSageMakerInput(op, minimalValue(sagemaker, sagemaker.operations[op]!.input!.shape));
      expect([op, r.violations, r.serializationError]).toEqual([op, [], undefined]);
    }
    for (const op of ['CreateLogGroup', 'PutLogEvents', 'GetLogEvents']) {
      expect(validateLogsInput(op, minimalValue(logs, logs.operations[op]!.input!.shape)).violations).toEqual([]);
    }
  });

  it("marks as 'reject' only mutations the model validator refuses (the generator and the model agree)", () => {
    const cases: [string, (op: string, input: unknown) => { violations: string[]; serializationError?: string }, Doc, typeof sagemaker][] = [
      ['CreateModel', validateSageMakerInput, MODEL_SEED, sagemaker],
      ['PutLogEvents', validateLogsInput, { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: 1, message: 'x' }] }, logs],
      ['PutMetricData', validateCloudWatchInput, { Namespace: 'N', MetricData: [{ MetricName: 'm', Value: 1, Dimensions: [{ Name: 'd', Value: 'v' }] }] }, cloudwatch],
    ];
    for (const [op, validate, seed, model] of cases) {
      const all = mutationsOf(model, model.operations[op]!.input!.shape, seed);
      const kinds = new Set(all.map((m) => m.kind));
      expect(kinds.size, op).toBeGreaterThanOrEqual(6);
      for (const m of all.filter((x) => x.expect === 'reject')) {
        // JSON text, as the wire carries it (1e400 becomes Infinity there).
        const parsed = JSON.parse(encodeJson(m.doc).toString().replace(/\b1e400\b/g, '"__inf__"'), (_k, v) => (v === '__inf__' ? Infinity : v));
        const r = validate(op, parsed);
        expect(r.violations.length > 0 || r.serializationError !== undefined, `${op} ${m.kind} at ${m.where} (${m.detail}) passed validation`).toBe(true);
      }
    }
  });

  it('encodes query lists as member.N and leaves a key conflict to the server', () => {
    const body = encodeQuery(cloudwatch, 'PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'm', Value: 2, Dimensions: [{ Name: 'd', Value: 'v' }] }] }).toString();
    expect(decodeURIComponent(body)).toBe('Action=PutMetricData&Version=2010-08-01&Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value=2&MetricData.member.1.Dimensions.member.1.Name=d&MetricData.member.1.Dimensions.member.1.Value=v');
  });

  it('lays REST members out by their model location: URI labels, headers, query string, payload', async () => {
    const s3 = await loadAwsModel('s3');
    const put = restRequest(s3, 'PutObject', { Bucket: 'b', Key: 'a/b c', StorageClass: 'STANDARD', Body: Buffer.from('hi').toString('base64') });
    expect([put.method, put.path, put.headers['x-amz-storage-class'], put.body?.toString()]).toEqual(['PUT', '/b/a/b%20c', 'STANDARD', 'hi']);
    const list = restRequest(s3, 'ListObjectsV2', { Bucket: 'b', MaxKeys: 5, Prefix: 'p/' });
    expect(list.path).toBe('/b?list-type=2&max-keys=5&prefix=p%2F');
    const done = restRequest(s3, 'CompleteMultipartUpload', { Bucket: 'b', Key: 'k', UploadId: 'u', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e"' }] } });
    expect(done.body?.toString()).toContain('<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part></CompleteMultipartUpload>');
  });

  it("accepts exactly Coral's 404 for a wrong JSON Content-Type, not a JSON error or another status", () => {
    const res = (status: number, body: string, headers: Record<string, string>) => ({ status, body: Buffer.from(body), headers, ms: 1 });
    const coral = { 'x-amzn-requestid': 'r', 'x-amzn-errortype': 'UnknownOperationException' };
    expect(exactAnswerProblems('json', CORAL_UNKNOWN_OPERATION, res(404, '<UnknownOperationException/>\n', coral))).toEqual([]);
    const json = res(400, '{"__type":"UnknownOperationException","message":"x"}', { ...coral, 'content-type': 'application/x-amz-json-1.1' });
    expect(exactAnswerProblems('json', CORAL_UNKNOWN_OPERATION, json)).toHaveLength(2);
    expect(exactAnswerProblems('json', CORAL_UNKNOWN_OPERATION, res(404, '<UnknownOperationException/>\n', { 'x-amzn-errortype': 'UnknownOperationException' }))).toEqual([
      'no x-amzn-requestid header',
    ]);
  });

  it('mutates a header pattern only with junk that still breaks it once the field value is trimmed', () => {
    const patterns = restMemberMutations(runtime, 'InvokeEndpoint', { EndpointName: 'ep', Body: 'eA==' }, Prng.forLabel(1, 'runtime')).filter((m) => m.kind === 'pattern');
    expect(patterns.map((m) => m.where)).toContain('InferenceId');
    for (const m of patterns) {
      const junk = String((m.doc as Record<string, Doc>)[m.where]);
      expect(junk, m.where).toBe(junk.trim());
    }
  });
});
