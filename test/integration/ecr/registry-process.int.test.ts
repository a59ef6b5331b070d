/**
 * The managed docker-registry process: started on first use, restarted when it dies, stopped with
 * the server, gone when the server is killed; a missing binary or SLIPWAY_REGISTRY=off answers a
 * clear 503 instead of hanging.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { python, startTestServer, type TestServer } from '../../helpers/server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { pushTinyImage, ociErrors } from './helpers.js';

interface Status {
  state: string;
  pid?: number;
  restarts: number;
  reason?: string;
}

const status = async (url: string): Promise<Status> => (await (await fetch(`${url}/_slipway/registry`)).json()) as Status;
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(safeRead(`/proc/${pid}/status`));
function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const createRepo = (url: string, name: string) =>
  python(url, `import boto3, json; boto3.client("ecr").create_repository(repositoryName="${name}"); print("{}")`);

describe('managed registry process', () => {
  let srv: TestServer | undefined;
  let proc: ServerProcess | undefined;
  const homes: string[] = [];
  const saved = { ...process.env };

  afterEach(async () => {
    process.env = { ...saved };
    await srv?.cleanup();
    srv = undefined;
    await proc?.stop();
    proc = undefined;
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  });

  it('starts on first use, restarts after it dies, and stops with the server', async () => {
    srv = await startTestServer();
    expect((await status(srv.url)).state).toBe('stopped');
    const repo = `proc-${randomBytes(3).toString('hex')}`;
    await createRepo(srv.url, repo);
    expect((await pushTinyImage(srv.url, repo, 'v1')).status).toBe(201);
    const first = await status(srv.url);
    expect(first.state).toBe('running');
    const pid = first.pid!;
    expect(alive(pid)).toBe(true);

    process.kill(pid, 'SIGKILL');
    const second = await until('a restarted registry', async () => {
      const s = await status(srv!.url);
      return s.state === 'running' && s.pid !== pid ? s : undefined;
    });
    expect(second.restarts).toBe(1);
    // Its storage survived: the image pushed before is still served.
    const got = await fetch(`${srv.url}/v2/${repo}/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(got.status).toBe(200);

    await srv.close();
    await until('the registry to exit', () => !alive(second.pid!), 10_000);
  });

  it('dies with a server that is killed -9 (no registry outlives Slipway)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-regproc-'));
    homes.push(home);
    proc = await startServerProcess(home);
    const repo = `kill-${randomBytes(3).toString('hex')}`;
    await createRepo(proc.url, repo);
    expect((await pushTinyImage(proc.url, repo, 'v1')).status).toBe(201);
    const pid = (await status(proc.url)).pid!;
    expect(alive(pid)).toBe(true);
    await proc.kill9();
    await until('the orphaned registry to exit', () => !alive(pid), 10_000);

    // A new server on the same home serves what was pushed.
    proc = await startServerProcess(home);
    const got = await fetch(`${proc.url}/v2/${repo}/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(got.status).toBe(200);
  });

  it('answers 503 UNAVAILABLE with the reason when the registry is not installed, at once', async () => {
    process.env.SLIPWAY_REGISTRY_BIN = '/nonexistent/docker-registry';
    srv = await startTestServer();
    const repo = `nobin-${randomBytes(3).toString('hex')}`;
    await createRepo(srv.url, repo);
    const t0 = Date.now();
    const r = await fetch(`${srv.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.status).toBe(503);
    const err = (await ociErrors(r))[0];
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('/nonexistent/docker-registry is not installed (run scripts/setup-registry');
    expect(await status(srv.url)).toMatchObject({ state: 'failed' });
    // The ECR API keeps working without the registry.
    const listed = await python(srv.url, `import boto3, json; print(json.dumps(boto3.client("ecr").list_images(repositoryName="${repo}")["imageIds"]))`);
    expect(listed).toEqual([]);
  });

  it('answers 503 when the registry is turned off', async () => {
    process.env.SLIPWAY_REGISTRY = 'off';
    srv = await startTestServer();
    const repo = `off-${randomBytes(3).toString('hex')}`;
    await createRepo(srv.url, repo);
    const r = await fetch(`${srv.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(r.status).toBe(503);
    expect((await ociErrors(r))[0].message).toBe("Slipway's registry is turned off (SLIPWAY_REGISTRY=off)");
  });
});
