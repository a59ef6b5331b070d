/**
 * @module storage/remove-tree — removes a directory tree on a worker thread.
 *
 * `fs.promises.rm(dir, { recursive: true })` on the main thread queues one promise and one libuv
 * threadpool request per entry at once: on a tree of 100,000 files (a rejected model archive) the
 * event loop stalled and /_slipway/health, whose disk figures need the threadpool, waited 2 s
 * behind the unlinks. `rmSync` on a worker thread blocks only that thread.
 */
import { Worker } from 'node:worker_threads';

const SOURCE = `const { workerData } = require('node:worker_threads'); require('node:fs').rmSync(workerData, { recursive: true, force: true });`;

/** Removes `path` and everything under it (no error when it is missing); resolves when done or failed. */
export function removeTree(path: string): Promise<void> {
  return new Promise((resolve) => {
    const w = new Worker(SOURCE, { eval: true, workerData: path });
    // Removal is best effort: what cannot be removed is left, as `rm -rf` would.
    w.on('error', () => undefined);
    w.on('exit', () => resolve());
  });
}
