#!/usr/bin/env node
/**
 * @module bench/s3/small — many small objects through Slipway's S3 API: PUT, GET, HEAD and a
 * paged LIST, each as requests per second at a fixed concurrency, so the per-request cost of the
 * object store's metadata path (the database, not the bytes) shows. Needs `npm run build` first.
 *
 *   node bench/s3/small.mjs [--count 2000] [--size 1024] [--concurrency 16] [--runs 3]
 *                           [--main dist/cli/main.js] [--database-url postgres://…] [--out bench/results/s3-small.json]
 *
 * Also the server's CPU time per request in each phase (utime+stime from /proc, 10 ms ticks): on
 * a shared machine wall-clock rates swing with the load, CPU per request much less.
 *
 * `--main` runs another build (e.g. the code before a change, built elsewhere) for a before/after
 * comparison on the same machine. `--database-url` sets SLIPWAY_DATABASE_URL (metadata in
 * PostgreSQL). Each run uses a fresh home and bucket; the JSON has every run and the medians.
 * Bounded: `--count` requests per phase, and a run that takes over 10 minutes stops.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const count = Number(arg('--count', '2000'));
const size = Number(arg('--size', '1024'));
const concurrency = Number(arg('--concurrency', '16'));
const runs = Number(arg('--runs', '3'));
const main = resolve(root, arg('--main', 'dist/cli/main.js'));
const databaseUrl = arg('--database-url', undefined);
const outFile = arg('--out', undefined);
const DEADLINE = Date.now() + 10 * 60 * 1000;

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

function http(method, url, body) {
  return new Promise((res, rej) => {
    const headers = body ? { 'content-length': String(body.length), 'content-type': 'application/octet-stream' } : {};
    const req = request(url, { method, headers, agent }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => (r.statusCode >= 300 ? rej(new Error(`${method} ${url}: ${r.statusCode}`)) : res(Buffer.concat(chunks))));
      r.on('error', rej);
    });
    req.on('error', rej);
    req.end(body);
  });
}

/** CPU seconds the process has used (user + system). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `n` requests, `concurrency` at a time; requests per second and server CPU ms per request. */
async function phase(pid, n, one) {
  let next = 0;
  const cpu0 = cpuSeconds(pid);
  const t = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        if (Date.now() > DEADLINE) throw new Error('bench ran past its 10 minute bound');
        await one(next++);
      }
    }),
  );
  const rate = n / (Number(process.hrtime.bigint() - t) / 1e9);
  return { rate, cpuMs: ((cpuSeconds(pid) - cpu0) * 1000) / n };
}

async function oneRun() {
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-small-'));
  const port = await freePort();
  const child = spawn(process.execPath, [main, 'server', '--port', String(port), '--home', home], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn', ...(databaseUrl ? { SLIPWAY_DATABASE_URL: databaseUrl } : {}) },
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/_slipway/health`)).ok) break;
      } catch {}
      if (child.exitCode !== null || i > 300) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const bucket = `bench-${Date.now()}`;
    await http('PUT', `${url}/${bucket}`);
    const body = Buffer.alloc(size, 7);
    const key = (i) => `small/${String(i).padStart(6, '0')}`;
    const put = await phase(child.pid, count, (i) => http('PUT', `${url}/${bucket}/${key(i)}`, body));
    const get = await phase(child.pid, count, async (i) => {
      const got = await http('GET', `${url}/${bucket}/${key(i)}`);
      if (got.length !== size) throw new Error('GET size mismatch');
    });
    const head = await phase(child.pid, count, (i) => http('HEAD', `${url}/${bucket}/${key(i)}`));
    const pages = Math.ceil(count / 100);
    const list = await phase(child.pid, pages, (i) => http('GET', `${url}/${bucket}?list-type=2&max-keys=100&start-after=${encodeURIComponent(i ? key(i * 100 - 1) : '')}`));
    return {
      perSecond: { put: put.rate, get: get.rate, head: head.rate, listPages: list.rate },
      serverCpuMsPerRequest: { put: put.cpuMs, get: get.cpuMs, head: head.cpuMs, listPages: list.cpuMs },
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    rmSync(home, { recursive: true, force: true });
  }
}

const all = [];
for (let r = 0; r < runs; r++) all.push(await oneRun());
agent.destroy();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x) => Math.round(x * 100) / 100;
const medians = (pick) => Object.fromEntries(Object.keys(pick(all[0])).map((k) => [k, round(median(all.map((r) => pick(r)[k])))]));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  main: main.replace(`${root}/`, ''),
  metadata: databaseUrl ? 'PostgreSQL (SLIPWAY_DATABASE_URL)' : 'SQLite',
  count,
  sizeBytes: size,
  concurrency,
  runs: all.map((r) => ({
    perSecond: Object.fromEntries(Object.entries(r.perSecond).map(([k, v]) => [k, round(v)])),
    serverCpuMsPerRequest: Object.fromEntries(Object.entries(r.serverCpuMsPerRequest).map(([k, v]) => [k, round(v)])),
  })),
  medianPerSecond: medians((r) => r.perSecond),
  medianServerCpuMsPerRequest: medians((r) => r.serverCpuMsPerRequest),
};
console.log(JSON.stringify(result, null, 2));
if (outFile) {
  mkdirSync(dirname(resolve(root, outFile)), { recursive: true });
  writeFileSync(resolve(root, outFile), `${JSON.stringify(result, null, 2)}\n`);
}
