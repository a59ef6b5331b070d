/**
 * Hosting acceptance 7 and the browser path: InvokeEndpointWithResponseStream relays the
 * container's chunks as AWS event-stream PayloadPart events that boto3's EventStream reads as they
 * are sent; CORS preflight and headers on the invocation path.
 */
import { describe, expect, it } from 'vitest';
import { InvokeEndpointWithResponseStreamCommand } from '@aws-sdk/client-sagemaker-runtime';
import { python, useHostingServer } from './helpers.js';

const h = useHostingServer({ env: { FIXTURE_QUIET: '1' } });

describe('InvokeEndpointWithResponseStream', () => {
  it('delivers each container chunk to boto3 as a PayloadPart when it is sent', async () => {
    const out = await python(
      h.server.url,
      `
import boto3, json, time
rt = boto3.client('sagemaker-runtime')
t0 = time.time()
r = rt.invoke_endpoint_with_response_stream(EndpointName='${h.endpoint}', Body=json.dumps({"chunks": 4, "delay": 0.4}),
                                            ContentType='application/x-stream', CustomAttributes='s=1')
parts = []
for event in r['Body']:
    parts.append({"bytes": event['PayloadPart']['Bytes'].decode(), "t": time.time() - t0})
print(json.dumps({"parts": parts, "ct": r['ContentType'], "variant": r['InvokedProductionVariant'], "attrs": r.get('CustomAttributes')}))
`,
    );
    const r = JSON.parse(out);
    expect(r.parts.map((p: { bytes: string }) => p.bytes)).toEqual(['part-0\n', 'part-1\n', 'part-2\n', 'part-3\n']);
    expect(r.ct).toBe('text/plain');
    expect(r.variant).toBe('AllTraffic');
    expect(r.attrs).toBe('s=1');
    // Streamed, not buffered: the parts arrive about 0.4 s apart.
    const gaps = r.parts.slice(1).map((p: { t: number }, i: number) => p.t - r.parts[i].t);
    for (const g of gaps) expect(g).toBeGreaterThan(0.25);
  });

  it('is readable by the JS SDK event stream too', async () => {
    const r = await h.c.rt.send(
      new InvokeEndpointWithResponseStreamCommand({ EndpointName: h.endpoint, Body: Buffer.from('{"chunks": 3, "delay": 0.05}'), ContentType: 'application/x-stream' }),
    );
    const parts: string[] = [];
    for await (const ev of r.Body!) if (ev.PayloadPart?.Bytes) parts.push(Buffer.from(ev.PayloadPart.Bytes).toString());
    expect(parts.join('')).toBe('part-0\npart-1\npart-2\n');
  });

  it('answers a container error before streaming as an ordinary ModelError', async () => {
    const out = await python(
      h.server.url,
      `
import boto3, json
rt = boto3.client('sagemaker-runtime')
try:
    rt.invoke_endpoint_with_response_stream(EndpointName='${h.endpoint}', Body=b'503', ContentType='application/x-fail')
except rt.exceptions.ModelError as e:
    print(json.dumps({"code": e.response["Error"]["Code"], "orig": e.response.get("OriginalStatusCode")}))
`,
    );
    expect(JSON.parse(out)).toEqual({ code: 'ModelError', orig: 503 });
  });
});

describe('CORS on the invocation path', () => {
  it('answers a preflight from a localhost origin and exposes the SageMaker headers', async () => {
    const pre = await fetch(`${h.server.url}/endpoints/${h.endpoint}/invocations`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,x-amz-date' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-amz-date');

    const res = await fetch(`${h.server.url}/endpoints/${h.endpoint}/invocations`, {
      method: 'POST',
      headers: { Origin: 'http://127.0.0.1:8000', 'Content-Type': 'application/json' },
      body: '{"from": "browser"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8000');
    expect(res.headers.get('access-control-expose-headers')).toContain('x-Amzn-Invoked-Production-Variant');
    expect(res.headers.get('x-amzn-invoked-production-variant')).toBe('AllTraffic');
    expect(JSON.parse(((await res.json()) as { body: string }).body)).toEqual({ from: 'browser' });
  });

  it('refuses a preflight from a foreign origin', async () => {
    const pre = await fetch(`${h.server.url}/endpoints/${h.endpoint}/invocations`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await fetch(`${h.server.url}/endpoints/${h.endpoint}/invocations`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
