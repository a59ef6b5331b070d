import { decode } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { classifyRawRequest, renderClientError } from './client-error.js';

const raw = (s: string) => Buffer.from(s, 'latin1');
const err = (code: string) => Object.assign(new Error(code), { code });
const split = (b: Buffer) => {
  const end = b.indexOf('\r\n\r\n');
  return { head: b.subarray(0, end).toString('latin1'), body: b.subarray(end + 4) };
};
const scope = (service: string) => `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00\r\n`;

describe('answers to parser-refused requests on the CloudWatch CBOR/query and STS surfaces', () => {
  it('tell CBOR, query and JSON apart as the router does (credential scope first)', () => {
    expect(classifyRawRequest(raw('POST /service/GraniteServiceVersion20100801/operation/PutMetricData HTTP/1.1\r\n\r\n'))).toEqual({ family: 'cbor' });
    expect(classifyRawRequest(raw(`POST / HTTP/1.1\r\n${scope('sts')}\r\n`))).toMatchObject({ family: 'query', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/' });
    expect(classifyRawRequest(raw(`POST / HTTP/1.1\r\n${scope('monitoring')}\r\n`))).toMatchObject({ family: 'query', xmlns: 'http://monitoring.amazonaws.com/doc/2010-08-01/' });
    expect(classifyRawRequest(raw(`POST / HTTP/1.1\r\n${scope('iam')}\r\n`))).toMatchObject({ family: 'query', xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/' });
    expect(classifyRawRequest(raw(`POST / HTTP/1.1\r\n${scope('monitoring')}X-Amz-Target: GraniteServiceVersion20100801.ListMetrics\r\n\r\n`))).toEqual({
      family: 'json',
      target: 'GraniteServiceVersion20100801',
    });
    // Presigned: the scope is in the query string.
    expect(classifyRawRequest(raw('GET /?Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsts%2Faws4_request HTTP/1.1\r\n\r\n'))).toMatchObject({ family: 'query' });
    // An S3 scope wins over a runtime-looking path, as in the router.
    expect(classifyRawRequest(raw(`PUT /endpoints/e/invocations HTTP/1.1\r\n${scope('s3')}\r\n`))).toEqual({ family: 's3' });
  });

  it('answer the query protocol with an <ErrorResponse> and a request id', () => {
    const { head, body } = split(renderClientError(err('HPE_INVALID_CONTENT_LENGTH'), raw(`POST / HTTP/1.1\r\n${scope('sts')}`), 'rid'));
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toContain('x-amzn-RequestId: rid\r\n');
    expect(head).toContain('Content-Type: text/xml\r\n');
    expect(head).toContain(`Content-Length: ${body.length}\r\n`);
    expect(body.toString()).toContain(
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>The Content-Length header is not a valid number of bytes.</Message></Error><RequestId>rid</RequestId></ErrorResponse>',
    );
  });

  it('answer RPC v2 CBOR with a CBOR body, smithy-protocol and x-amzn-query-error', () => {
    const { head, body } = split(renderClientError(err('HPE_HEADER_OVERFLOW'), raw('POST /service/GraniteServiceVersion20100801/operation/ListMetrics HTTP/1.1\r\n'), 'rid'));
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toContain('smithy-protocol: rpc-v2-cbor\r\n');
    expect(head).toContain('x-amzn-query-error: InvalidParameterValue;Sender\r\n');
    expect(head).toContain('x-amzn-RequestId: rid\r\n');
    expect(head).toContain(`Content-Length: ${body.length}\r\n`);
    expect(decode(body)).toEqual({ __type: 'InvalidParameterValue', message: 'The request headers are too large.' });
  });
});
