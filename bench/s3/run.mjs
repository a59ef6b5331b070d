#!/usr/bin/env node
/**
 * @module bench/s3/run — PUT and GET of a 1 GiB object through Slipway's S3 API versus `cp` of the
 * same file on the same disk, with the server's peak RSS (VmHWM). Needs `npm run build` first.
 *
 *   node bench/s3/run.mjs [--size-mib 1024] [--runs 3] [--out bench/results/s3.json] [--foreign-moto]
 *
 * `--foreign-moto`: the object bytes go to a foreign S3 store (SLIPWAY_OBJECT_STORE_URL), moto in
 * server mode (`moto_server` from .venv, scripts/setup-test-clients) on a free loopback port.
 * moto keeps objects in Python memory, so this measures Slipway's path to a store, not a store:
 * compare with the embedded run at the same `--size-mib` (bench/results/s3-foreign-moto.json).
 *
 * Each measurement repeats `--runs` times (the machine is shared); the JSON has every run and the medians.
 *
 * The server runs as its own process (`node dist/cli/main.js server`), so its RSS is measured
 * alone. PUT streams the file with a plain http client; GET streams the body into a file, the
 * same read+write work `cp` does.
 *
 * Client tuning (as a careful client would do; `cp` too reads into one reused buffer): PUT reads
 * the file in 1 MiB chunks into four reused buffers and writes each to the request, taking a
 * buffer back when its write callback fires, instead of `createReadStream().pipe(req)`, which
 * allocates a fresh 1 MiB buffer per read (1 GiB of new memory the kernel must fault in; on this
 * VM fresh pages are expensive). It still streams with backpressure ('drain'). GET pipes the
 * response into a 1 MiB-highWaterMark write stream, unchanged. Slipway fsyncs each object before making it visible, so the
 * result also records `cp` followed by `sync` of the copy.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizeMiB = Number(arg('--size-mib', '1024'));
const runs = Number(arg('--runs', '3'));
const foreign = args.includes('--foreign-moto');
const outFile = resolve(root, arg('--out', foreign ? 'bench/results/s3-foreign-moto.json' : 'bench/results/s3.json'));
const main = join(root, 'dist/cli/main.js');
if (!existsSync(main)) throw new Error('dist/ missing: run `npm run build` first');

const work = mkdtempSync(join(tmpdir(), 'slipway-bench-s3-'));
const home = join(work, 'home');
const src = join(work, 'source.bin');
const cpDst = join(work, 'cp.bin');
const getDst = join(work, 'get.bin');

function seconds(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

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

function hwmMiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Streams a file into `req` through a few reused 1 MiB buffers (see the header). */
async function sendFile(req, path, chunk = 1024 * 1024, pool = 4) {
  const fh = await open(path, 'r');
  const free = [];
  let made = 0;
  let wake;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const wait = () => new Promise((r) => (wake = r));
  req.on('drain', signal);
  req.on('close', signal);
  try {
    for (;;) {
      while (free.length === 0 && made >= pool && !req.destroyed) await wait();
      if (req.destroyed) throw new Error('request closed while sending');
      const buf = free.pop() ?? (made++, Buffer.allocUnsafeSlow(chunk));
      const { bytesRead } = await fh.read(buf, 0, chunk, null);
      if (bytesRead === 0) break;
      while (req.writableNeedDrain && !req.destroyed) await wait();
      req.write(bytesRead < chunk ? buf.subarray(0, bytesRead) : buf, () => {
        free.push(buf);
        signal();
      });
    }
  } finally {
    await fh.close();
  }
  req.end();
}

function http(method, url, opts = {}) {
  return new Promise((res, rej) => {
    const req = request(url, { method, headers: opts.headers ?? {} }, (r) => res(r));
    req.on('error', rej);
    if (opts.file) sendFile(req, opts.file).catch(rej);
    else req.end();
  });
}

async function drain(r) {
  let text = '';
  for await (const c of r) text += c.toString();
  return text;
}

/** Starts moto_server and makes the bucket; returns the server's extra environment. */
async function startMoto() {
  const port = await freePort();
  const bin = existsSync(join(root, '.venv/bin/moto_server')) ? join(root, '.venv/bin/moto_server') : 'moto_server';
  moto = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'ignore'] });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {}
    if (moto.exitCode !== null || i > 300) throw new Error('moto_server did not start (install moto[server]: scripts/setup-test-clients)');
    await new Promise((r) => setTimeout(r, 100));
  }
  await drain(await http('PUT', `${endpoint}/bench-foreign`));
  return {
    SLIPWAY_OBJECT_STORE_URL: 's3://bench-foreign/objects',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'moto',
    AWS_SECRET_ACCESS_KEY: 'moto',
    AWS_REGION: 'us-east-1',
  };
}

let child;
let moto;
try {
  console.error(`generating ${sizeMiB} MiB source file in ${work}`);
  execFileSync('sh', ['-c', `head -c ${sizeMiB}M /dev/urandom > '${src}'`]);
  const size = statSync(src).size;
  execFileSync('sync');

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cpRuns = [];
  const cpSyncRuns = [];
  for (let r = 0; r < runs; r++) {
    // Baselines (page cache warm for the source in every case, as for Slipway).
    let t = process.hrtime.bigint();
    execFileSync('cp', [src, cpDst]);
    cpRuns.push(seconds(t));
    rmSync(cpDst);
    execFileSync('sync');
    t = process.hrtime.bigint();
    execFileSync('cp', [src, cpDst]);
    execFileSync('sync', [cpDst]);
    cpSyncRuns.push(seconds(t));
    rmSync(cpDst);
    execFileSync('sync');
  }

  const store = foreign ? await startMoto() : {};
  const port = await freePort();
  child = spawn(process.execPath, [main, 'server', '--port', String(port), '--home', home], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn', ...store },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${url}/_slipway/health`);
      if (r.ok) break;
    } catch {}
    if (child.exitCode !== null || i > 300) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const idleRss = hwmMiB(child.pid);
  const bucket = 'bench';
  const created = await http('PUT', `${url}/${bucket}`);
  await drain(created);

  const putRuns = [];
  const getRuns = [];
  let rssAfterPut = 0;
  for (let r = 0; r < runs; r++) {
    let t = process.hrtime.bigint();
    const put = await http('PUT', `${url}/${bucket}/big.bin`, {
      headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' },
      file: src,
    });
    await drain(put);
    putRuns.push(seconds(t));
    if (put.statusCode !== 200) throw new Error(`PUT answered ${put.statusCode}`);
    rssAfterPut = Math.max(rssAfterPut, hwmMiB(child.pid));
    execFileSync('sync');

    t = process.hrtime.bigint();
    const get = await http('GET', `${url}/${bucket}/big.bin`);
    if (get.statusCode !== 200) throw new Error(`GET answered ${get.statusCode}`);
    await pipeline(get, createWriteStream(getDst, { highWaterMark: 1024 * 1024 }));
    getRuns.push(seconds(t));
    if (statSync(getDst).size !== size) throw new Error('GET size mismatch');
    execFileSync('cmp', [src, getDst]);
    rmSync(getDst);
    execFileSync('sync');
  }
  const peakRss = hwmMiB(child.pid);
  const cpSeconds = median(cpRuns);
  const cpSyncSeconds = median(cpSyncRuns);
  const putSeconds = median(putRuns);
  const getSeconds = median(getRuns);
  const r3 = (xs) => xs.map((x) => +x.toFixed(3));

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    objectStore: foreign ? 'moto_server (foreign S3, SLIPWAY_OBJECT_STORE_URL)' : 'data directory',
    sizeBytes: size,
    runs,
    loadAverageAtEnd: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    samples: { cp: r3(cpRuns), cpAndSync: r3(cpSyncRuns), put: r3(putRuns), get: r3(getRuns) },
    cpSeconds: +cpSeconds.toFixed(3),
    cpAndSyncSeconds: +cpSyncSeconds.toFixed(3),
    putSeconds: +putSeconds.toFixed(3),
    getSeconds: +getSeconds.toFixed(3),
    putMiBps: +(size / 2 ** 20 / putSeconds).toFixed(1),
    getMiBps: +(size / 2 ** 20 / getSeconds).toFixed(1),
    putVsCp: +(putSeconds / cpSeconds).toFixed(2),
    getVsCp: +(getSeconds / cpSeconds).toFixed(2),
    putVsCpAndSync: +(putSeconds / cpSyncSeconds).toFixed(2),
    serverPeakRssMiB: +peakRss.toFixed(1),
    serverRssAfterStartMiB: +idleRss.toFixed(1),
    serverRssAfterPutMiB: +rssAfterPut.toFixed(1),
    targets: { maxRatioToCp: 1.5, maxRssMiB: 200 },
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (moto && moto.exitCode === null) {
    moto.kill('SIGTERM');
    await new Promise((r) => moto.once('exit', r));
  }
  rmSync(work, { recursive: true, force: true });
}
