#!/usr/bin/env node
// bench/invoke — InvokeEndpoint proxy overhead. The same fast echo container (nginx answering
// /ping and /invocations itself) is called three ways, at concurrency 1 and 32, with wrk:
//   direct   its published port (the limit)
//   nginx    Debian's nginx as a keep-alive reverse proxy on the host (the peer)
//   slipway  POST /endpoints/<name>/invocations through a Slipway server (built dist/)
// Results: bench/results/invoke.json. Usage: node bench/invoke/run.mjs [--duration 5]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const DURATION = Number(process.argv[process.argv.indexOf('--duration') + 1]) || 5;
const IMAGE = 'slipway-bench/echo-nginx:latest';

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHttp(url, opts = {}) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(url, opts);
      if (r.ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

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
  return { rps, p50Ms: pct(50), p99Ms: pct(99), non2xx: errors ? Number(errors[1]) : 0, socketErrors: sock ? sock[1] : null };
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

    const targets = {
      direct: `http://${direct}/invocations`,
      nginx: `http://127.0.0.1:${nginxPort}/invocations`,
      slipway: `${base}/endpoints/bench/invocations`,
    };
    const results = {};
    for (const c of [1, 32]) {
      for (const [name, url] of Object.entries(targets)) {
        wrk(url, c); // warm-up: pools, JIT
        results[`${name}@c${c}`] = wrk(url, c);
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
      };
    }
    const report = {
      benchmark: 'invoke',
      date: new Date().toISOString(),
      durationSeconds: DURATION,
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
