/**
 * Regressions for what the fuzz suite found in the protocol and validation layers, one test per
 * finding, independent of the fuzzer's sampling (each failed on the code before its fix).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { encode } from 'cbor-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuerySurface } from '../../../src/protocol/query/query-surface.js';
import { createRouter, type Surfaces } from '../../../src/server/router.js';
import { CLOUDWATCH_SERVICE } from '../../../src/services/cloudwatch/index.js';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';
import { authorizationFor } from './doc-cases.js';
import { errorCode } from './error-format.js';
import { jsonCall } from './state.js';
import { closeConnections, send, type WireRequest } from './wire.js';

const json = (target: string, body: string | Buffer, version = '1.1'): WireRequest => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target },
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
});
const query = (service: string, form: string): WireRequest => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorizationFor(service) },
  body: Buffer.from(form),
});
const cbor = (op: string, body: unknown): WireRequest => ({
  method: 'POST',
  path: `/service/${CLOUDWATCH_SERVICE}/operation/${op}`,
  headers: { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
  body: Buffer.isBuffer(body) ? body : Buffer.from(encode(body)),
});

describe('fuzz findings in the protocol and validation layers', () => {
  let server: TestServer;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer();
    base = server.url;
  });

  afterAll(async () => {
    closeConnections();
    await server?.cleanup();
  });

  it('ignores a deeply nested unknown member instead of storing it (CreateModel answered 500) and never echoes unknown members', async () => {
    const body = `{"FuzzUnknown":${'['.repeat(20_000)}${']'.repeat(20_000)},"ModelName":"fz-deep","ExecutionRoleArn":"arn:aws:iam::000000000000:role/r","PrimaryContainer":{"Image":"img:latest","Extra":1}}`;
    const res = await send(base, json('SageMaker.CreateModel', body));
    expect(res.status, res.body.toString()).toBe(200);
    const d = await jsonCall(base, 'SageMaker.DescribeModel', { ModelName: 'fz-deep' });
    expect(d.status).toBe(200);
    expect(d.body.FuzzUnknown).toBeUndefined();
    expect(d.body.PrimaryContainer).toEqual({ Image: 'img:latest' });
  });

  it('refuses a JSON body that is not UTF-8 with SerializationException and creates nothing (it was stored with U+FFFD)', async () => {
    const body = Buffer.concat([Buffer.from('{"ModelName":"fz-utf8","ExecutionRoleArn":"arn:aws:iam::000000000000:role/r","PrimaryContainer":{"Image":"img'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    const res = await send(base, json('SageMaker.CreateModel', body));
    expect(res.status).toBe(400);
    expect(errorCode('json', res)).toBe('SerializationException');
    expect((await jsonCall(base, 'SageMaker.DescribeModel', { ModelName: 'fz-utf8' })).status).toBe(400);
  });

  it('answers CloudWatch input of the wrong type with a typed 400 on every protocol (it was a 500 InternalFailure)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stats = { Namespace: 'Fuzz', MetricName: 'm', StartTime: now - 600, EndTime: now, Period: 60, Statistics: ['Sum'], Dimensions: 'not-a-list' };
    const viaJson = await send(base, json(`${CLOUDWATCH_SERVICE}.GetMetricStatistics`, JSON.stringify(stats), '1.0'));
    expect([viaJson.status, errorCode('json', viaJson)]).toEqual([400, 'SerializationException']);
    const viaCbor = await send(base, cbor('PutMetricData', { Namespace: 'Fuzz', MetricData: [null] }));
    expect([viaCbor.status, errorCode('cbor', viaCbor)]).toEqual([400, 'MissingParameter']);
    const viaQuery = await send(base, query('monitoring', 'Action=ListMetrics&Version=2010-08-01&Dimensions=abc'));
    expect([viaQuery.status, errorCode('query', viaQuery)]).toEqual([400, 'InvalidParameterValue']);
  });

  it('refuses CloudWatch input outside the model and records nothing (a 256-character namespace was stored)', async () => {
    const ns = `Fuzz${'n'.repeat(252)}`;
    const res = await send(base, cbor('PutMetricData', { Namespace: ns, MetricData: [{ MetricName: 'm', Value: 1 }] }));
    expect([res.status, errorCode('cbor', res)]).toEqual([400, 'InvalidParameterValue']);
    expect(res.headers['x-amzn-query-error']).toBe('InvalidParameterValue;Sender');
    const missing = await send(base, query('monitoring', 'Action=PutMetricData&Version=2010-08-01&MetricData.member.1.Value=1'));
    expect([missing.status, errorCode('query', missing)]).toEqual([400, 'MissingParameter']);
    const listed = await jsonCall(base, `${CLOUDWATCH_SERVICE}.ListMetrics`, { Namespace: ns }, '1.0');
    expect(listed.body.Metrics ?? []).toEqual([]);
  });

  it('keeps __proto__ and constructor.prototype query keys away from Object.prototype (they polluted the whole process)', async () => {
    for (const form of ['__proto__.fuzzPolluted=1', 'constructor.prototype.fuzzPolluted=1']) {
      const res = await send(base, query('sts', `Action=GetCallerIdentity&Version=2011-06-15&${form}`));
      expect(res.status).toBe(200);
      expect(Object.hasOwn(Object.prototype, 'fuzzPolluted')).toBe(false);
      delete (Object.prototype as Record<string, unknown>).fuzzPolluted;
    }
  });

  it('refuses a query name given both as a value and with members with MalformedQueryString (it was a 500), and text that is not UTF-8', async () => {
    const conflict = await send(base, query('monitoring', 'Action=ListMetrics&Version=2010-08-01&Namespace=a&Namespace.X=b'));
    expect([conflict.status, errorCode('query', conflict)]).toEqual([400, 'MalformedQueryString']);
    const bad = await send(base, query('sts', 'Action=GetCallerIdentity&Version=2011-06-15&X=%C3%28'));
    expect([bad.status, errorCode('query', bad)]).toEqual([400, 'MalformedQueryString']);
  });

  it('decodes XML character references, so the JS SDK deletes a key with a line break (it reported the key deleted and kept it)', async () => {
    const s3 = new S3Client({ ...sdkClientConfig(base), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'fz-charref' }));
    await s3.send(new PutObjectCommand({ Bucket: 'fz-charref', Key: 'line\nbreak\r"q"', Body: 'x' }));
    // The SDK writes the key as `line&#x0A;break&#x0D;&quot;q&quot;`.
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: 'fz-charref', Delete: { Objects: [{ Key: 'line\nbreak\r"q"' }] } }));
    expect(r.Deleted?.map((d) => d.Key)).toEqual(['line\nbreak\r"q"']);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'fz-charref' }))).Contents ?? []).toEqual([]);
  });

  it('refuses a CBOR text string that is not UTF-8 with SerializationException (it was stored with U+FFFD)', async () => {
    const body = Buffer.from(encode({ Namespace: 'Fuzz/\u00fe', MetricData: [{ MetricName: 'm', Value: 1 }] }));
    body[body.indexOf(Buffer.from('\u00fe')) + 1] = 0x28;
    const res = await send(base, cbor('PutMetricData', body));
    expect([res.status, errorCode('cbor', res)]).toEqual([400, 'SerializationException']);
  });
});

describe('query surface after a handler bug', () => {
  let http: Server;
  let url: string;

  beforeAll(async () => {
    const sts = createQuerySurface({
      operations: { Boom: () => { throw new Error('a bug'); }, Fine: () => ({ Ok: 'yes' }) },
      xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
      numericMembers: new Set(),
    });
    const unused = async () => undefined;
    const surfaces: Surfaces = { slipway: unused, sagemaker: unused, logs: unused, runtime: unused, s3: unused, cloudwatch: unused, sts, iam: unused, unknownTarget: unused };
    http = createServer(createRouter(surfaces));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    closeConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('answers InternalFailure and keeps the keep-alive connection for the next request (it was destroyed)', async () => {
    const boom = await send(url, query('sts', 'Action=Boom'));
    expect([boom.status, errorCode('query', boom)]).toEqual([500, 'InternalFailure']);
    // Same agent, same socket: the next request must get its answer, not "socket hang up".
    const fine = await send(url, query('sts', 'Action=Fine'));
    expect(fine.status).toBe(200);
  });
});
