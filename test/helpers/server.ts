/** In-process Slipway on a random port with a temp SLIPWAY_HOME, for integration tests. */
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlipway, type SlipwayServer } from '../../src/server/app.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { LABELS } from '../../src/runtime/container-runtime.js';
import type { ObjectStoreSettings } from '../../src/platform/object-store-settings.js';
import { foreignObjectsSelected, startMoto, type MotoServer } from './moto.js';
import type { ContainerRuntime } from '../../src/runtime/container-runtime.js';
import { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { onSwarm, testCluster } from './cluster/test-cluster.js';
import { freePort } from './free-port.js';
import Docker from 'dockerode';

export interface TestServer {
  url: string;
  port: number;
  home: string;
  server: SlipwayServer;
  /** The moto holding this server's object bytes, when it has one (SLIPWAY_TEST_OBJECT_STORE=moto or `objectStore`). */
  foreign?: { moto: MotoServer; settings: ObjectStoreSettings & { kind: 's3' } };
  /** Stops the server; the home directory stays until `cleanup`. */
  close(): Promise<void>;
  /** Restarts on the same home (and the same port when free). */
  restart(): Promise<TestServer>;
  cleanup(): Promise<void>;
}

export interface TestServerOptions {
  home?: string;
  port?: number;
  /** access key id → secret: turns SigV4 authentication on (default off: any key is accepted). */
  credentials?: Record<string, string>;
  /** Host directories `file://` URIs may name (default none, as SLIPWAY_LOCAL_PATHS unset). */
  localPaths?: { read?: string[]; write?: string[] };
  /** SLIPWAY_STRICT_ROLES (default off). */
  strictRoles?: boolean;
  /** SLIPWAY_PUBLIC_INVOKE: endpoints that may be invoked unsigned once tagged (default none). */
  publicInvoke?: string;
  /** SLIPWAY_AUTOSCALING_INTERVAL_SECONDS (default 60). */
  autoscalingIntervalSeconds?: number;
  /** SLIPWAY_SERVERLESS_IDLE_SECONDS / SLIPWAY_SERVERLESS_COLD_START_TIMEOUT_SECONDS (defaults 300 / 60). */
  serverless?: { idleSeconds?: number; coldStartTimeoutSeconds?: number };
  /** SLIPWAY_DATABASE_URL: metadata in this PostgreSQL database (test/helpers/postgres.ts); default SQLite in the home. */
  databaseUrl?: string;
  /**
   * 'moto': bytes in a moto server started for this test server (stopped by `cleanup`); default
   * the data directory, or moto when SLIPWAY_TEST_OBJECT_STORE=moto (the foreign-objects project).
   */
  objectStore?: 'directory' | 'moto';
  /** Internal: a restart keeps its moto. */
  foreign?: TestServer['foreign'];
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'slipway-test-'));
  let foreign = opts.foreign;
  if (!foreign && (opts.objectStore ?? (foreignObjectsSelected() ? 'moto' : 'directory')) === 'moto') {
    const moto = await startMoto();
    foreign = { moto, settings: await moto.store() };
  }
  // SLIPWAY_TEST_RUNTIME=swarm (the behaviour matrix): the same server on the test cluster, as
  // SLIPWAY_RUNTIME=swarm would build it, listening where the nodes' stagers reach it.
  const swarm = onSwarm() ? await swarmSettings(opts.port) : undefined;
  const server = await startSlipway({
    ...(foreign ? { objectStore: foreign.settings } : {}),
    home,
    port: swarm?.port ?? opts.port ?? 0,
    host: swarm ? '0.0.0.0' : '127.0.0.1',
    ...(swarm ? { runtime: swarm.runtime, advertiseUrl: swarm.advertiseUrl } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.localPaths ? { localPaths: opts.localPaths } : {}),
    ...(opts.strictRoles !== undefined ? { strictRoles: opts.strictRoles } : {}),
    ...(opts.publicInvoke !== undefined ? { publicInvoke: opts.publicInvoke } : {}),
    ...(opts.autoscalingIntervalSeconds !== undefined ? { autoscalingIntervalSeconds: opts.autoscalingIntervalSeconds } : {}),
    ...(opts.serverless ? { serverless: opts.serverless } : {}),
    ...(opts.databaseUrl !== undefined ? { databaseUrl: opts.databaseUrl } : {}),
  }).catch(async (err: unknown) => {
    if (!opts.foreign) await foreign?.moto.stop();
    throw err;
  });
  const ts: TestServer = {
    url: server.url,
    port: server.port,
    home,
    server,
    ...(foreign ? { foreign } : {}),
    close: () => server.close(),
    restart: async () => {
      await server.close();
      return startTestServer({ ...opts, home, port: server.port, ...(foreign ? { foreign } : {}) });
    },
    cleanup: async () => {
      await server.close();
      await removeContainersOf(home, swarm?.runtime);
      rmSync(home, { recursive: true, force: true });
      await foreign?.moto.stop();
    },
  };
  return ts;
}

/**
 * Removes every container and network a server with this home left behind (endpoints still
 * running when a test ends, jobs stopped mid-way), so test files never leak into each other.
 */
export async function removeContainersOf(home: string, engine?: ContainerRuntime): Promise<void> {
  const runtime = engine ?? (await testRuntimeOf());
  const labels = { [LABELS.home]: home };
  const containers = await runtime.listContainers(labels, { all: true }).catch(() => []);
  await Promise.all(containers.map((c) => runtime.removeContainer(c.id, { force: true }).catch(() => undefined)));
  const networks = await runtime.listNetworks(labels).catch(() => []);
  await Promise.all(networks.map((n) => runtime.removeNetwork(n.name).catch(() => undefined)));
}

/** The runtime this process's test servers use: the host's engine, or the test cluster's manager. */
export async function testRuntimeOf(): Promise<ContainerRuntime> {
  if (!onSwarm()) return new DockerRuntime();
  const cluster = await testCluster();
  return new SwarmRuntime({ docker: new Docker({ socketPath: cluster.manager.dockerHost.slice('unix://'.length) }), pollMs: 200 });
}

/** The Swarm runtime, port and advertised URL of a matrix server (SLIPWAY_TEST_RUNTIME=swarm). */
async function swarmSettings(port: number | undefined): Promise<{ runtime: SwarmRuntime; port: number; advertiseUrl: string }> {
  const cluster = await testCluster();
  const runtime = (await testRuntimeOf()) as SwarmRuntime;
  const listen = port ?? (await freePort('0.0.0.0'));
  return { runtime, port: listen, advertiseUrl: `http://${cluster.hostAddress}:${listen}` };
}

export { awsEnv } from './aws-env.js';

export const sdkClientConfig = (url: string) => ({
  endpoint: url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'slipway', secretAccessKey: 'slipway' },
});

/**
 * Starts one server for the calling test file (beforeAll) and removes it afterwards (afterAll).
 * Returns a getter, since the server exists only once the hook ran.
 */
export function useTestServer(): () => TestServer {
  let srv: TestServer | undefined;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.cleanup();
  });
  return () => {
    if (!srv) throw new Error('the test server is not started yet (use it inside tests or hooks)');
    return srv;
  };
}

/** Runs `python3 -c script` against `url` and parses its JSON output (./python.ts). */
export { pythonJson as python } from './python.js';
