/**
 * @module test/e2e/console/harness — a real Slipway server, the built console and Debian's
 * chromium driven by playwright-core. Collects browser console errors so tests can fail on them,
 * and saves 1280×800 screenshots into test-output/screenshots/ for a person to look at.
 *
 * Until the console handler is wired into /_slipway/ by the server, a small front server serves
 * dist/console/web through `createConsoleHandler` and forwards everything else to the real
 * server unchanged, so the tests exercise the same handler either way.
 */
import { until as poll } from '../../helpers/poll.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createConsoleHandler } from '../../../src/console/static-handler.js';
import { isReservedPath } from '../../../src/protocol/slipway-paths.js';
import { newRequestContext } from '../../../src/protocol/context.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CONSOLE_DIST = join(ROOT, 'dist', 'console', 'web');
const WEB_SRC = join(ROOT, 'src', 'console', 'web');
export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');
export const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the console when dist is missing or older than its sources (npm test normally has built it). */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(WEB_SRC)) return;
  execFileSync('npx', ['vite', 'build', '--config', join(WEB_SRC, 'vite.config.ts')], { cwd: ROOT, stdio: 'inherit' });
}

async function serverServesConsole(url: string): Promise<boolean> {
  const res = await fetch(`${url}/_slipway/`, { headers: { Accept: 'text/html' } });
  const text = await res.text();
  return res.ok && (res.headers.get('content-type') ?? '').includes('text/html') && text.includes('id="root"');
}

/** Front server: the console handler for /_slipway/ pages, a transparent proxy for the rest. */
async function startFront(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const handler = createConsoleHandler(CONSOLE_DIST);
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    const owned = p.startsWith('/_slipway/') && !isReservedPath(p);
    if (owned && (req.method === 'GET' || req.method === 'HEAD')) {
      Promise.resolve(handler(req, res, newRequestContext(), url)).catch(() => res.destroy());
      return;
    }
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export interface ConsoleEnv {
  /** Base URL the browser uses (the server itself, or the front server before wiring). */
  url: string;
  /** The Slipway server (SDK clients may use either URL). */
  server: TestServer;
  context: BrowserContext;
  /** Console errors and page errors seen so far. */
  errors: string[];
  newPage(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsoleEnv(): Promise<ConsoleEnv> {
  ensureConsoleBuilt();
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const server = await startTestServer();
  const front = (await serverServesConsole(server.url)) ? null : await startFront(server.url);
  const url = front?.url ?? server.url;
  const userDataDir = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  // A fresh profile per run: launchPersistentContext owns the --user-data-dir flag.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    baseURL: url,
    acceptDownloads: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const errors: string[] = [];
  const env: ConsoleEnv = {
    url,
    server,
    context,
    errors,
    async newPage() {
      const page = await context.newPage();
      // Chromium logs every non-2xx fetch as a console error. AWS error answers (with
      // x-amzn-ErrorType, or S3's XML error) are API results the console shows on the page, so
      // those are expected; anything else (JS errors, 404 assets, failed SSE) counts.
      const apiErrors = new Set<string>();
      page.on('response', (r) => {
        const h = r.headers();
        const api = !new URL(r.url()).pathname.startsWith('/_slipway/');
        if (r.status() >= 400 && api && (h['x-amzn-errortype'] || h['x-amzn-requestid'] || h['x-amz-request-id'])) apiErrors.add(r.url());
      });
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        if (msg.text().startsWith('Failed to load resource') && apiErrors.has(msg.location().url)) return;
        errors.push(`${page.url()}: ${msg.text()} (${msg.location().url})`);
      });
      page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
      return page;
    },
    async screenshot(page, name) {
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
    },
    async close() {
      await context.close().catch(() => undefined);
      await front?.close();
      await server.cleanup();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  return env;
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  return poll(what, fn, { timeoutMs, everyMs, retryErrors: true });
}
