/**
 * @module storage/open-object-store — builds the object store the config names: metadata in the
 * metadata database (SQLite, or the PostgreSQL replicas share), bytes in the data directory or in
 * a foreign S3 store, whose bucket must answer before Slipway starts (a clear error otherwise,
 * never a server that fails on every request). Replicas share objects with PostgreSQL and a
 * foreign store; a data directory is one machine's.
 */
import type { ObjectStoreSettings } from '../platform/object-store-settings.js';
import { logger } from '../platform/logger.js';
import { S3BlobStore } from './blobs/s3-blob-store.js';
import type { SqlDb } from './sql/sql-db.js';
import { SqlObjectStore } from './objects/sql-object-store.js';

const SWEEP_EVERY_MS = 6 * 3600 * 1000;

export interface OpenedObjectStore {
  objects: SqlObjectStore;
  close(): void;
}

export async function openObjectStore(db: SqlDb, objectsDir: string, settings: ObjectStoreSettings): Promise<OpenedObjectStore> {
  if (settings.kind === 'directory') {
    const objects = new SqlObjectStore(db, objectsDir);
    // Crash leftovers go before the first request (writes wait for this sweep anyway).
    await objects.recovered;
    return { objects, close: () => undefined };
  }
  const blobs = new S3BlobStore(settings, settings.sweepGraceMs !== undefined ? { sweepGraceMs: settings.sweepGraceMs } : {});
  try {
    await blobs.check();
  } catch (err) {
    blobs.close();
    throw err;
  }
  const objects = new SqlObjectStore(db, objectsDir, blobs);
  // The foreign sweep runs beside requests (it keeps blobs younger than its grace period), at
  // start and then every few hours: deletes that failed while the store was down leave garbage.
  const report = (sweep: Promise<{ removed: number }>) =>
    sweep.then(
      ({ removed }) => removed > 0 && logger.info({ removed, store: settings.url }, 'object store: removed leftovers of interrupted writes'),
      (err: unknown) => logger.warn({ err, store: settings.url }, 'object store: the leftover sweep failed; it runs again later'),
    );
  void report(objects.recovered);
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void report(objects.recover()).finally(() => (sweeping = false));
  }, SWEEP_EVERY_MS);
  timer.unref();
  logger.info({ store: settings.url, endpoint: settings.endpoint }, 'object store: bytes in a foreign S3 store');
  return {
    objects,
    close: () => {
      clearInterval(timer);
      blobs.close();
    },
  };
}
