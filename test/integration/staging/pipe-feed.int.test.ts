/**
 * @module test/integration/staging/pipe-feed.int.test — Pipe mode on a cluster node, without the
 * cluster: the stager script's `stage` (epoch-0 FIFOs) and `feed` modes (runtime/stager/
 * stager-script.ts) run as the nodes run them (`python3 -c SCRIPT …`) against a feed session
 * (controllers/staging/staging-sessions.ts) on a real HTTP server. FIFO names, epochs in order,
 * EOF per epoch, gunzip and RecordIO done by Slipway, a reader stopping early, a bad gzip object
 * (no EOF for the reader, the reason reported), a SIGTERM ending a feeder blocked on its FIFO.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StagingSessions, STAGING_PREFIX } from '../../../src/controllers/staging/staging-sessions.js';
import type { PipeSource } from '../../../src/controllers/job-common/pipe-feeder.js';
import { STAGER_SCRIPT } from '../../../src/runtime/stager/stager-script.js';

let server: Server;
let sessions: StagingSessions;
let work: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pipe-feed-'));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith(STAGING_PREFIX)) void sessions.handle(req, res, path);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sessions = new StagingSessions(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

afterAll(async () => {
  sessions.stop();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(work, { recursive: true, force: true });
});

function script(args: string[]): ChildProcess {
  const p = spawn('python3', ['-c', STAGER_SCRIPT, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  children.push(p);
  return p;
}

/** Reads one FIFO to its EOF in a child (a blocking open must not park this process's threads); null when no EOF came in time. */
function readFifo(path: string, opts: { maxBytes?: number; timeoutMs?: number } = {}): Promise<Buffer | null> {
  const code = opts.maxBytes !== undefined ? `import sys; f=open(sys.argv[1],'rb'); sys.stdout.buffer.write(f.read(${opts.maxBytes})); f.close()` : `import sys; sys.stdout.buffer.write(open(sys.argv[1],'rb').read())`;
  return new Promise((resolve) => {
    const p = spawn('python3', ['-c', code, path], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(p);
    const chunks: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    p.on('close', (status) => {
      clearTimeout(t);
      resolve(status === 0 ? Buffer.concat(chunks) : null);
    });
  });
}

/** Waits for `path` to be a FIFO (the feeder makes each next epoch's after closing the last). */
async function fifoAt(path: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (existsSync(path) && lstatSync(path).isFIFO()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no FIFO at ${path}`);
}

const source = (channel: string, objects: Buffer[], o: Partial<PipeSource> = {}): PipeSource => ({
  channel,
  list: async () => objects.map((b, i) => ({ relPath: `part-${i}`, size: b.length, open: async () => Readable.from([b]) })),
  gzip: false,
  gzipMaxBytes: 1024 * 1024,
  recordIO: false,
  ...o,
});

function recordIO(payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0xced7230a, 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}

describe('the node feeder against a feed session', () => {
  it('the stager makes each Pipe channel epoch 0 FIFO', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    const s = sessions.download({ dirs: ['input/data'], inline: [], objects: [], fifos: ['input/data/train_0'] });
    const p = script(['stage', s.url, root]);
    await new Promise((r) => p.on('close', r));
    await expect(s.outcome).resolves.toBeUndefined();
    expect(lstatSync(join(root, 'input/data/train_0')).isFIFO()).toBe(true);
    expect(lstatSync(join(root, 'input/data/train_0')).mode & 0o777).toBe(0o666);
  });

  it('feeds every channel epoch after epoch: gunzipped, RecordIO-wrapped, EOF per epoch, early readers end an epoch', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    mkdirSync(join(root, 'input/data'), { recursive: true });
    const abort = new AbortController();
    const a = [Buffer.from('alpha,1\n'), Buffer.from('beta,2\n')];
    const big = Buffer.alloc(3 * 1024 * 1024, 7); // more than one 1 MiB copy and a full pipe buffer
    const f = sessions.feed(
      [source('train', a.map((b) => gzipSync(b)), { gzip: true }), source('rec', [Buffer.from('abcde'), big], { recordIO: true })],
      abort.signal,
    );
    script(['feed', f.url, root, 'input/data/train', 'input/data/rec']);
    for (const epoch of [0, 1, 2]) {
      await fifoAt(join(root, `input/data/train_${epoch}`));
      expect((await readFifo(join(root, `input/data/train_${epoch}`)))?.toString()).toBe('alpha,1\nbeta,2\n');
      // The previous epoch's FIFO is gone once the next one is there, as on one engine.
      if (epoch > 0) expect(existsSync(join(root, `input/data/train_${epoch - 1}`))).toBe(false);
    }
    await fifoAt(join(root, 'input/data/rec_0'));
    expect((await readFifo(join(root, 'input/data/rec_0')))?.equals(Buffer.concat([recordIO(Buffer.from('abcde')), recordIO(big)]))).toBe(true);
    // A reader that stops after 10 bytes: the epoch ends there and the next one is whole.
    await fifoAt(join(root, 'input/data/rec_1'));
    expect((await readFifo(join(root, 'input/data/rec_1'), { maxBytes: 10 }))?.length).toBe(10);
    await fifoAt(join(root, 'input/data/rec_2'));
    expect((await readFifo(join(root, 'input/data/rec_2')))?.length).toBe(recordIO(Buffer.from('abcde')).length + recordIO(big).length);
    abort.abort();
  }, 60_000);

  it('a bad gzip object: the reason is reported, the reader never sees EOF; SIGTERM ends the feeder at once', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    mkdirSync(join(root, 'input/data'), { recursive: true });
    const abort = new AbortController();
    const errors: string[] = [];
    const f = sessions.feed([source('train', [gzipSync(Buffer.from('fine\n')), Buffer.from('not gzip at all')], { gzip: true, onDataError: (r) => errors.push(r) })], abort.signal);
    const p = script(['feed', f.url, root, 'input/data/train']);
    await fifoAt(join(root, 'input/data/train_0'));
    expect(await readFifo(join(root, 'input/data/train_0'), { timeoutMs: 4_000 })).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Channel train object part-1/);
    // The feeder holds the FIFO (no next epoch), and a stop ends it promptly.
    expect(existsSync(join(root, 'input/data/train_1'))).toBe(false);
    const t0 = Date.now();
    p.kill('SIGTERM');
    const code = await new Promise((r) => p.on('close', (c) => r(c)));
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2_000);
    abort.abort();
  }, 30_000);

  it('one stream per input at a time: a new request for it cuts the one in flight', async () => {
    const abort = new AbortController();
    const f = sessions.feed([source('train', [Buffer.alloc(32 * 1024 * 1024, 1)])], abort.signal);
    const first = await fetch(`${f.url}/feed/0/0`);
    const reader = first.body!.getReader();
    await reader.read();
    const second = await fetch(`${f.url}/feed/0/1`);
    expect(second.status).toBe(200);
    // The first stream breaks off instead of ending cleanly.
    await expect((async () => {
      for (;;) if ((await reader.read()).done) return 'ended';
    })()).rejects.toThrow();
    await second.body!.cancel();
    abort.abort();
  });

  it('a closed feed session serves nothing (ids are the only credential)', async () => {
    const abort = new AbortController();
    const f = sessions.feed([source('train', [Buffer.from('x')])], abort.signal);
    expect((await fetch(`${f.url}/feed/0/0`)).status).toBe(200);
    expect((await fetch(`${f.url}/feed/1/0`)).status).toBe(404);
    expect((await fetch(`${f.url}/feed/x/0`)).status).toBe(404);
    abort.abort();
    expect((await fetch(`${f.url}/feed/0/0`)).status).toBe(404);
  });
});
