/**
 * @module controllers/endpoint/model-cache — model data (`ModelDataUrl`, a model.tar.gz) downloaded
 * and extracted once per artifact into `<modelCacheDir>/<sha256(uri + etag)>/`, which instances
 * mount read-only at /opt/ml/model (contract §4.1).
 *
 *   s3://b/k (object store) | file:///p ──stream──▶ tar (gunzip) ──filter──▶ <cache>/.tmp-<key>-<rand>/
 *                                                                             │ rename (atomic)
 *                                                                             ▼
 *                                                                       <cache>/<key>/
 *
 * Archives are untrusted: every entry is checked before it is written. Paths with `..`, absolute
 * paths, symbolic or hard links whose target leaves the directory, device/FIFO entries and archives
 * whose declared sizes exceed the bound fail the whole artifact with `ModelDataError` (the endpoint
 * then fails with that reason) and the partial directory is removed, so nothing lands outside the
 * cache and nothing half-extracted is ever mounted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar';
import type { ObjectStore } from '../../storage/object-store.js';
import { parseDataUri } from '../../storage/s3-uri.js';

/** Model data that cannot be used; the message is the endpoint's FailureReason. */
export class ModelDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDataError';
  }
}

export interface ModelCacheOptions {
  cacheDir: string;
  objects: ObjectStore;
  /** Upper bound on the sum of extracted file sizes (default 20 GiB, env SLIPWAY_MODEL_DATA_MAX_BYTES). */
  maxBytes?: number;
  /** Upper bound on entries (default 1,000,000). */
  maxEntries?: number;
}

interface Source {
  version: string;
  open(): Promise<Readable>;
}

export class ModelCache {
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  constructor(private readonly opts: ModelCacheOptions) {
    this.maxBytes = opts.maxBytes ?? (Number(process.env.SLIPWAY_MODEL_DATA_MAX_BYTES) || 20 * 1024 ** 3);
    this.maxEntries = opts.maxEntries ?? 1_000_000;
  }

  /**
   * The extracted directory for `uri`, extracting it first when needed. Concurrent calls for the
   * same artifact share one extraction. Throws ModelDataError for missing or unsafe data.
   */
  async prepare(uri: string, signal?: AbortSignal): Promise<string> {
    const source = await this.source(uri);
    const key = createHash('sha256').update(`${uri}\n${source.version}`).digest('hex').slice(0, 40);
    const dir = join(this.opts.cacheDir, key);
    if (await isDir(dir)) return dir;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.extract(uri, source, key, dir, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async source(uri: string): Promise<Source> {
    const loc = parseDataUri(uri);
    if (!loc) throw new ModelDataError(`ModelDataUrl ${uri} is not an s3:// or file:// URI.`);
    if (uri.startsWith('https://')) throw new ModelDataError(`ModelDataUrl ${uri}: only s3:// (the Slipway object store) and file:// are supported.`);
    if (loc.scheme === 'file') {
      const st = await stat(loc.path).catch(() => undefined);
      if (!st?.isFile()) throw new ModelDataError(`Could not find model data at ${uri}.`);
      return { version: `${st.size}-${st.mtimeMs}-${st.ino}`, open: async () => createReadStream(loc.path) };
    }
    const meta = await this.opts.objects.headObject(loc.bucket, loc.key).catch(() => undefined);
    if (!meta) throw new ModelDataError(`Could not find model data at ${uri}.`);
    return {
      version: meta.etag,
      open: async () => (await this.opts.objects.getObject(loc.bucket, loc.key)).body,
    };
  }

  private async extract(uri: string, source: Source, key: string, dir: string, signal?: AbortSignal): Promise<string> {
    await mkdir(this.opts.cacheDir, { recursive: true });
    const tmp = join(this.opts.cacheDir, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp);
    try {
      const violation = await this.unpack(await source.open(), tmp, signal);
      if (violation) throw new ModelDataError(`Model data ${uri} was rejected: ${violation}`);
      try {
        await rename(tmp, dir);
      } catch (err) {
        // Another server process finished the same artifact first; theirs is as good as ours.
        if (!(await isDir(dir))) throw err;
        await rm(tmp, { recursive: true, force: true });
      }
      return dir;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (err instanceof ModelDataError) throw err;
      if (signal?.aborted) throw new ModelDataError(`Downloading model data ${uri} took longer than ModelDataDownloadTimeoutInSeconds.`);
      throw new ModelDataError(`Model data ${uri} could not be extracted as a tar.gz archive: ${(err as Error).message}`);
    }
  }

  /** Extracts into `dir`; returns the first violation (nothing after it is written) or undefined. */
  private unpack(body: Readable, dir: string, signal?: AbortSignal): Promise<string | undefined> {
    let violation: string | undefined;
    let total = 0;
    let entries = 0;
    const check = (path: string, entry: tar.ReadEntry): string | undefined => {
      const p = path.replaceAll('\\', '/');
      if (posix.isAbsolute(p) || /^[a-zA-Z]:/.test(p)) return `entry "${path}" has an absolute path.`;
      if (p.split('/').includes('..')) return `entry "${path}" escapes the model directory ("..").`;
      switch (entry.type) {
        case 'File':
        case 'OldFile':
        case 'ContiguousFile':
        case 'Directory':
          break;
        case 'SymbolicLink': {
          const target = (entry.linkpath ?? '').replaceAll('\\', '/');
          const resolved = posix.normalize(posix.join(posix.dirname(p), target));
          if (posix.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
            return `entry "${path}" is a symbolic link to "${entry.linkpath}", outside the model directory.`;
          }
          break;
        }
        case 'Link': {
          const target = (entry.linkpath ?? '').replaceAll('\\', '/');
          const resolved = posix.normalize(target);
          if (posix.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
            return `entry "${path}" is a hard link to "${entry.linkpath}", outside the model directory.`;
          }
          break;
        }
        default:
          return `entry "${path}" is a ${entry.type}, which model data may not contain.`;
      }
      total += entry.size ?? 0;
      if (++entries > this.maxEntries) return `the archive has more than ${this.maxEntries} entries.`;
      if (total > this.maxBytes) return `the extracted size exceeds the limit of ${this.maxBytes} bytes.`;
      return undefined;
    };
    return new Promise((resolve, reject) => {
      const unpack = tar.x({
        cwd: dir,
        strict: true,
        preserveOwner: false,
        filter: (path, entry) => {
          if (violation) return false;
          violation = check(path, entry as tar.ReadEntry);
          return violation === undefined;
        },
      });
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        body.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const onAbort = () => fail(new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      body.on('error', fail);
      unpack.on('error', fail);
      unpack.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        resolve(violation);
      });
      body.pipe(unpack as unknown as NodeJS.WritableStream);
    });
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
