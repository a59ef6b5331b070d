#!/usr/bin/env node
// bench/cluster/replicas — the replica half of issue 15's benchmark: InvokeEndpoint throughput
// through 2 Slipway replicas vs 1, both on one PostgreSQL database (a throw-away server from
// Debian's binaries). One fast echo container (bench/invoke/echo-nginx) serves endpoint `bench`,
// created through replica A; replica B routes it from the shared route record. wrk drives:
//   one    — concurrency C at replica A alone
//   two    — C/2 at A and C/2 at B at the same time (requests/s summed)
//   viaB   — concurrency C at replica B alone (the replica that does not run the endpoint)
// interleaved for --rounds, median round reported, with each replica's CPU time per request.
// On a 2-core host the two replicas, wrk and the container share the same cores: this measures that
// a second replica adds capacity only where cores are free, and what routing through the shared
// record costs (viaB vs one). Usage (root, Docker, wrk): node bench/cluster/replicas.mjs
//   [--duration 5] [--rounds 3] [--connections 32]. Results: bench/results/cluster-replicas.json.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, numArg as arg, sleep, waitHttp } from '../common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const DURATION = arg('--duration', 5);
const ROUNDS = arg('--rounds', 3);
const C = arg('--connections', 32);
const IMAGE = 'slipway-bench/echo-nginx:latest';
const PG = '/usr/lib/postgresql/15/bin';

/** wrk run asynchronously (two at once for `two`). */
function wrk(url, connections) {
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', ['-t', String(Math.min(connections, 2)), '-c', String(connections), '-d', `${DURATION}s`, '--latency', '-s', join(ROOT, 'bench/invoke/post.lua'), url]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const m = /\s50%\s+([\d.]+)(us|ms|s)/.exec(out);
      const p50Ms = m ? (m[2] === 'us' ? Number(m[1]) / 1000 : m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1])) : NaN;
      const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      resolve({ rps, p50Ms, non2xx: errors ? Number(errors[1]) : 0, requests: Number(/(\d+) requests in/.exec(out)?.[1]) });
    });
  });
}

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** A throw-away PostgreSQL owned by the postgres user (initdb refuses root). */
async function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-pg-'));
  execFileSync('chown', ['postgres:postgres', dir]);
  const port = await freePort();
  const as = (cmd, args) => execFileSync('runuser', ['-u', 'postgres', '--', join(PG, cmd), ...args], { stdio: 'pipe' });
  as('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync']);
  as('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', 'start', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        as('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main() {
  execFileSync('docker', ['build', '-q', '-t', IMAGE, join(ROOT, 'bench/invoke/echo-nginx')], { stdio: 'ignore' });
  execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
  const pg = await startPostgres();
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-replicas-'));
  const clusterId = `bench-replicas-${process.pid}`;
  const env = { ...process.env, SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_DATABASE_URL: pg.url, SLIPWAY_CLUSTER_ID: clusterId };
  const replicas = [];
  try {
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const proc = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'server', '--port', String(port), '--home', home], { stdio: 'ignore', env });
      replicas.push({ proc, url: `http://127.0.0.1:${port}` });
      await waitHttp(`${replicas[i].url}/_slipway/health`);
    }
    const [a, b] = replicas;
    execFileSync(
      'python3',
      [
        '-c',
        `
import boto3
sm = boto3.client('sagemaker')
sm.create_model(ModelName='bench', ExecutionRoleArn='arn:aws:iam::000000000000:role/x', PrimaryContainer={'Image': '${IMAGE}'})
sm.create_endpoint_config(EndpointConfigName='bench', ProductionVariants=[{'VariantName': 'AllTraffic', 'ModelName': 'bench', 'InitialInstanceCount': 1, 'InstanceType': 'ml.c5.large'}])
sm.create_endpoint(EndpointName='bench', EndpointConfigName='bench')
sm.get_waiter('endpoint_in_service').wait(EndpointName='bench', WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
`,
      ],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: a.url }, stdio: 'inherit' },
    );
    const path = '/endpoints/bench/invocations';
    // B learns the route from the shared record (refreshed each second, or at once on a miss).
    for (let i = 0; i < 50 && (await fetch(b.url + path, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status !== 200; i++) await sleep(200);
    const scenarios = {
      one: async () => [await wrk(a.url + path, C)],
      two: async () => Promise.all([wrk(a.url + path, C / 2), wrk(b.url + path, C / 2)]),
      viaB: async () => [await wrk(b.url + path, C)],
    };
    const runs = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
    await wrk(a.url + path, C); // warm-up
    await wrk(b.url + path, C);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, run] of Object.entries(scenarios)) {
        const before = replicas.map((x) => cpuTicks(x.proc.pid));
        const parts = await run();
        const ticks = replicas.map((x, i) => cpuTicks(x.proc.pid) - before[i]);
        const requests = parts.reduce((s, p) => s + p.requests, 0);
        runs[name].push({
          rps: Math.round(parts.reduce((s, p) => s + p.rps, 0)),
          p50Ms: Math.max(...parts.map((p) => p.p50Ms)),
          non2xx: parts.reduce((s, p) => s + p.non2xx, 0),
          replicaCpuUsPerRequest: Math.round(((ticks[0] + ticks[1]) * 10_000) / requests),
        });
      }
    }
    const results = {};
    for (const [name, list] of Object.entries(runs)) {
      const median = [...list].sort((x, y) => x.rps - y.rps)[Math.floor(list.length / 2)];
      results[name] = { ...median, rpsRounds: list.map((x) => x.rps) };
      console.log(name, results[name]);
    }
    const report = {
      benchmark: 'cluster-replicas',
      date: new Date().toISOString(),
      durationSeconds: DURATION,
      rounds: ROUNDS,
      connections: C,
      host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      results,
      summary: { twoVsOne: Math.round((results.two.rps / results.one.rps) * 100) / 100, viaBVsOne: Math.round((results.viaB.rps / results.one.rps) * 100) / 100 },
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/cluster-replicas.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify(report.summary));
  } finally {
    for (const r of replicas) r.proc.kill('SIGTERM');
    await sleep(1000);
    for (const r of replicas) r.proc.kill('SIGKILL');
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=slipway.home=${clusterId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    pg.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
