/** Slipway as a separate OS process (built `dist/`), for kill -9 and restart tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { removeContainersOf } from './server.js';
import { onSwarm, testCluster } from './cluster/test-cluster.js';
import { freePort } from './free-port.js';
export { freePort };

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** stderr+stdout collected so far (for failure messages). */
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** `env` adds to (or overrides) the test process's environment, e.g. budgets for one test. */
export async function startServerProcess(home: string, port?: number, env: NodeJS.ProcessEnv = {}, attempts = 10): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does it)`);
  const p = port ?? (await freePort(onSwarm() ? '0.0.0.0' : '127.0.0.1'));
  const child = spawn(process.execPath, [MAIN, 'server', '--port', String(p), '--home', home], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: process.env.SLIPWAY_LOG_LEVEL ?? 'warn', ...(await swarmEnv(p)), ...env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      // A restart on a fixed port can find it held for a moment (another test's connection took
      // it as its local port after the kill): try again while the deadline allows.
      if (port !== undefined && /already in use/.test(out) && attempts > 1) {
        await new Promise((r) => setTimeout(r, 500));
        return startServerProcess(home, port, env, attempts - 1);
      }
      throw new Error(`server exited early (${child.exitCode}):\n${out}`);
    }
    try {
      const r = await fetch(`${url}/_slipway/health`);
      // Only this process's answer counts (with auth off, health names the data directory): another
      // test's server may hold the port for a moment.
      const body = r.ok ? ((await r.json()) as { disk?: { home?: string } }) : undefined;
      if (body && (body.disk?.home === undefined || body.disk.home === home)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    port: p,
    child,
    output: () => out,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * In the behaviour matrix (SLIPWAY_TEST_RUNTIME=swarm) the process is configured as an operator
 * would configure a cluster-mode Slipway: runtime, manager, and the URL the nodes reach it at.
 */
async function swarmEnv(port: number): Promise<NodeJS.ProcessEnv> {
  if (!onSwarm()) return {};
  const cluster = await testCluster();
  return { SLIPWAY_RUNTIME: 'swarm', DOCKER_HOST: cluster.manager.dockerHost, SLIPWAY_HOST: '0.0.0.0', SLIPWAY_ADVERTISE_URL: `http://${cluster.hostAddress}:${port}` };
}

/**
 * For test files that kill and restart server processes: each test gets a fresh home from
 * `newHome()` and starts processes on it with `start()`; after each test the last process is
 * stopped and the containers, networks and home it left are removed.
 */
export function useServerProcesses(prefix = 'slipway-proc-'): { newHome(): string; start(): Promise<ServerProcess> } {
  let home: string | undefined;
  let proc: ServerProcess | undefined;
  afterEach(async () => {
    await proc?.stop().catch(() => undefined);
    proc = undefined;
    if (home) {
      await removeContainersOf(home);
      rmSync(home, { recursive: true, force: true });
      home = undefined;
    }
  });
  return {
    newHome: () => (home = mkdtempSync(join(tmpdir(), prefix))),
    start: async () => {
      if (!home) throw new Error('call newHome() before start()');
      proc = await startServerProcess(home);
      return proc;
    },
  };
}
