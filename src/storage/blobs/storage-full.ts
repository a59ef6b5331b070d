/**
 * @module storage/blobs/storage-full — a full disk as a typed error. S3 has no code for it; S3-compatible
 * stores answer 507 (MinIO's XMinioStorageFull), which SDKs do not retry, unlike the 500 a bare
 * ENOSPC used to become (issue #12 item 8).
 */
import { ServiceError } from '../../protocol/errors.js';

export class InsufficientStorage extends ServiceError {
  constructor() {
    super(
      'InsufficientStorage',
      'The server does not have enough free disk space to store this object; nothing was stored. Free space on the server, then retry.',
      507,
      { fault: 'server' },
    );
  }
}

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** True for the errors a full file system (or a full SQLite database file) raises. */
export function isStorageFull(err: unknown): boolean {
  return typeof err === 'object' && err !== null && FULL.has(String((err as { code?: unknown }).code));
}

/** `err`, or InsufficientStorage when it says the disk is full. */
export function storageError(err: unknown): unknown {
  return isStorageFull(err) ? new InsufficientStorage() : err;
}
