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

/** Walking a large home is slow, so the answer is cached and refreshed at most once a minute. */
export function createDiskUsage(home: string, maxAgeMs = 60_000): () => Promise<DiskUsage> {
  let cached: { at: number; value: DiskUsage } | undefined;
  let inflight: Promise<DiskUsage> | undefined;
  const measure = async (): Promise<DiskUsage> => {
    const [used, fs] = await Promise.all([dirSize(home), statfs(home)]);
    const value = { home, usedBytes: used, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    cached = { at: Date.now(), value };
    return value;
  };
  return async () => {
    if (cached && Date.now() - cached.at < maxAgeMs) return cached.value;
    inflight ??= measure().finally(() => (inflight = undefined));
    return inflight;
  };
}
