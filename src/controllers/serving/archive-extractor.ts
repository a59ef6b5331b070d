/**
 * @module controllers/serving/archive-extractor — extracts one model archive on a worker thread
 * under budgets, so that neither a slow nor a hostile archive can block the server's event loop.
 *
 *   main: gate (≤ MAX_CONCURRENT) ─► new Worker(unpack-worker source, {file, dir, budgets})
 *           │  timer: timeoutMs ─► terminate()        signal: abort ─► terminate()
 *           ▼
 *         one reply: done | rejected (a budget or rule, with the reason) | failed (bad archive)
 *         or: timeout | aborted | failed (worker died, e.g. out of heap); resolves after exit
 *
 * Why one short-lived worker per extraction rather than a pool (e.g. piscina): extractions are
 * rare and long (seconds to minutes), so an isolate's ~30 ms start is noise; a fresh isolate
 * inherits nothing from a poisoned predecessor; and `terminate()` stops a worker even while it is
 * busy in JavaScript, which is what makes the time budget hard. A pool would add a dependency for
 * reuse we do not need and cancel tasks the same way. The worker reads the archive file and writes
 * the files itself, so no bytes cross threads; its V8 heap is capped, so a runaway parse dies
 * alone (ERR_WORKER_OUT_OF_MEMORY) instead of taking the server with it.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { archiveEntryViolation, unpackWorkerMain, type UnpackJob, type UnpackReply } from './unpack-worker.js';

export type { UnpackJob, UnpackReply } from './unpack-worker.js';

/** What the worker gets (`workerData`). */
export type ExtractOutcome = UnpackReply | { kind: 'timeout' } | { kind: 'aborted' };

export interface ExtractOptions {
  file: string;
  dir: string;
  /** Decompressed bytes (everything the gzip layer yields). */
  maxBytes: number;
  maxEntries: number;
  timeoutMs: number;
  /** Stops the extraction (server shutdown); the outcome is then `aborted`. */
  signal?: AbortSignal;
}

/**
 * Bytes tolerated after the end-of-archive marker: tar writers pad to a record (10 KiB by
 * default; 1 MiB covers any blocking factor in use). More is not part of any archive.
 */
export const MAX_TRAILING_BYTES = 1024 * 1024;
/** Extractions at once; more wait their turn (each is CPU and disk bound). */
const MAX_CONCURRENT = 2;
/** The worker's V8 heap; entries stream through, so it needs little. */
const WORKER_HEAP_MB = 128;

const WORKER_SOURCE = `${archiveEntryViolation.toString()}\n(${unpackWorkerMain.toString()})();\n`;
const TAR_MODULE = createRequire(import.meta.url).resolve('tar');

let running = 0;
const waiting: (() => void)[] = [];

async function acquire(signal?: AbortSignal): Promise<boolean> {
  if (running < MAX_CONCURRENT) {
    running++;
    return true;
  }
  await new Promise<void>((resolve) => {
    const go = () => {
      signal?.removeEventListener('abort', cancel);
      resolve();
    };
    const cancel = () => {
      const i = waiting.indexOf(go);
      if (i >= 0) waiting.splice(i, 1);
      resolve();
    };
    waiting.push(go);
    signal?.addEventListener('abort', cancel, { once: true });
  });
  if (signal?.aborted) return false;
  running++;
  return true;
}

function release(): void {
  running--;
  waiting.shift()?.();
}

/** Extracts `file` into `dir` on a worker thread; never rejects. */
export async function extractArchive(o: ExtractOptions): Promise<ExtractOutcome> {
  if (o.signal?.aborted || !(await acquire(o.signal))) return { kind: 'aborted' };
  try {
    return await runWorker(o);
  } finally {
    release();
  }
}

function runWorker(o: ExtractOptions): Promise<ExtractOutcome> {
  const job: UnpackJob = {
    file: o.file,
    dir: o.dir,
    tarModule: TAR_MODULE,
    maxBytes: o.maxBytes,
    maxEntries: o.maxEntries,
    maxTrailingBytes: MAX_TRAILING_BYTES,
  };
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    let outcome: ExtractOutcome | undefined;
    const settle = (r: ExtractOutcome) => {
      outcome ??= r;
      // Resolve only once the thread is gone, so the caller may remove `dir` without a late write.
      void worker.terminate();
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), o.timeoutMs);
    const onAbort = () => settle({ kind: 'aborted' });
    o.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: UnpackReply) => settle(m));
    worker.on('error', (err) => {
      const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      settle({ kind: 'failed', message: oom ? `extracting it needed more than ${WORKER_HEAP_MB} MiB of memory` : err.message });
    });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(outcome ?? { kind: 'failed', message: `the extraction worker stopped unexpectedly (exit code ${code})` });
    });
  });
}
