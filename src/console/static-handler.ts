/**
 * @module console/static-handler — serves the built web console (Vite output) under `/_slipway/`:
 * files with their content types, long caching for content-hashed assets, and `index.html` for
 * any other path so the client-side router can render deep links. Health, metrics, logs and api
 * paths belong to other routes and are never answered here.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isReservedPath } from '../protocol/slipway-paths.js';
import type { SurfaceHandler } from '../protocol/surface.js';

const PREFIX = '/_slipway/';

/**
 * Where `vite build --config src/console/web/vite.config.ts` writes the console: `dist/console/web`
 * at the repository root. Resolves the same from `src/console/` (tests) and `dist/console/` (npm start).
 */
export function defaultConsoleDist(): string {
  return fileURLToPath(new URL('../../dist/console/web', import.meta.url));
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names bundle files `name-<hash>.ext` under assets/, so they can be cached forever. */
const HASHED = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * Returns a handler for GET/HEAD under `/_slipway/` (and `/_slipway` itself, redirected to the
 * trailing-slash form so relative URLs resolve). Answers 404 JSON for reserved paths (callers
 * normally route those first), 405 for other methods, and 503 with a hint when the console has
 * not been built into `distDir`.
 */
export function createConsoleHandler(distDir: string): SurfaceHandler {
  const root = normalize(distDir);
  return async (req, res, _ctx, url) => {
    const pathname = url.pathname;
    if (pathname === '/_slipway' || pathname === '/') {
      res.writeHead(302, { Location: PREFIX }).end();
      return;
    }
    if (!pathname.startsWith(PREFIX) || isReservedPath(pathname)) {
      sendText(res, 404, 'application/json', JSON.stringify({ message: `No Slipway route ${pathname}` }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, 'application/json', JSON.stringify({ message: 'The console only answers GET and HEAD.' }));
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname.slice(PREFIX.length));
    } catch {
      sendText(res, 400, 'text/plain; charset=utf-8', 'Bad path encoding');
      return;
    }
    const file = rel === '' ? null : resolveInside(root, rel);
    if (file && (await isFile(file))) {
      const cache = HASHED.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache';
      await sendFile(req.method === 'HEAD', res, file, cache);
      return;
    }
    // A missing file with an extension under assets/ is a real 404 (a stale bundle), not a route.
    if (rel.startsWith('assets/')) {
      sendText(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return;
    }
    const index = join(root, 'index.html');
    if (!(await isFile(index))) {
      sendText(
        res,
        503,
        'text/plain; charset=utf-8',
        'The Slipway console has not been built. Run `npm run build:console` (or `npm start`, which builds it) and reload.',
      );
      return;
    }
    // index.html must be revalidated so a new build's hashed asset names are picked up.
    await sendFile(req.method === 'HEAD', res, index, 'no-cache');
  };
}

function resolveInside(root: string, rel: string): string | null {
  if (rel.includes('\0')) return null;
  const full = normalize(join(root, rel));
  return full === root || full.startsWith(root.endsWith(sep) ? root : root + sep) ? full : null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(
  headOnly: boolean,
  res: import('node:http').ServerResponse,
  file: string,
  cacheControl: string,
): Promise<void> {
  const st = await stat(file);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Cache-Control': cacheControl,
    'Last-Modified': st.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  });
  if (headOnly) {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('close', () => resolve());
    stream.on('end', () => resolve());
    stream.pipe(res);
  });
}

function sendText(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
