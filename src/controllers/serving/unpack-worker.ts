/**
 * @module controllers/serving/unpack-worker — the code that runs inside a model-extraction worker
 * thread, and the per-entry rules it applies. Both functions are sent to the worker as source text
 * (`UNPACK_WORKER_SOURCE`), so they must stay self-contained: no imports, no module constants;
 * what they need comes through `require` inside the worker and `workerData`.
 *
 *   file ─read─► gunzip (when gzip; node:zlib, counted) ─► node-tar UnpackSync(filter = the rules) ─► dir
 *
 * UnpackSync, because this thread does nothing else: each entry is on disk before the next chunk
 * is parsed. The async Unpack parses ahead of the disk and keeps every pending entry in memory
 * (120,000 empty entries exhausted a 128 MiB heap after 36 s; synchronously they take 8 s, flat).
 *
 * Budgets enforced here, each ending the extraction with a reason that names it:
 * decompressed bytes (everything the gzip layer yields, not just entry sizes), entries, declared
 * entry sizes, and bytes after the tar end-of-archive marker. The marker matters: tar readers stop
 * there (GNU tar and Python ignore what follows), and node-tar would buffer every byte after it
 * with one Buffer.concat per chunk, quadratic in the trailer; 200 MiB of zeros behind a 203 KB
 * gzip froze the server that way. Time and memory are bounded by the caller (terminate, heap limit).
 */
/** What archive-extractor.ts hands the worker (types only: erased from the worker's source). */
export interface UnpackJob {
  /** The archive: a store blob or a checked local file, read by the worker itself. */
  file: string;
  /** An empty directory to extract into. */
  dir: string;
  /** node-tar's CommonJS entry, resolved here (the worker runs from source text, not a file). */
  tarModule: string;
  maxBytes: number;
  maxEntries: number;
  maxTrailingBytes: number;
}

/** The worker's one message. */
export type UnpackReply =
  | { kind: 'done'; entries: number; bytes: number }
  | { kind: 'rejected'; reason: string }
  | { kind: 'failed'; message: string };

/**
 * Why a tar entry may not be extracted into a model directory, or undefined when it may.
 * Paths are archive paths (`/`-separated); link targets are checked lexically here, and node-tar
 * additionally refuses to create anything through a symbolic link already on disk.
 */
export function archiveEntryViolation(path: string, type: string, linkpath: string | undefined): string | undefined {
  const isAbs = (p: string) => p.startsWith('/') || /^[a-zA-Z]:/.test(p);
  const names = (p: string) => p.split('/').filter((s) => s !== '' && s !== '.');
  const p = path.replaceAll('\\', '/');
  if (isAbs(p)) return `entry "${path}" has an absolute path.`;
  const parts = names(p);
  if (parts.includes('..')) return `entry "${path}" escapes the model directory ("..").`;
  const target = (linkpath ?? '').replaceAll('\\', '/');
  switch (type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
    case 'Directory':
      return undefined;
    case 'SymbolicLink': {
      // Relative to the link's own directory. Leading `..` may climb as far as the model directory
      // (those are real directories). A `..` after a name is refused: that name may itself be a
      // link (`a -> .`), so the climb would be judged against the wrong directory.
      const t = names(target);
      const up = t.findIndex((n) => n !== '..');
      const climbs = up < 0 ? t.length : up;
      if (isAbs(target) || climbs > parts.length - 1) return `entry "${path}" is a symbolic link to "${linkpath}", outside the model directory.`;
      if (t.slice(climbs).includes('..')) return `entry "${path}" is a symbolic link to "${linkpath}", which has ".." after a name and could leave the model directory.`;
      return undefined;
    }
    case 'Link':
      // Relative to the archive root; `..` anywhere could pass through a symbolic link to leave it.
      if (isAbs(target) || names(target).includes('..')) return `entry "${path}" is a hard link to "${linkpath}", outside the model directory.`;
      return undefined;
    default:
      return `entry "${path}" is a ${type}, which model data may not contain.`;
  }
}

/** The worker's body: extracts `workerData` (an UnpackJob) and posts one UnpackReply. */
export function unpackWorkerMain(): void {
  const { workerData, parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const job = workerData as UnpackJob;
  const tar = require(job.tarModule) as typeof import('tar');
  const reply = (m: UnpackReply) => parentPort!.postMessage(m);

  let inflated = 0;
  let entries = 0;
  let declared = 0;
  let trailing = 0;
  let sawEof = false;
  let violation: string | undefined;
  let failure: Error | undefined;

  const unpack = new tar.UnpackSync({
    cwd: job.dir,
    strict: true,
    preserveOwner: false,
    // The bytes arrive decompressed; a second compression layer is refused below, not unpacked.
    zstd: false,
    filter: (path, entry) => {
      if (violation) return false;
      const e = entry as { type: string; linkpath?: string; size?: number };
      violation = archiveEntryViolation(path, e.type, e.linkpath);
      if (violation) return false;
      entries++;
      declared += e.size ?? 0;
      if (entries > job.maxEntries) violation = `the archive has more than ${job.maxEntries} entries (SLIPWAY_MODEL_DATA_MAX_ENTRIES).`;
      else if (declared > job.maxBytes) violation = `its files add up to more than ${job.maxBytes} bytes, the limit (SLIPWAY_MODEL_DATA_MAX_BYTES).`;
      return violation === undefined;
    },
  });
  unpack.on('eof', () => (sawEof = true));
  unpack.on('error', (err: Error) => (failure ??= err));
  const closed = new Promise<void>((resolve) => unpack.on('close', () => resolve()));

  const run = async (): Promise<UnpackReply> => {
    const fd = fs.openSync(job.file, 'r');
    const head = Buffer.alloc(2);
    const n = fs.readSync(fd, head, 0, 2, 0);
    const gzipped = n === 2 && head[0] === 0x1f && head[1] === 0x8b;
    const file = fs.createReadStream('', { fd, start: 0, highWaterMark: 1 << 20 });
    let source: NodeJS.ReadableStream = file;
    if (gzipped) {
      const gunzip = zlib.createGunzip({ chunkSize: 1 << 16 });
      file.on('error', (err) => gunzip.destroy(err));
      source = file.pipe(gunzip);
    }
    let first = true;
    try {
      for await (const c of source) {
        const chunk = c as Buffer;
        inflated += chunk.length;
        if (inflated > job.maxBytes) {
          violation ??= `it decompresses to more than ${job.maxBytes} bytes, the limit (SLIPWAY_MODEL_DATA_MAX_BYTES).`;
          break;
        }
        if (first && gzipped && ((chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b) || (chunk.length >= 4 && chunk.readUInt32LE(0) === 0xfd2fb528))) {
          violation = 'the tar archive inside the gzip layer is compressed again; model data must be one tar.gz.';
          break;
        }
        first = false;
        if (sawEof) {
          trailing += chunk.length;
          if (trailing > job.maxTrailingBytes) {
            violation ??= `more than ${job.maxTrailingBytes} bytes follow the tar end-of-archive marker (the limit); model data must be one tar.gz archive.`;
            break;
          }
          continue;
        }
        // Synchronous: the chunk's entries are on disk (or refused) when write returns, so the
        // gunzip stream's own backpressure is all the flow control needed.
        unpack.write(chunk);
        if (violation || failure) break;
      }
    } catch (err) {
      failure ??= err as Error;
    } finally {
      file.destroy();
      (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
    if (violation) return { kind: 'rejected', reason: violation };
    if (failure) return { kind: 'failed', message: failure.message };
    unpack.end();
    await Promise.race([closed, new Promise<void>((resolve) => unpack.on('error', () => resolve()))]);
    if (violation) return { kind: 'rejected', reason: violation };
    if (failure) return { kind: 'failed', message: (failure as Error).message };
    return { kind: 'done', entries, bytes: inflated };
  };

  run().then(reply, (err: unknown) => reply({ kind: 'failed', message: (err as Error).message }));
}
