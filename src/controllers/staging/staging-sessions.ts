/**
 * @module controllers/staging/staging-sessions — Slipway's side of cluster data staging
 * (docs/cluster.md, "Data staging on the node the engine chose"). A session is a short-lived,
 * unguessable URL under `/_slipway/staging/<id>/` that grants exactly one job host's transfer:
 *
 *   download session  GET manifest ─▶ GET file/<n> (each object the manifest names) ─▶ POST report
 *   upload session    GET have (what is already here) ─▶ PUT put/<path> (only under the allowed top
 *                     folders, bounded; the node's mtime kept) ─▶ POST report
 *   feed session      GET feed/<n>/<epoch>: epoch `epoch` of Pipe input n, already gunzipped and
 *                     RecordIO-wrapped (job-common/pipe-feeder), for the node's feeder to copy into
 *                     the FIFO; lives until the job's signal aborts (a training epoch may take hours)
 *
 * The stager and uploader tasks get nothing else: no credentials, no other object. Sessions live
 * in memory; a restart drops them and the controller opens new ones when it redoes the step.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, stat, utimes } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, normalize, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { logger } from '../../platform/logger.js';
import { feedEpoch, type PipeSource } from '../job-common/pipe-feeder.js';

export const STAGING_PREFIX = '/_slipway/staging/';

/** One object the stager downloads to `path` (relative to the mount), with `mode`'s permission bits when given. */
export interface StagedObject {
  path: string;
  size: number;
  open: () => Promise<Readable>;
  /** Permission bits for the file on the node (the model cache's, so an executable stays one). */
  mode?: number;
}

export interface StagingManifest {
  /** Directories to create (relative), world-writable so a non-root user in the image can write. */
  dirs: string[];
  /** Small files written as given (config JSON). */
  inline: { path: string; content: string }[];
  objects: StagedObject[];
  /** FIFOs to make (relative, mode 0666): each Pipe input's epoch 0, there when the container starts. */
  fifos?: string[];
}

interface Session {
  expires: number;
  manifest?: StagingManifest;
  upload?: { root: string; allowed: string[]; maxBytes: number; received: number };
  /** `streaming[n]`: input n's response in flight; a new request for n cuts it (one stream per input, as one feeder reads). */
  feeds?: { sources: PipeSource[]; signal: AbortSignal; streaming: (ServerResponse | undefined)[] };
  settle: { resolve: () => void; reject: (err: Error) => void };
}

/** Longest upload accepted for one host (model + output + failure file). */
const DEFAULT_UPLOAD_MAX_BYTES = 100 * 1024 ** 3;
const REPORT_MAX_BYTES = 64 * 1024;

export class StagingSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweep: NodeJS.Timeout;

  /** `baseUrl`: Slipway as nodes reach it (SLIPWAY_ADVERTISE_URL). */
  constructor(
    readonly baseUrl: string,
    private readonly ttlMs = 6 * 3600_000,
  ) {
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const [id, s] of this.sessions) if (s.expires < now) this.close(id, new Error('the staging session expired'));
    }, 60_000);
    this.sweep.unref();
  }

  private open(session: Omit<Session, 'settle' | 'expires'>): { url: string; outcome: Promise<void>; id: string } {
    const id = randomBytes(24).toString('base64url');
    let settle!: Session['settle'];
    const outcome = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Whoever waits attaches later; an unobserved rejection must not crash the process.
    outcome.catch(() => undefined);
    this.sessions.set(id, { ...session, settle, expires: Date.now() + this.ttlMs });
    return { id, url: `${this.baseUrl.replace(/\/+$/, '')}${STAGING_PREFIX}${id}`, outcome };
  }

  /** A download session: the stager fetches `manifest` through it. */
  download(manifest: StagingManifest): { url: string; outcome: Promise<void> } {
    return this.open({ manifest });
  }

  /** An upload session: files under `allowed` top folders land in `root/<path>`. */
  upload(root: string, allowed: string[], maxBytes = DEFAULT_UPLOAD_MAX_BYTES): { url: string; outcome: Promise<void> } {
    return this.open({ upload: { root, allowed, maxBytes, received: 0 } });
  }

  /**
   * A feed session: Pipe input n's epochs at `<url>/feed/<n>/<epoch>`. No expiry of its own; it
   * closes when `signal` aborts (the job's watcher ends) or Slipway stops.
   */
  feed(sources: PipeSource[], signal: AbortSignal): { url: string } {
    const s = this.open({ feeds: { sources, signal, streaming: [] } });
    this.sessions.get(s.id)!.expires = Number.POSITIVE_INFINITY;
    if (signal.aborted) this.close(s.id);
    else signal.addEventListener('abort', () => this.close(s.id), { once: true });
    return { url: s.url };
  }

  private close(id: string, err?: Error): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    if (err) s.settle.reject(err);
    else s.settle.resolve();
  }

  stop(): void {
    clearInterval(this.sweep);
    for (const id of [...this.sessions.keys()]) this.close(id, new Error('Slipway is shutting down'));
  }

  /** Serves `/_slipway/staging/<id>/…`; answers 404 for anything unknown (ids are the only credential). */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const rest = pathname.slice(STAGING_PREFIX.length);
    const slash = rest.indexOf('/');
    const id = slash < 0 ? rest : rest.slice(0, slash);
    const action = slash < 0 ? '' : rest.slice(slash + 1);
    const s = this.sessions.get(id);
    if (!s || s.expires < Date.now()) return reply(res, 404, { message: 'No such staging session' });
    const base = `${this.baseUrl.replace(/\/+$/, '')}${STAGING_PREFIX}${id}`;
    if (req.method === 'GET' && action === 'manifest' && s.manifest) {
      const m = s.manifest;
      return reply(res, 200, {
        dirs: m.dirs,
        inline: m.inline,
        objects: m.objects.map((o, n) => ({ path: o.path, size: o.size, url: `${base}/file/${n}`, ...(o.mode !== undefined ? { mode: o.mode & 0o777 } : {}) })),
        ...(m.fifos ? { fifos: m.fifos } : {}),
      });
    }
    if (req.method === 'GET' && action.startsWith('file/') && s.manifest) {
      const obj = s.manifest.objects[Number(action.slice(5))];
      if (!obj || !/^\d+$/.test(action.slice(5))) return reply(res, 404, { message: 'No such file in this session' });
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': obj.size });
      await pipeline(await obj.open(), res).catch((err: unknown) => {
        // A client that closes right after the last byte shows up as a premature close: not a failure.
        if (!res.writableFinished) logger.warn({ err }, 'staging: a download ended early');
        res.destroy();
      });
      return;
    }
    if (req.method === 'GET' && action.startsWith('feed/') && s.feeds) return serveEpoch(res, s.feeds, action);
    if (req.method === 'GET' && action === 'have' && s.upload) return reply(res, 200, await have(s.upload.root, s.upload.allowed));
    if (req.method === 'PUT' && action.startsWith('put/') && s.upload) return this.put(req, res, s, decodeURIComponent(action.slice(4)));
    if (req.method === 'POST' && action === 'report') {
      const body = await readSmall(req).catch(() => undefined);
      let parsed: { error?: unknown } = {};
      try {
        parsed = JSON.parse(body ?? '{}') as { error?: unknown };
      } catch {
        parsed = { error: 'the stager sent an unreadable report' };
      }
      reply(res, 200, {});
      this.close(id, parsed.error !== undefined ? new Error(String(parsed.error).slice(0, 2000)) : undefined);
      return;
    }
    reply(res, 404, { message: `No staging action ${req.method} ${action}` });
  }

  private async put(req: IncomingMessage, res: ServerResponse, s: Session, rel: string): Promise<void> {
    const up = s.upload!;
    const clean = normalize(rel);
    const top = clean.split(sep)[0];
    if (clean.startsWith('..') || clean.startsWith(sep) || !top || !up.allowed.includes(top) || clean === top) {
      return reply(res, 400, { message: `path not allowed: ${rel}` });
    }
    const dest = join(up.root, clean);
    await mkdir(dirname(dest), { recursive: true });
    const budget = new Transform({
      transform(chunk: Buffer, _enc, done) {
        up.received += chunk.length;
        if (up.received > up.maxBytes) return done(new Error(`the upload exceeds ${up.maxBytes} bytes`));
        done(null, chunk);
      },
    });
    try {
      await pipeline(req, budget, createWriteStream(dest));
      // The node's mtime, so a repeated collect (checkpoint sync) finds unchanged files unchanged.
      const mtimeMs = Number(req.headers['x-slipway-mtime-ms']);
      if (Number.isFinite(mtimeMs) && mtimeMs > 0) await utimes(dest, mtimeMs / 1000, mtimeMs / 1000);
      reply(res, 200, {});
    } catch (err) {
      reply(res, 413, { message: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** `feed/<n>/<epoch>`: one epoch's bytes, streamed with backpressure; cut (no clean end) after a data error. */
async function serveEpoch(res: ServerResponse, feeds: NonNullable<Session['feeds']>, action: string): Promise<void> {
  const m = /^feed\/(\d+)\/(\d+)$/.exec(action);
  const n = m ? Number(m[1]) : -1;
  const src = feeds.sources[n];
  if (!src) return reply(res, 404, { message: 'No such feed in this session' });
  const { signal, streaming } = feeds;
  streaming[n]?.destroy();
  streaming[n] = res;
  res.once('close', () => {
    if (streaming[n] === res) streaming[n] = undefined;
  });
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  res.on('error', () => undefined); // the feeder closes early when its reader stopped: the epoch just ends
  // A job that ended (or a node that went silent) does not keep a stream, or its object reads, open.
  const cut = () => res.destroy();
  signal.addEventListener('abort', cut, { once: true });
  res.once('close', () => signal.removeEventListener('abort', cut));
  if (await feedEpoch(res, src)) res.end();
  // The feeder must not see a clean end: it keeps its FIFO open while the job fails with the reason.
  else res.destroy();
}

/** Files already under the allowed folders of `root`: relative path → `size:mtime ms` (the uploader skips those it would send unchanged). */
async function have(root: string, allowed: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const top of allowed) {
    const entries = await readdir(join(root, top), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      const full = join(e.parentPath, e.name);
      const st = await stat(full).catch(() => undefined);
      if (st) out[relative(root, full).split(sep).join('/')] = `${st.size}:${Math.round(st.mtimeMs)}`;
    }
  }
  return out;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readSmall(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > REPORT_MAX_BYTES) throw new Error('report too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}
