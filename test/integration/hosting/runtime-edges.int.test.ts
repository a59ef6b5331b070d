/**
 * Issue #12 items 5, 10 and 11 against a real container behind a server process: oversize chunked
 * bodies never reach the model (one that answers before reading its input included) and cost it
 * nothing; InvokeEndpoint's header members are checked against the runtime model; other methods on
 * the invocation path get the runtime's UnknownOperationException; and after a restart an
 * InService endpoint is never "not found". /_slipway/health stays under 200 ms throughout.
 *
 * The model is the hosting fixture with FIXTURE_SINGLE=1: one request at a time, one per connection
 * (a single sync worker), so a request left half-sent upstream blocks every later one and its pings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterLogEventsCommand, CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorHealth, type HealthMonitor } from '../../helpers/health-monitor.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { removeContainersOf, sdkClientConfig } from '../../helpers/server.js';
import { buildImage, clients, deploySimple, sleep } from './helpers.js';

const IMAGE = 'slipway-test/hosting-model-single:latest';
const SIX_MIB = 6 * 1024 * 1024;

let home: string;
let srv: ServerProcess;
let health: HealthMonitor;
let endpoint: string;

beforeAll(async () => {
  await buildImage('model-server', IMAGE);
  home = mkdtempSync(join(tmpdir(), 'slipway-rt-edges-'));
  srv = await startServerProcess(home);
  health = monitorHealth(srv.url, { pid: srv.child.pid! });
  ({ endpoint } = await deploySimple(clients(srv.url).sm, { image: IMAGE, env: { FIXTURE_SINGLE: '1', FIXTURE_QUIET: '1' } }));
});

afterAll(async () => {
  await health?.stop();
  await srv?.stop();
  if (home) {
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  }
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** POSTs `size` bytes with chunked transfer encoding (no Content-Length), in 1 MiB chunks. */
function invokeChunked(size: number, contentType: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${srv.url}/endpoints/${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': contentType } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, ms: performance.now() - started }));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', reject);
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

async function invokeSmall(extra: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const r = await fetch(`${srv.url}/endpoints/${endpoint}/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/csv', ...extra },
    body: '1,2,3',
    signal: AbortSignal.timeout(10_000),
  });
  return { status: r.status, headers: Object.fromEntries(r.headers), body: await r.text(), ms: performance.now() - started };
}

async function metricTotal(name: string): Promise<number> {
  const text = await (await fetch(`${srv.url}/_slipway/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(`endpoint="${endpoint}"`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('oversize chunked InvokeEndpoint bodies', () => {
  it('are refused with ValidationError before the model sees a byte, and cost the model nothing', async () => {
    const first = await invokeSmall();
    expect(first.status).toBe(200);
    const instance = JSON.parse(first.body).instance as string;
    const invocations = await metricTotal('sagemaker_invocations_total');
    const errors4xx = await metricTotal('sagemaker_invocation_4xx_errors_total');

    // application/x-early: the fixture answers 200 before reading the body, then reads it all.
    for (const contentType of ['application/x-early', 'text/csv', 'application/x-early']) {
      const r = await invokeChunked(SIX_MIB + 1, contentType);
      expect(r.status, r.body).toBe(400);
      expect(r.headers['x-amzn-errortype']).toBe('ValidationError');
      expect(JSON.parse(r.body).message).toMatch(/has oversize body/);
      expect(r.ms).toBeLessThan(5_000);
    }
    // The model is free at once: nothing was left open upstream.
    for (let i = 0; i < 3; i++) {
      const r = await invokeSmall();
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(3_000);
      expect(JSON.parse(r.body).instance).toBe(instance);
    }
    expect(await metricTotal('sagemaker_invocations_total')).toBe(invocations + 3);
    expect(await metricTotal('sagemaker_invocation_4xx_errors_total')).toBe(errors4xx);
    // A chunked body within the limit is delivered whole, with its length.
    const ok = await invokeChunked(SIX_MIB, 'text/csv');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).body).toHaveLength(SIX_MIB);

    // The fixture logs every body it read after answering early: there must be none.
    await sleep(1_000);
    const logs = new CloudWatchLogsClient(sdkClientConfig(srv.url));
    const early = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/sagemaker/Endpoints/${endpoint}`, filterPattern: '"early:"' }));
    expect(early.events ?? []).toEqual([]);
  });
});

describe('InvokeEndpoint header limits (runtime model)', () => {
  const rt = () => clients(srv.url).rt;
  const invoke = (over: Record<string, string>) =>
    rt().send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'text/csv', Body: new TextEncoder().encode('1'), ...over }));

  it('accepts CustomAttributes of 1024, InferenceId of 64 and Accept of 1024 characters', async () => {
    const r = await invoke({ CustomAttributes: 'c'.repeat(1024), InferenceId: 'i'.repeat(64), Accept: `text/${'a'.repeat(1019)}` });
    expect(r.CustomAttributes).toBe('c'.repeat(1024));
  });

  it.each([
    ['CustomAttributes', 'c'.repeat(1025), 'customAttributes', 'Member must have length less than or equal to 1024'],
    ['InferenceId', 'i'.repeat(65), 'inferenceId', 'Member must have length less than or equal to 64'],
    ['Accept', `text/${'a'.repeat(1020)}`, 'accept', 'Member must have length less than or equal to 1024'],
    ['InferenceId', 'tab\there', 'inferenceId', 'Member must satisfy regular expression pattern'],
  ])('refuses %s %#', async (member, value, path, constraint) => {
    const err = (await invoke({ [member]: value }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { name: string; message: string; $metadata: { httpStatusCode: number } } | undefined;
    expect(err?.name).toBe('ValidationError');
    expect(err?.$metadata.httpStatusCode).toBe(400);
    expect(err?.message).toContain(`at '${path}' failed to satisfy constraint: ${constraint}`);
  });

  it('answers other methods on the invocation path with the runtime UnknownOperationException', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await fetch(`${srv.url}/endpoints/${endpoint}/invocations`, { method, ...(method === 'PUT' ? { body: 'x' } : {}) });
      expect(r.status, method).toBe(404);
      expect(r.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(((await r.json()) as { message: string }).message).toContain(`${method} /endpoints/${endpoint}/invocations`);
    }
  });
});

describe('/_slipway/health', () => {
  it('answered within 200 ms while the requests above ran', async () => {
    // Stopped before the restart below, which ends this server process.
    const report = await health.stop();
    expect(report.polls).toBeGreaterThan(10);
    expect(report.failures).toBe(0);
    // A slow poll while the server's thread was busy is a stall; others are the machine's load (helper).
    expect(report.maxStallMs, JSON.stringify(report.slow)).toBeLessThan(200);
  });
});

describe('restart', () => {
  it('never answers "not found" for an InService endpoint while the server restarts', async () => {
    const seen: { status: number | 'down'; body: string }[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        try {
          const r = await fetch(`${srv.url}/endpoints/${endpoint}/invocations`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/csv' },
            body: '1',
            signal: AbortSignal.timeout(15_000),
          });
          seen.push({ status: r.status, body: await r.text() });
        } catch {
          seen.push({ status: 'down', body: '' });
          await sleep(2);
        }
      }
    })();
    await sleep(300);
    const port = srv.port;
    await srv.kill9();
    srv = await startServerProcess(home, port);
    // Keep invoking until the restarted server has served a good run.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !seen.slice(-20).every((s) => s.status === 200)) await sleep(50);
    stop = true;
    await loop;
    const notFound = seen.filter((s) => s.status === 400 || /not found/i.test(s.body));
    expect(notFound).toEqual([]);
    expect(seen.some((s) => s.status === 'down')).toBe(true);
    expect(seen.slice(-20).every((s) => s.status === 200)).toBe(true);
  });
});
