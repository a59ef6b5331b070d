/**
 * Issue #12 item 4: when the server itself runs out of file descriptors (as 20,000 idle client
 * connections once made it), its health checks cannot open a socket: that is the platform's
 * trouble, not the container's, and must never get a healthy instance replaced. The server
 * process's open-file limit is lowered below every descriptor number it holds (prlimit, util-linux;
 * descriptors already open stay usable, no new one can be made) for longer than three
 * health-check intervals, then restored; the instance must be the same one afterwards.
 */
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { removeContainersOf } from '../../helpers/server.js';
import { buildModelServer, clients, containersOf, deploySimple, sleep } from './helpers.js';

const execFileAsync = promisify(execFile);

let home: string;
let srv: ServerProcess;
let endpoint: string;

beforeAll(async () => {
  await buildModelServer();
  home = mkdtempSync(join(tmpdir(), 'slipway-fd-'));
  srv = await startServerProcess(home);
  ({ endpoint } = await deploySimple(clients(srv.url).sm, { env: { FIXTURE_QUIET: '1' } }));
});

afterAll(async () => {
  await srv?.stop();
  if (home) {
    await removeContainersOf(home);
    rmSync(home, { recursive: true, force: true });
  }
});

/** POST through `agent` (sockets opened before the limit was lowered); status and body. */
function invokeVia(agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${srv.url}/endpoints/${endpoint}/invocations`, { method: 'POST', agent, headers: { 'Content-Type': 'application/x-sleep' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end('0.5');
  });
}

function getVia(agent: Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${srv.url}${path}`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metricTotal(name: string): Promise<number> {
  const text = await (await fetch(`${srv.url}/_slipway/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(`endpoint="${endpoint}"`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const invoke = async () => {
  const r = await fetch(`${srv.url}/endpoints/${endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: '1', signal: AbortSignal.timeout(10_000) });
  expect(r.status).toBe(200);
  return (JSON.parse(await r.text()) as { instance: string }).instance;
};

describe('file descriptors exhausted on the server', () => {
  it('do not get a healthy instance replaced', async () => {
    const before = await invoke();
    const containers = await containersOf(home, endpoint);
    const errors5xx = await metricTotal('sagemaker_invocation_5xx_errors_total');
    // Client sockets opened now keep working once no new descriptor can be made (opened with
    // health calls, so that the data plane still holds a single connection to the container).
    const agent = new Agent({ keepAlive: true, maxSockets: 3 });
    await Promise.all([1, 2, 3].map(() => getVia(agent, '/_slipway/health')));
    const pid = srv.child.pid!;
    const { stdout } = await execFileAsync('prlimit', ['--pid', String(pid), '--nofile', '--noheadings', '--output', 'SOFT,HARD']);
    const [soft, hard] = stdout.trim().split(/\s+/);
    // RLIMIT_NOFILE caps descriptor numbers: with 0, 1 and 2 taken, a limit of 3 leaves none.
    expect(readdirSync(`/proc/${pid}/fd`)).toEqual(expect.arrayContaining(['0', '1', '2']));
    await execFileAsync('prlimit', ['--pid', String(pid), `--nofile=3:${hard}`]);
    let during: { status: number; body: string }[];
    try {
      // Three at once: at least two need a new connection to the container, which cannot be made.
      during = await Promise.all([1, 2, 3].map(() => invokeVia(agent)));
      // Three failed pings 2 s apart replaced an instance before; give it more than that.
      await sleep(9_000);
    } finally {
      await execFileAsync('prlimit', ['--pid', String(pid), `--nofile=${soft}:${hard}`]);
    }
    // The checks resume; the instance answers and is the one from before.
    await sleep(3_000);
    expect(await invoke()).toBe(before);
    expect(await containersOf(home, endpoint)).toEqual(containers);
    expect(srv.output()).not.toMatch(/replacing it/);
    // What could not reach the model is the platform's 503 (retried by SDKs), not the model's error.
    for (const r of during) expect([200, 503], r.body).toContain(r.status);
    expect(during.some((r) => r.status === 503)).toBe(true);
    expect(await metricTotal('sagemaker_invocation_5xx_errors_total')).toBe(errors5xx);
    agent.destroy();
  });
});
