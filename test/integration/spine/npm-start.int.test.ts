import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/server-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * `npm start` exactly as a newcomer runs it, in a copy of the source tree (so its build does not
 * rewrite the dist/ other tests are using). node_modules comes along as a hard-linked copy rather
 * than being reinstalled: the CI job itself proves `npm ci` on a fresh clone.
 */
describe('npm start', () => {
  it('sets up, builds and serves a healthy Slipway that prints the endpoint line', async () => {
    const tree = mkdtempSync(join(tmpdir(), 'slipway-start-tree-'));
    const home = mkdtempSync(join(tmpdir(), 'slipway-start-home-'));
    dirs.push(tree, home);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'scripts']) {
      cpSync(join(ROOT, f), join(tree, f), { recursive: true, preserveTimestamps: true });
    }
    // A hard-linked copy, never a symlink: if npm start decided to reinstall, it must only ever
    // replace the copy's files, not the node_modules this test run depends on.
    execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(tree, 'node_modules')]);
    const port = await freePort();
    const child = spawn('npm', ['start'], {
      cwd: tree,
      env: { ...process.env, SLIPWAY_PORT: String(port), SLIPWAY_HOME: home, SLIPWAY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 150_000;
      while (!out.includes('AWS_ENDPOINT_URL=')) {
        if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`npm start printed no endpoint line:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(out).toContain(`export AWS_ENDPOINT_URL=http://127.0.0.1:${port}`);
      // The registry behind ECR is installed (or found installed) on the way.
      expect(out).toContain('checking the registry behind ECR (scripts/setup-registry)');
      const health = await fetch(`http://127.0.0.1:${port}/_slipway/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { docker: { reachable: boolean } }).docker.reachable).toBe(true);
      const console = await fetch(`http://127.0.0.1:${port}/_slipway/`);
      expect(console.status).toBe(200);
      expect(await console.text()).toContain('<div id="root">');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
