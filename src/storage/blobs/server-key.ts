/**
 * @module storage/blobs/server-key — the key SSE-S3 objects are encrypted with (S3's "Amazon S3
 * managed keys"): 32 random bytes in a 0600 file beside the blobs, made on first use. It protects
 * copies of blob files taken without it (backups of the objects, a leaked blob), not a stolen
 * disk: that needs disk encryption. Losing the file makes SSE-S3 objects unreadable.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class ServerKey {
  private key: Buffer | undefined;

  constructor(private readonly path: string) {}

  get(): Buffer {
    if (this.key) return this.key;
    // With a foreign object store nothing else makes the directory.
    mkdirSync(dirname(this.path), { recursive: true });
    try {
      // `wx`: two processes (or a restart mid-write) never end up with different keys.
      writeFileSync(this.path, randomBytes(32), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const key = readFileSync(this.path);
    if (key.length !== 32) throw new Error(`${this.path} is not a 32-byte key: SSE-S3 objects cannot be read`);
    this.key = key;
    return key;
  }
}
