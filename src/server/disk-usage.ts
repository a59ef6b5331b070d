/** @module server/disk-usage — how much SLIPWAY_HOME holds and how much room its file system has, for health and the console. */
import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskUsage {
  home: string;
  usedBytes: number;
  freeBytes: number;
  totalBytes: number;
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else total += await lstat(p).then((s) => s.size, () => 0);
  }
  return total;
}

/**
 * Walking a large home is slow, so the used bytes are cached and refreshed at most once a minute.
 * Free and total space come from one statfs per call, never from the cache: a disk that just
 * filled up must show in health at once (issue #12 item 8).
 */
export function createDiskUsage(home: string, maxAgeMs = 60_000): () => Promise<DiskUsage> {
  let cached: { at: number; used: number } | undefined;
  let inflight: Promise<number> | undefined;
  const measureUsed = async (): Promise<number> => {
    const used = await dirSize(home);
    cached = { at: Date.now(), used };
    return used;
  };
  return async () => {
    const usedNow =
      cached && Date.now() - cached.at < maxAgeMs ? Promise.resolve(cached.used) : (inflight ??= measureUsed().finally(() => (inflight = undefined)));
    const [used, fs] = await Promise.all([usedNow, statfs(home)]);
    return { home, usedBytes: used, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  };
}
