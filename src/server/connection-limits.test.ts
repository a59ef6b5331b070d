import { describe, expect, it } from 'vitest';
import { connectionLimits, defaultMaxConnections } from '../platform/connection-limits.js';
import { clientKey } from './connection-guard.js';
import { classifyRawRequest, renderClientError } from './client-error.js';

describe('connection limits', () => {
  it('keep client connections to half of what the open-file limit leaves after a reserve', () => {
    expect(defaultMaxConnections(20_000)).toBe(9_000);
    expect(defaultMaxConnections(1_024)).toBe(256);
    expect(defaultMaxConnections(100)).toBe(32);
    expect(defaultMaxConnections(undefined)).toBe(1_792);
  });

  it('read the environment and refuse nonsense', () => {
    const l = connectionLimits({ SLIPWAY_MAX_CONNECTIONS: '500', SLIPWAY_HEADERS_TIMEOUT_MS: '1500', SLIPWAY_IDLE_TIMEOUT_MS: '0' }, 20_000);
    expect(l).toMatchObject({ maxConnections: 500, maxConnectionsPerClient: 500, headersTimeoutMs: 1_500, idleTimeoutMs: 0, bodyTimeoutMs: 20_000 });
    expect(connectionLimits({}, 20_000)).toMatchObject({ maxConnections: 9_000, maxConnectionsPerClient: 1_024 });
    expect(() => connectionLimits({ SLIPWAY_MAX_CONNECTIONS: 'lots' }, 20_000)).toThrow(/SLIPWAY_MAX_CONNECTIONS/);
    expect(() => connectionLimits({ SLIPWAY_BODY_TIMEOUT_MS: '0' }, 20_000)).toThrow(/positive/);
  });

  it('count IPv4 clients by address and IPv6 clients by /64', () => {
    expect(clientKey('127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(undefined)).toBe('?');
  });
});

describe('answers to requests the HTTP parser refuses', () => {
  const raw = (s: string) => Buffer.from(s, 'latin1');
  const err = (code: string) => Object.assign(new Error(code), { code });
  const render = (...args: Parameters<typeof renderClientError>) => renderClientError(...args).toString('latin1');

  it('tell the surface from the request line and headers', () => {
    expect(classifyRawRequest(raw('POST /endpoints/e/invocations HTTP/1.1\r\nContent-Length: x\r\n\r\n'))).toEqual({ family: 'runtime' });
    expect(classifyRawRequest(raw('POST / HTTP/1.1\r\nx-amz-target: Logs_20140328.FilterLogEvents\r\n\r\n'))).toEqual({ family: 'json', target: 'Logs_20140328' });
    expect(classifyRawRequest(raw('PUT /b/k HTTP/1.1\r\nHost: x\r\n\r\n'))).toEqual({ family: 's3' });
    expect(classifyRawRequest(undefined)).toEqual({ family: 's3' });
  });

  it("render each surface's error format and close the connection", () => {
    const rt = render(err('HPE_INVALID_CONTENT_LENGTH'), raw('POST /endpoints/e/invocations HTTP/1.1\r\n'), 'rid');
    expect(rt).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(rt).toContain('X-Amzn-ErrorType: ValidationError\r\n');
    expect(rt).toContain('Connection: close\r\n');
    expect(JSON.parse(rt.split('\r\n\r\n')[1]!)).toEqual({ message: 'The Content-Length header is not a valid number of bytes.', Message: 'The Content-Length header is not a valid number of bytes.' });

    const logs = render(err('HPE_UNEXPECTED_CONTENT_LENGTH'), raw('POST / HTTP/1.1\r\nX-Amz-Target: Logs_20140328.PutLogEvents\r\n'), 'rid');
    expect(JSON.parse(logs.split('\r\n\r\n')[1]!).__type).toBe('InvalidParameterException');
    expect(logs).toContain('Content-Type: application/x-amz-json-1.1');

    const s3 = render(err('HPE_HEADER_OVERFLOW'), raw('GET /b/k HTTP/1.1\r\n'), 'rid');
    expect(s3).toMatch(/^HTTP\/1\.1 400 /);
    expect(s3).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    expect(s3).toContain('<RequestId>rid</RequestId>');

    const sm = render(err('HPE_HEADER_OVERFLOW'), raw('POST / HTTP/1.1\r\nX-Amz-Target: SageMaker.ListModels\r\n'), 'rid');
    expect(sm).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(sm.split('\r\n\r\n')[1]!).__type).toBe('ValidationException');
    // Content-Length matches the body exactly.
    const [head, body] = sm.split('\r\n\r\n');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
  });
});
