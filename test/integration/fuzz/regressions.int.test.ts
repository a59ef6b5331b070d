/**
 * Regressions for what the fuzz suite found in the protocol and validation layers, one test per
 * finding, independent of the fuzzer's sampling (each failed on the code before its fix).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { encode } from 'cbor-x';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuerySurface } from '../../../src/protocol/query/query-surface.js';
import { createRouter } from '../../../src/server/router.js';
import type { Surfaces } from '../../../src/server/surfaces.js';
import { CLOUDWATCH_SERVICE } from '../../../src/services/cloudwatch/index.js';
import { sdkClientConfig, startTestServer, type TestServer } from '../../helpers/server.js';
import { authorizationFor } from './doc-cases.js';
import { errorCode } from './error-format.js';
import { jsonCall } from './state.js';
import { closeConnections, send, type WireRequest } from './wire.js';

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false });
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

describe('fuzz findings fixed after the hardening merges (S3 members, XML bodies, runtime and parser-level answers)', () => {
  let server: TestServer;
  let base: string;
  const s3 = (method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): WireRequest => ({
    method,
    path,
    headers: { authorization: authorizationFor('s3'), ...headers },
    ...(body !== undefined ? { body: Buffer.isBuffer(body) ? body : Buffer.from(body) } : {}),
  });
  /** [status, code, message] of an S3 answer. */
  const answer = async (r: WireRequest): Promise<[number, string | undefined, string | undefined]> => {
    const res = await send(base, r);
    const doc = xml.parse(res.body.toString('utf8')) as { Error?: { Message?: string } };
    return [res.status, errorCode('rest-xml', res), doc.Error?.Message];
  };
  const status = async (r: WireRequest): Promise<number> => (await send(base, r)).status;

  beforeAll(async () => {
    server = await startTestServer();
    base = server.url;
    expect(await status(s3('PUT', '/fz-members'))).toBe(200);
    expect(await status(s3('PUT', '/fz-members/kept', {}, 'kept'))).toBe(200);
  });

  afterAll(async () => {
    closeConnections();
    await server?.cleanup();
  });

  it('refuses S3 header members outside the model with S3\'s errors and stores nothing (they were accepted and dropped)', async () => {
    const put = (h: Record<string, string>) => s3('PUT', '/fz-members/refused', h, 'x');
    expect(await answer(put({ 'x-amz-storage-class': 'NOPE' }))).toEqual([400, 'InvalidStorageClass', 'The storage class you specified is not valid']);
    expect((await answer(put({ 'x-amz-acl': 'fake-acl' })))[1]).toBe('InvalidArgument');
    expect(await answer(put({ 'x-amz-sdk-checksum-algorithm': 'NOPE' }))).toEqual([400, 'InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.']);
    expect((await answer(put({ 'x-amz-server-side-encryption-bucket-key-enabled': 'maybe' })))[1]).toBe('InvalidArgument');
    expect((await answer(put({ 'x-amz-request-payer': 'nobody' })))[1]).toBe('InvalidArgument');
    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect(await answer(put({ 'x-amz-object-lock-mode': 'BAD', 'x-amz-object-lock-retain-until-date': until }))).toEqual([400, 'InvalidArgument', 'Unknown wormMode directive.']);
    expect(await answer(put({ 'x-amz-object-lock-legal-hold': 'maybe' }))).toEqual([400, 'InvalidArgument', "Legal Hold must be either of 'ON' or 'OFF'"]);
    expect(await answer(put({ 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': until }))).toEqual([400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration']);
    expect((await answer(put({ 'x-amz-write-offset-bytes': '0' })))[0]).toBe(501);
    expect(await status(s3('HEAD', '/fz-members/refused'))).toBe(404);
    const copy = { 'x-amz-copy-source': '/fz-members/kept' };
    expect((await answer(s3('PUT', '/fz-members/copy', { ...copy, 'x-amz-checksum-algorithm': 'NOPE' })))[1]).toBe('InvalidRequest');
    expect(await status(s3('HEAD', '/fz-members/copy'))).toBe(404);
    // Deletes: the bypass header (no bucket here has Object Lock) and directory-bucket conditions.
    expect((await answer(s3('DELETE', '/fz-members/kept', { 'x-amz-bypass-governance-retention': 'true' })))[2]).toBe('x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.');
    expect((await answer(s3('DELETE', '/fz-members/kept', { 'x-amz-if-match-size': 'abc' })))[1]).toBe('InvalidArgument');
    expect((await answer(s3('DELETE', '/fz-members/kept', { 'x-amz-if-match-size': '4' })))[0]).toBe(501);
    expect(await status(s3('HEAD', '/fz-members/kept'))).toBe(200);
    // Reads.
    expect((await answer(s3('GET', '/fz-members/kept', { 'x-amz-checksum-mode': 'maybe' })))[1]).toBe('InvalidArgument');
    expect((await answer(s3('GET', '/fz-members/kept?response-expires=not-a-date')))[1]).toBe('InvalidArgument');
    // CreateBucket: nothing is created.
    expect(await answer(s3('PUT', '/fz-members-owner', { 'x-amz-object-ownership': 'Random' }))).toEqual([400, 'InvalidArgument', 'Invalid x-amz-object-ownership header: Random']);
    expect((await answer(s3('PUT', '/fz-members-lock', { 'x-amz-bucket-object-lock-enabled': 'true' })))[1]).toBe('NotImplemented');
    expect((await answer(s3('PUT', '/fz-members-lock', { 'x-amz-bucket-object-lock-enabled': 'maybe' })))[1]).toBe('InvalidArgument');
    expect([await status(s3('HEAD', '/fz-members-owner')), await status(s3('HEAD', '/fz-members-lock'))]).toEqual([404, 404]);
  });

  it('refuses S3 query members that are not the integers, booleans or dates of the model (they were read as defaults)', async () => {
    expect(await answer(s3('GET', '/fz-members?uploads&max-uploads=abc'))).toEqual([400, 'InvalidArgument', 'Provided max-uploads not an integer or within integer range']);
    expect(await answer(s3('GET', '/fz-members?uploads&max-uploads=-1'))).toEqual([400, 'InvalidArgument', 'Argument max-uploads must be an integer between 0 and 2147483647']);
    expect((await answer(s3('GET', '/fz-members?uploads&encoding-type=nope')))[2]).toBe('Invalid Encoding Method specified in Request');
    expect((await answer(s3('GET', '/fz-members?list-type=2&fetch-owner=maybe')))[1]).toBe('InvalidArgument');
    expect((await answer(s3('GET', '/?max-buckets=0')))[2]).toBe('Argument max-buckets must be an integer between 1 and 10000');
    const init = await send(base, s3('POST', '/fz-members/mpu?uploads'));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString())![1]!;
    expect((await answer(s3('GET', `/fz-members/mpu?uploadId=${uploadId}&max-parts=abc`)))[2]).toBe('Provided max-parts not an integer or within integer range');
    expect((await answer(s3('GET', `/fz-members/mpu?uploadId=${uploadId}&part-number-marker=x`)))[2]).toBe('Provided part-number-marker not an integer or within integer range');
  });

  it('refuses XML bodies with a DTD or bytes that are not UTF-8 with MalformedXML (DeleteObjects expanded entities and deleted)', async () => {
    const dtd = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY k "kept">]><Delete><Object><Key>&k;</Key></Object></Delete>';
    expect((await answer(s3('POST', '/fz-members?delete', {}, dtd)))[1]).toBe('MalformedXML');
    const bad = Buffer.concat([Buffer.from('<Delete><Object><Key>kep'), Buffer.from([0xc3, 0x28]), Buffer.from('</Key></Object></Delete>')]);
    expect((await answer(s3('POST', '/fz-members?delete', {}, bad)))[1]).toBe('MalformedXML');
    expect(await status(s3('HEAD', '/fz-members/kept'))).toBe(200);
  });

  it('reads a CompleteMultipartUpload document before answering a retry of a completed upload (any body got 200)', async () => {
    const init = await send(base, s3('POST', '/fz-members/done?uploads'));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString())![1]!;
    const part = await send(base, s3('PUT', `/fz-members/done?partNumber=1&uploadId=${uploadId}`, {}, 'part one'));
    const doc = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
    expect(await status(s3('POST', `/fz-members/done?uploadId=${uploadId}`, {}, doc))).toBe(200);
    // A retry of the same request still answers as the first did.
    expect(await status(s3('POST', `/fz-members/done?uploadId=${uploadId}`, {}, doc))).toBe(200);
    for (const body of ['this is not xml', '<Wrong/>', '']) {
      expect((await answer(s3('POST', `/fz-members/done?uploadId=${uploadId}`, {}, body)))[1]).toBe('MalformedXML');
    }
    expect((await answer(s3('POST', `/fz-members/done?uploadId=${uploadId}`, { 'x-amz-mp-object-size': 'abc' }, doc)))[1]).toBe('InvalidArgument');
  });

  it("checks InvokeEndpointAsync's string headers against the runtime model before the endpoint (Filename, S3OutputPathExtension were accepted)", async () => {
    const async = (h: Record<string, string>): WireRequest => ({
      method: 'POST',
      path: '/endpoints/fz-no-such-endpoint/async-invocations',
      headers: { 'x-amzn-sagemaker-inputlocation': 's3://fz-members/kept', ...h },
      body: Buffer.alloc(0),
    });
    for (const [h, member] of [
      [{ 'x-amzn-sagemaker-filename': '!@#$%^&*()' }, 'filename'],
      [{ 'x-amzn-sagemaker-s3outputpathextension': 'x'.repeat(513) }, 's3OutputPathExtension'],
      [{ 'x-amzn-sagemaker-accept': 'caf\u00e9' }, 'accept'],
    ] as const) {
      const res = await send(base, async(h));
      expect([res.status, res.headers['x-amzn-errortype']]).toEqual([400, 'ValidationError']);
      expect(JSON.parse(res.body.toString()).message).toContain(`at '${member}'`);
    }
  });

  it('answers what the HTTP parser refuses on the CloudWatch CBOR and query surfaces and STS in their own format (bare 400 before)', async () => {
    const bad = { 'content-length': 'abc' };
    const cw = await send(base, { ...cbor('ListMetrics', {}), headers: { ...cbor('ListMetrics', {}).headers, ...bad } }, { raw: true, fresh: true });
    expect([cw.status, cw.headers['smithy-protocol'], errorCode('cbor', cw)]).toEqual([400, 'rpc-v2-cbor', 'InvalidParameterValue']);
    expect(cw.headers['x-amzn-requestid']).toBeTruthy();
    for (const service of ['sts', 'monitoring']) {
      const q = query(service, 'Action=ListMetrics');
      const res = await send(base, { ...q, headers: { ...q.headers, ...bad } }, { raw: true, fresh: true });
      expect([res.status, errorCode('query', res)]).toEqual([400, 'InvalidParameterValue']);
      expect(res.body.toString()).toContain(`<RequestId>${res.headers['x-amzn-requestid']}</RequestId>`);
    }
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
    const unused = { handle: async () => undefined, renderError: () => undefined };
    const surfaces: Surfaces = {
      slipway: unused,
      sagemaker: unused,
      logs: unused,
      runtime: unused,
      s3: unused,
      website: unused,
      cloudwatch: unused,
      sts,
      iam: unused,
      unknownTarget: unused,
      ecr: unused,
      autoscaling: unused,
      registry: unused,
    };
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
