#!/usr/bin/env node
// bench/invoke — InvokeEndpoint proxy overhead. The same fast echo container (nginx answering
// /ping and /invocations itself) is called three ways, at concurrency 1 and 32, with wrk:
//   direct   its published port (the limit)
//   nginx    Debian's nginx as a keep-alive reverse proxy on the host (the peer)
//   slipway  POST /endpoints/<name>/invocations through a Slipway server (built dist/)
// plus node-http-hello: node:http answering by itself (no upstream), the most a Node proxy can reach.
// Each (target, concurrency) runs --rounds times, interleaved with the others so that load from
// elsewhere on the host hits all alike; the round with the median throughput is reported, with the
// proxy process's CPU time per request (utime+stime from /proc, all its processes), which is far
// less sensitive to that load than throughput is.
// Results: bench/results/invoke.json. Usage: node bench/invoke/run.mjs [--duration 5] [--rounds 3]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, numArg as arg, sleep, waitHttp } from '../common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const DURATION = arg('--duration', 5);
const ROUNDS = arg('--rounds', 3);
const IMAGE = 'slipway-bench/echo-nginx:latest';

function wrk(url, connections) {
  const threads = Math.min(connections, 2);
  const out = execFileSync('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${DURATION}s`, '--latency', '-s', join(HERE, 'post.lua'), url], {
    encoding: 'utf8',
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: (.*)/.exec(out);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  return { rps, p50Ms: pct(50), p99Ms: pct(99), non2xx: errors ? Number(errors[1]) : 0, socketErrors: sock ? sock[1] : null, requests };
}

/** utime+stime in clock ticks (100/s) of the processes; 0 when none (direct: the container). */
function cpuTicks(pids) {
  let t = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return t;
}

function childPids(pid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid)) out.push(Number(d));
    } catch {}
  }
  return out;
}

function wrkVersion() {
  try {
    return execFileSync('wrk', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch (err) {
    // wrk prints its version with the usage text and exits 1.
    return String(err.stdout ?? '').split('\n')[0].trim() || 'wrk';
  }
}

async function main() {
  execFileSync('docker', ['build', '-q', '-t', IMAGE, join(HERE, 'echo-nginx')], { stdio: 'ignore' });
  execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  const port = await freePort();
  const slipway = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'server', '--port', String(port), '--home', home], {
    stdio: 'ignore',
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn' },
  });
  let nginx;
  let hello;
  let pipe;
  let floor;
  const nginxDir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: base };
  try {
    await waitHttp(`${base}/_slipway/health`);
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
      { env, stdio: 'inherit' },
    );
    const id = execFileSync('docker', ['ps', '-q', '--filter', `label=slipway.home=${home}`, '--filter', 'label=slipway.name=bench'], { encoding: 'utf8' }).trim();
    const direct = execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('127.0.0.1')).trim();

    const nginxPort = await freePort();
    mkdirSync(join(nginxDir, 'logs'));
    writeFileSync(
      join(nginxDir, 'nginx.conf'),
      `worker_processes auto;
pid ${nginxDir}/nginx.pid;
error_log ${nginxDir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${nginxDir}/body;
  proxy_temp_path ${nginxDir}/proxy;
  upstream model { server ${direct}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / { proxy_pass http://model; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
    );
    nginx = spawn('nginx', ['-p', nginxDir, '-c', join(nginxDir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitHttp(`http://127.0.0.1:${nginxPort}/ping`);

    const helloPort = await freePort();
    hello = spawn(process.execPath, [join(HERE, 'hello-server.mjs'), String(helloPort)], { stdio: 'ignore' });
    await waitHttp(`http://127.0.0.1:${helloPort}/`, { method: 'POST', body: '{}' });

    // Node floors: a raw TCP pipe (no HTTP at all) and a bare node:http + undici proxy (no logic).
    const pipePort = await freePort();
    pipe = spawn(process.execPath, [join(HERE, 'node-tcp-pipe.mjs'), String(pipePort), direct], { stdio: 'ignore' });
    const floorPort = await freePort();
    floor = spawn(process.execPath, [join(HERE, 'node-proxy-floor.mjs'), String(floorPort), direct], { stdio: 'ignore', cwd: ROOT });
    await waitHttp(`http://127.0.0.1:${pipePort}/ping`);
    await waitHttp(`http://127.0.0.1:${floorPort}/`, { method: 'POST', body: '{}' });

    const targets = {
      direct: { url: `http://${direct}/invocations`, pids: () => [] },
      nginx: { url: `http://127.0.0.1:${nginxPort}/invocations`, pids: () => childPids(nginx.pid) },
      slipway: { url: `${base}/endpoints/bench/invocations`, pids: () => [slipway.pid] },
      'node-http-hello': { url: `http://127.0.0.1:${helloPort}/`, pids: () => [hello.pid] },
      'node-tcp-pipe': { url: `http://127.0.0.1:${pipePort}/invocations`, pids: () => [pipe.pid] },
      'node-proxy-floor': { url: `http://127.0.0.1:${floorPort}/invocations`, pids: () => [floor.pid] },
    };
    const results = {};
    for (const c of [1, 32]) {
      const runs = {};
      for (const [name, t] of Object.entries(targets)) {
        wrk(t.url, c); // warm-up: pools, JIT
        runs[name] = [];
      }
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, t] of Object.entries(targets)) {
          const pids = t.pids();
          const before = cpuTicks(pids);
          const res = wrk(t.url, c);
          const ticks = cpuTicks(pids) - before;
          res.cpuUsPerRequest = pids.length ? Math.round((ticks * 10_000) / res.requests) : null;
          runs[name].push(res);
        }
      }
      for (const [name, list] of Object.entries(runs)) {
        const sorted = [...list].sort((a, b) => a.rps - b.rps);
        const median = sorted[Math.floor(sorted.length / 2)];
        delete median.requests;
        results[`${name}@c${c}`] = { ...median, rpsRounds: list.map((x) => x.rps) };
        console.log(name, `c=${c}`, results[`${name}@c${c}`]);
      }
    }
    const ratio = (a, b) => Math.round((results[a].rps / results[b].rps) * 100) / 100;
    const summary = {};
    for (const c of [1, 32]) {
      summary[`c${c}`] = {
        slipwayVsDirect: ratio(`slipway@c${c}`, `direct@c${c}`),
        nginxVsDirect: ratio(`nginx@c${c}`, `direct@c${c}`),
        slipwayAddedP50Ms: Math.round((results[`slipway@c${c}`].p50Ms - results[`direct@c${c}`].p50Ms) * 1000) / 1000,
        nginxAddedP50Ms: Math.round((results[`nginx@c${c}`].p50Ms - results[`direct@c${c}`].p50Ms) * 1000) / 1000,
        slipwayVsNginx: ratio(`slipway@c${c}`, `nginx@c${c}`),
        nodeHelloVsDirect: ratio(`node-http-hello@c${c}`, `direct@c${c}`),
        cpuUsPerRequest: Object.fromEntries(Object.keys(targets).filter((n) => n !== 'direct').map((n) => [n, results[`${n}@c${c}`].cpuUsPerRequest])),
        nodeTcpPipeVsDirect: ratio(`node-tcp-pipe@c${c}`, `direct@c${c}`),
        nodeProxyFloorVsDirect: ratio(`node-proxy-floor@c${c}`, `direct@c${c}`),
      };
    }
    const report = {
      benchmark: 'invoke',
      date: new Date().toISOString(),
      durationSeconds: DURATION,
      rounds: ROUNDS,
      host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      tool: wrkVersion(),
      results,
      summary,
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/invoke.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    if (nginx) nginx.kill('SIGTERM');
    if (hello) hello.kill('SIGTERM');
    if (pipe) pipe.kill('SIGTERM');
    if (floor) floor.kill('SIGTERM');
    try {
      execFileSync('python3', ['-c', "import boto3; boto3.client('sagemaker').delete_endpoint(EndpointName='bench')"], { env, stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=slipway.home=${home}`], { encoding: 'utf8' }).trim();
        if (!left) break;
        await sleep(200);
      }
    } catch {}
    slipway.kill('SIGTERM');
    await sleep(300);
    rmSync(home, { recursive: true, force: true });
    rmSync(nginxDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
