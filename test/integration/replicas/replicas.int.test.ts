/**
 * Issue #15 acceptance 3: two Slipway processes on one PostgreSQL database and one object store
 * (moto, `SLIPWAY_OBJECT_STORE_URL`), the host's Docker engine, and one data directory (jobs'
 * workspaces are bind-mounted from it, so replicas on the docker runtime share it). Replica A is
 * killed with SIGKILL while it reconciles; B takes the leases over within 10 s (measured from the
 * kill to the lease row naming B) and finishes the work: a training job completes, an
 * UpdateEndpoint started on A completes, and invocations through B keep being answered throughout.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEndpointCommand, DescribeEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { startMoto, MOTO_KEYS, type MotoServer } from '../../helpers/moto.js';
import { startPostgres, type PostgresServer } from '../../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { removeContainersOf } from '../../helpers/server.js';
import { baseJob, clients, createJob, getBytes, makeBucket, uniq, untar, waitFor } from '../training/helpers.js';
import { buildModelServer, createConfig, createModel, rnd, variant, waitForStatus } from '../hosting/helpers.js';

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pgServer: PostgresServer;
let db: pg.Client;
let moto: MotoServer;
let home: string;
let env: NodeJS.ProcessEnv;
const clusterId = uniq('slipway-replicas-test');
const procs: ServerProcess[] = [];

async function replica(): Promise<ServerProcess> {
  const p = await startServerProcess(home, undefined, env);
  procs.push(p);
  return p;
}

/** Which replica's lease row names as holder of `key` (its holder id starts with host-pid). */
async function holderPid(key: string): Promise<number | undefined> {
  const r = await db.query<{ holder: string }>('SELECT holder FROM leases WHERE resource_key = $1', [key]);
  const h = r.rows[0]?.holder;
  return h ? Number(h.split('-').at(-2)) : undefined;
}

/** Kills `victim` with SIGKILL and returns the milliseconds until `survivor` holds `key`. */
async function killAndMeasureTakeover(victim: ServerProcess, survivor: ServerProcess, key: string): Promise<number> {
  expect(await holderPid(key)).toBe(victim.child.pid);
  const t0 = Date.now();
  await victim.kill9();
  while ((await holderPid(key)) !== survivor.child.pid) {
    if (Date.now() - t0 > 20_000) throw new Error(`no takeover of ${key} in 20 s:\n${survivor.output()}`);
    await sleep(100);
  }
  return Date.now() - t0;
}

beforeAll(async () => {
  await Promise.all([buildFixtureImage('sleeper'), buildModelServer()]);
  await exec('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: join(import.meta.dirname, '../../..') });
  pgServer = await startPostgres();
  db = new pg.Client({ connectionString: pgServer.url() });
  await db.connect();
  moto = await startMoto();
  const store = await moto.store('replicas');
  home = mkdtempSync(join(tmpdir(), 'slipway-replicas-'));
  env = {
    SLIPWAY_DATABASE_URL: pgServer.url(),
    SLIPWAY_CLUSTER_ID: clusterId,
    SLIPWAY_OBJECT_STORE_URL: store.url,
    AWS_ENDPOINT_URL_S3: moto.url,
    AWS_ACCESS_KEY_ID: MOTO_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_KEYS.secretAccessKey,
  };
}, 300_000);

afterAll(async () => {
  for (const p of procs) await p.stop().catch(() => undefined);
  await removeContainersOf(clusterId);
  await db?.end().catch(() => undefined);
  await pgServer?.stop();
  await moto?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('two replicas on one PostgreSQL', () => {
  it('B takes over a training job created through A after A is killed with -9, within 10 s, and it completes', async () => {
    const a = await replica();
    const b = await replica();
    const { sm, s3 } = clients(a.url);
    const bucket = await makeBucket(s3);
    const name = uniq('replica-job');
    await createJob(sm, baseJob(name, await buildFixtureImage('sleeper'), bucket, { HyperParameters: { seconds: '15' } }));
    // B serves the same API over the same database.
    const viaB = clients(b.url);
    await waitFor(viaB.sm, name, { until: (d) => d.SecondaryStatus === 'Training' });
    await sleep(2_000);
    const takeoverMs = await killAndMeasureTakeover(a, b, `training-job:${name}`);
    console.log(`replicas: training job taken over ${takeoverMs} ms after SIGKILL`);
    expect(takeoverMs).toBeLessThan(10_000);
    const d = await waitFor(viaB.sm, name, { timeoutMs: 90_000 });
    expect(d.TrainingJobStatus, `${d.FailureReason}\n${b.output()}`).toBe('Completed');
    const files = await untar(await getBytes(viaB.s3, bucket, `output/${name}/output/model.tar.gz`));
    expect(files['model.txt']).toBeDefined();
    await b.stop();
  }, 240_000);

  it('an endpoint created on A answers through B while A dies; an UpdateEndpoint started on A completes on B', async () => {
    const a = await replica();
    const b = await replica();
    const { sm } = clients(a.url);
    const m1 = rnd('m');
    const m2 = rnd('m');
    const c1 = rnd('c');
    const c2 = rnd('c');
    const endpoint = rnd('replica-ep');
    await createModel(sm, m1, { env: { FIXTURE_QUIET: '1' } });
    await createModel(sm, m2, { env: { FIXTURE_QUIET: '1' } });
    await createConfig(sm, c1, [variant('AllTraffic', m1, 1)]);
    await createConfig(sm, c2, [variant('AllTraffic', m2, 2)]);
    await sm.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: c1 }));
    await waitForStatus(sm, endpoint, ['InService']);

    // Invocations through B only, from before A dies until the update has completed.
    const rtB = clients(b.url).rt;
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const loop = (async () => {
      const until = Date.now() + 180_000;
      while (running && Date.now() < until) {
        try {
          await rtB.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('{}'), ContentType: 'application/json' }));
          ok++;
        } catch (err) {
          failures.push(String((err as Error).message));
        }
        await sleep(20);
      }
    })();
    await sleep(1_000);
    expect(ok).toBeGreaterThan(0);

    await sm.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: c2 }));
    const takeoverMs = await killAndMeasureTakeover(a, b, `endpoint:${endpoint}`);
    console.log(`replicas: endpoint taken over ${takeoverMs} ms after SIGKILL`);
    expect(takeoverMs).toBeLessThan(10_000);
    const smB = clients(b.url).sm;
    await waitForStatus(smB, endpoint, ['InService'], 120_000);
    const d = await smB.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(d.EndpointConfigName, b.output()).toBe(c2);
    expect(d.ProductionVariants?.[0]?.CurrentInstanceCount).toBe(2);
    const okAtSwitch = ok;
    await sleep(2_000);
    running = false;
    await loop;
    console.log(`replicas: ${ok} invocations through B answered, ${failures.length} failed`);
    expect(ok).toBeGreaterThan(okAtSwitch);
    expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
    await b.stop();
  }, 300_000);
});
