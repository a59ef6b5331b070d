/**
 * @module test/integration/staging/stager-script.int.test — the cluster stager and uploader
 * (runtime/stager/stager-script.ts) run as the nodes run them (`python3 -c SCRIPT …`), against
 * Slipway's staging sessions (controllers/staging/staging-sessions.ts) on a real HTTP server:
 * files, inline config, tar.gz unpacking under budgets, hostile archives, uploads bounded to
 * their folders, repeated collects sending only changes, and unknown sessions.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagingSessions, STAGING_PREFIX, type StagedObject } from '../../../src/controllers/staging/staging-sessions.js';
import { STAGER_SCRIPT } from '../../../src/runtime/stager/stager-script.js';

let server: Server;
let sessions: StagingSessions;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'stager-'));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith(STAGING_PREFIX)) void sessions.handle(req, res, path);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sessions = new StagingSessions(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
});

afterAll(async () => {
  sessions.stop();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(work, { recursive: true, force: true });
});

/** Runs the script without blocking this process: the sessions it talks to are served here. */
function run(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('python3', ['-c', STAGER_SCRIPT, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => resolve({ status, stderr }));
  });
}

const bytes = (b: Buffer | string): StagedObject => {
  const buf = Buffer.from(b);
  return { path: '', size: buf.length, open: async () => Readable.from([buf]) };
};


describe('the stager against staging sessions', () => {
  it('stages dirs, inline files and objects with their permission bits, then reports success', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    const s = sessions.download({
      dirs: ['model', 'input/data/train'],
      inline: [{ path: 'input/config/resourceconfig.json', content: '{"current_host":"algo-1"}' }],
      objects: [
        { ...bytes('1,2,3\n'), path: 'input/data/train/part/a.csv' },
        { ...bytes('#!/bin/sh\necho hi\n'), path: 'model/sub/run.sh', mode: 0o100755 },
        { ...bytes('w=1'), path: 'model/weights.txt', mode: 0o100600 },
      ],
    });
    const r = await run(['stage', s.url, root]);
    expect(r.status, r.stderr).toBe(0);
    await expect(s.outcome).resolves.toBeUndefined();
    expect(readFileSync(join(root, 'input/data/train/part/a.csv'), 'utf8')).toBe('1,2,3\n');
    expect(readFileSync(join(root, 'input/config/resourceconfig.json'), 'utf8')).toContain('algo-1');
    expect(readFileSync(join(root, 'model/weights.txt'), 'utf8')).toBe('w=1');
    expect(statSync(join(root, 'model/sub/run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(root, 'model/weights.txt')).mode & 0o777).toBe(0o600);
  });

  it('refuses manifest paths outside its root', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    const s = sessions.download({ dirs: [], inline: [{ path: '../escape.txt', content: 'x' }], objects: [] });
    expect((await run(['stage', s.url, root])).status).toBe(3);
    await expect(s.outcome).rejects.toThrow(/outside the staging root/);
    expect(existsSync(join(root, '..', 'escape.txt'))).toBe(false);
  });

  it('collects folders into the upload root; the session accepts only its folders and its budget', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    mkdirSync(join(root, 'model/deep'), { recursive: true });
    mkdirSync(join(root, 'output'), { recursive: true });
    writeFileSync(join(root, 'model/deep/m.bin'), 'model!');
    writeFileSync(join(root, 'output/failure'), 'it broke');
    const dest = mkdtempSync(join(work, 'dest-'));
    const up = sessions.upload(dest, ['model', 'output']);
    const r = await run(['collect', up.url, root, 'model', 'output']);
    expect(r.status, r.stderr).toBe(0);
    await up.outcome;
    expect(readFileSync(join(dest, 'model/deep/m.bin'), 'utf8')).toBe('model!');
    expect(readFileSync(join(dest, 'output/failure'), 'utf8')).toBe('it broke');

    const other = sessions.upload(dest, ['model'], 10);
    const put = (path: string, body: string) => fetch(`${other.url}/put/${path}`, { method: 'PUT', body });
    expect((await put('input%2Fx', 'x')).status).toBe(400);
    expect((await put('..%2F..%2Fetc%2Fx', 'x')).status).toBe(400);
    expect((await put('model%2Fbig', 'x'.repeat(11))).status).toBe(413);
    expect((await fetch(`${sessions.baseUrl}${STAGING_PREFIX}not-a-session/manifest`)).status).toBe(404);
  });

  it('a repeated collect (checkpoint sync) keeps the node mtimes and sends only new or changed files', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    mkdirSync(join(root, 'checkpoints/sub'), { recursive: true });
    writeFileSync(join(root, 'checkpoints/a.ckpt'), 'aaaa');
    writeFileSync(join(root, 'checkpoints/sub/b.ckpt'), 'bb');
    utimesSync(join(root, 'checkpoints/a.ckpt'), 1_700_000_000.123, 1_700_000_000.123);
    const dest = mkdtempSync(join(work, 'dest-'));
    const collect = async () => {
      const up = sessions.upload(dest, ['checkpoints']);
      const r = await run(['collect', up.url, root, 'checkpoints']);
      expect(r.status, r.stderr).toBe(0);
      await up.outcome;
    };
    await collect();
    expect(readFileSync(join(dest, 'checkpoints/a.ckpt'), 'utf8')).toBe('aaaa');
    // The node's mtime, to the millisecond: the single-engine sync sees an unchanged file as unchanged.
    const nodeMs = Number(statSync(join(root, 'checkpoints/a.ckpt'), { bigint: true }).mtimeNs / 1_000_000n);
    expect(nodeMs).toBeGreaterThanOrEqual(1_700_000_000_122);
    expect(Math.round(statSync(join(dest, 'checkpoints/a.ckpt')).mtimeMs)).toBe(nodeMs);
    // Marks what Slipway holds (same size and mtime): an unchanged file sent again would overwrite the mark.
    // Its mtime as the session sets it: the node's, floored to the millisecond (a Date rounds, so
    // copying `stat().mtime` made this mark differ whenever the sub-millisecond part was ≥ .5).
    writeFileSync(join(dest, 'checkpoints/sub/b.ckpt'), 'MA');
    const srcMs = Number(statSync(join(root, 'checkpoints/sub/b.ckpt'), { bigint: true }).mtimeNs / 1_000_000n);
    utimesSync(join(dest, 'checkpoints/sub/b.ckpt'), srcMs / 1000, srcMs / 1000);
    writeFileSync(join(root, 'checkpoints/a.ckpt'), 'changed');
    writeFileSync(join(root, 'checkpoints/c.ckpt'), 'new');
    await collect();
    expect(readFileSync(join(dest, 'checkpoints/sub/b.ckpt'), 'utf8')).toBe('MA');
    expect(readFileSync(join(dest, 'checkpoints/a.ckpt'), 'utf8')).toBe('changed');
    expect(readFileSync(join(dest, 'checkpoints/c.ckpt'), 'utf8')).toBe('new');
  });

  it('a pull while the job still appends to a file sends the size it saw, never more (Continuous outputs)', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    mkdirSync(join(root, 'processing/out'), { recursive: true });
    const file = join(root, 'processing/out/log.csv');
    writeFileSync(file, 'x'.repeat(16 * 1024 * 1024));
    // The job: appends 64 KiB every 2 ms for 4 s (bounded) while the uploader reads the file.
    const writer = spawn('python3', ['-c', `import time\nf = open(${JSON.stringify(file)}, 'ab', 0)\nend = time.time() + 4\nwhile time.time() < end:\n    f.write(b'y' * 65536)\n    time.sleep(0.002)\n`], { stdio: 'ignore' });
    const writerDone = new Promise((r) => writer.on('close', r));
    try {
      await new Promise((r) => setTimeout(r, 200));
      const dest = mkdtempSync(join(work, 'dest-'));
      const up = sessions.upload(dest, ['processing']);
      const r = await run(['collect', up.url, root, 'processing/out']);
      expect(r.status, r.stderr).toBe(0);
      await up.outcome;
      await writerDone;
      const got = readFileSync(join(dest, 'processing/out/log.csv'));
      const all = readFileSync(file);
      expect(got.length).toBeGreaterThanOrEqual(16 * 1024 * 1024);
      expect(got.length).toBeLessThan(all.length);
      expect(got.equals(all.subarray(0, got.length))).toBe(true);
    } finally {
      writer.kill();
      await writerDone;
    }
  });
});
