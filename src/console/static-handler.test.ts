import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRequestContext } from '../protocol/context.js';
import { isReservedPath } from '../protocol/slipway-paths.js';
import { createConsoleHandler } from './static-handler.js';

describe('console static handler', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-AbCdEf12.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-AbCdEf12.css'), 'body{}');
    writeFileSync(join(tmpdir(), 'secret-outside.txt'), 'no');
    const handler = createConsoleHandler(dir);
    server = createServer((req, res) => void handler(req, res, newRequestContext(), new URL(req.url ?? '/', 'http://x')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'secret-outside.txt'), { force: true });
  });

  it('serves hashed assets with their content type and a long cache', async () => {
    const js = await fetch(`${base}/_slipway/assets/index-AbCdEf12.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    const css = await fetch(`${base}/_slipway/assets/index-AbCdEf12.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers client-side routes with index.html that must be revalidated', async () => {
    for (const path of ['/_slipway/', '/_slipway/training-jobs/abc', '/_slipway/logs', '/_slipway/storage/b?prefix=x%2F']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('id="root"');
    }
  });

  it('redirects /_slipway to /_slipway/', async () => {
    const res = await fetch(`${base}/_slipway`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/_slipway/');
  });

  it('answers 404 for missing assets and reserved paths, never index.html', async () => {
    expect((await fetch(`${base}/_slipway/assets/gone-12345678.js`)).status).toBe(404);
    for (const p of ['/_slipway/health', '/_slipway/metrics', '/_slipway/logs/stream', '/_slipway/api/x']) {
      expect(isReservedPath(p)).toBe(true);
      expect((await fetch(base + p)).status).toBe(404);
    }
    expect(isReservedPath('/_slipway/logs')).toBe(false);
  });

  it('does not serve files outside the build directory', async () => {
    const res = await fetch(`${base}/_slipway/..%2F..%2F..%2F..%2F..%2Ftmp%2Fsecret-outside.txt`);
    expect(await res.text()).not.toBe('no');
  });

  it('refuses writes', async () => {
    expect((await fetch(`${base}/_slipway/`, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('says how to build the console when it has not been built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'console-empty-'));
    const h = createConsoleHandler(empty);
    const s = createServer((req, res) => void h(req, res, newRequestContext(), new URL(req.url ?? '/', 'http://x')));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/_slipway/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('build:console');
    await new Promise<void>((r) => s.close(() => r()));
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('defaultConsoleDist', () => {
  it('points at dist/console/web in the repository', async () => {
    const { defaultConsoleDist } = await import('./static-handler.js');
    expect(defaultConsoleDist().replace(/\\/g, '/')).toMatch(/\/dist\/console\/web$/);
  });
});
