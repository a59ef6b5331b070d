/**
 * @module controllers/job-common/pipe-feeder — Pipe input mode (contract §3.2): a FIFO
 * `/opt/ml/input/data/<channel>_<epoch>` per epoch, fed from the store, one epoch per open.
 *
 *   mkfifo <ch>_0 ─► wait for a reader (non-blocking open polls, so no libuv thread is parked)
 *     ─► stream every object (gunzip / RecordIO-wrap when asked) ─► close (reader sees EOF)
 *     ─► unlink <ch>_0, mkfifo <ch>_1 ─► … until the job ends (signal aborts)
 *
 * A reader that closes early ends the epoch (EPIPE is expected, not an error). Gzip objects are
 * decompressed under SLIPWAY_GZIP_INPUT_MAX_BYTES (job-common/gzip-input); an object that is not
 * valid gzip or passes the budget stops the feeder and is reported through `onDataError` before
 * the reader sees EOF, so the job fails with the reason instead of training on a cut epoch.
 */
import { execFile } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { gunzipWithBudget, InputDataError } from './gzip-input.js';
import type { SourceObject } from './data-source.js';

const execFileP = promisify(execFile);
const RECORDIO_MAGIC = 0xced7230a;
/** The RecordIO length field has 29 bits: one record holds at most this many bytes. */
const RECORDIO_MAX_PAYLOAD = 0x1fffffff;

/** What one epoch of a Pipe input is: the objects and how each is turned into bytes. */
export interface PipeSource {
  channel: string;
  /** Names the input in messages (default `Channel <channel>`). */
  label?: string;
  list: () => Promise<SourceObject[]>;
  gzip: boolean;
  /** Decompressed bytes one Gzip object may yield (SLIPWAY_GZIP_INPUT_MAX_BYTES). */
  gzipMaxBytes: number;
  recordIO: boolean;
  /** The input data is unusable (bad gzip, over budget): called once, before the reader sees EOF; the feeder then stops. */
  onDataError?: (reason: string) => void;
}

export interface PipeFeederOptions extends PipeSource {
  /** Host directory bind-mounted as /opt/ml/input/data. */
  dataDir: string;
  signal: AbortSignal;
  pollMs?: number;
  onEpoch?: (epoch: number) => void;
}

export async function mkfifo(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st?.isFIFO()) return;
  if (st) await unlink(path);
  await execFileP('mkfifo', ['-m', '0666', path]);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Opens the FIFO for writing once a reader has it open; undefined when aborted first. */
async function openWhenRead(path: string, signal: AbortSignal, pollMs: number): Promise<Socket | undefined> {
  while (!signal.aborted) {
    try {
      // openSync with O_NONBLOCK never blocks; a raw fd (not a FileHandle) because the socket
      // owns and closes it.
      const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      // The socket takes over the descriptor (libuv handles EAGAIN on the non-blocking pipe).
      const sock = new Socket({ fd, readable: false, writable: true });
      return sock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
      await sleep(pollMs, signal);
    }
  }
  return undefined;
}

/** Writes with backpressure; rejects with EPIPE once `sock` (a FIFO or an HTTP response) is gone. */
function write(sock: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sock.destroyed) return reject(new Error('EPIPE'));
    const ok = sock.write(chunk, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else {
      const onDrain = () => {
        sock.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        sock.off('drain', onDrain);
        reject(new Error('EPIPE'));
      };
      sock.once('drain', onDrain);
      sock.once('close', onClose);
    }
  });
}

async function feedObject(sock: Writable, obj: SourceObject, o: PipeSource): Promise<void> {
  let body: Readable = await obj.open();
  const what = `${o.label ?? `Channel ${o.channel}`} object ${obj.relPath}`;
  if (o.gzip) body = gunzipWithBudget(body, { maxBytes: o.gzipMaxBytes, what });
  if (o.recordIO) {
    // MXNet RecordIO: magic, length (cflag 0), payload, padding to 4 bytes. Needs the payload
    // length up front, so a gzipped object is buffered before wrapping, up to what one record holds.
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of body) {
        size += (c as Buffer).length;
        if (size > RECORDIO_MAX_PAYLOAD) throw new InputDataError(`${what} is larger than one RecordIO record can hold (${RECORDIO_MAX_PAYLOAD} bytes).`);
        chunks.push(c as Buffer);
      }
    } finally {
      body.destroy();
    }
    const payload = Buffer.concat(chunks);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(RECORDIO_MAGIC, 0);
    head.writeUInt32LE(payload.length & 0x1fffffff, 4);
    await write(sock, head);
    await write(sock, payload);
    const pad = (4 - (payload.length % 4)) % 4;
    if (pad) await write(sock, Buffer.alloc(pad));
    return;
  }
  try {
    for await (const c of body) await write(sock, c as Buffer);
  } finally {
    body.destroy();
  }
}

/**
 * Writes one epoch of `o` into `out` (a FIFO here; an HTTP response for a feeder on a cluster
 * node). A reader that goes away just ends the epoch. False after a data error, which was
 * reported through `onDataError` before this returns (so before `out` is ended).
 */
export async function feedEpoch(out: Writable, o: PipeSource): Promise<boolean> {
  try {
    for (const obj of await o.list()) {
      if (out.destroyed) break;
      await feedObject(out, obj, o);
    }
  } catch (err) {
    if (err instanceof InputDataError) {
      o.onDataError?.(err.message);
      return false;
    }
    // Otherwise the reader went away mid-object: the epoch just ends.
  }
  return true;
}

/** The epoch to start at: an existing FIFO left by an earlier Slipway process, else 0. */
async function firstEpoch(dataDir: string, channel: string): Promise<number> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  let best = 0;
  for (const n of names) {
    const m = new RegExp(`^${channel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)$`).exec(n);
    if (m) best = Math.max(best, Number(m[1]));
  }
  return best;
}

/** Feeds epochs until `signal` aborts. Resolves then; rejects only on unexpected errors. */
export async function runPipeFeeder(o: PipeFeederOptions): Promise<void> {
  const pollMs = o.pollMs ?? 50;
  let epoch = await firstEpoch(o.dataDir, o.channel);
  while (!o.signal.aborted) {
    const path = join(o.dataDir, `${o.channel}_${epoch}`);
    await mkfifo(path);
    const sock = await openWhenRead(path, o.signal, pollMs);
    if (!sock) return;
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.on('error', () => undefined); // EPIPE when the reader stops early: the epoch just ends
    const onAbort = () => sock.destroy();
    o.signal.addEventListener('abort', onAbort, { once: true });
    let dataError = false;
    try {
      dataError = !(await feedEpoch(sock, o));
    } finally {
      o.signal.removeEventListener('abort', onAbort);
      sock.end();
      await Promise.race([closed, sleep(2 ** 31 - 1, o.signal)]);
      sock.destroy();
    }
    if (dataError) return;
    o.onEpoch?.(epoch);
    await unlink(path).catch(() => undefined);
    epoch++;
  }
}
