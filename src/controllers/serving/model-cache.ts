/**
 * @module controllers/serving/model-cache — model data (`ModelDataUrl`, a model.tar.gz) extracted
 * once per artifact into `<modelCacheDir>/<sha256(uri + version)>/`, which instances mount
 * read-only at /opt/ml/model (contract §4.1).
 *
 *   s3://b/k (store blob) | file:///p (inside SLIPWAY_LOCAL_PATHS, real path checked)
 *     ──► attempt recorded (AttemptLedger) ──► worker thread: gunzip + tar, budgets ──► <cache>/.tmp-<key>-<rand>/
 *                                                                          │ rename (atomic)
 *                                                                          ▼
 *                                                                    <cache>/<key>/
 *
 * Archives are untrusted. Extraction runs off the main thread (archive-extractor) under budgets:
 * decompressed bytes and entries (SLIPWAY_MODEL_DATA_MAX_BYTES / _ENTRIES), bytes after the
 * end-of-archive marker, worker heap, and time (the variant's ModelDataDownloadTimeoutInSeconds).
 * Paths with `..`, absolute paths, links whose target leaves the directory and device/FIFO
 * entries are refused (unpack-worker). Any of these fails the artifact with `ModelDataError` (the
 * endpoint then fails with that reason) and the partial directory is removed, so nothing lands
 * outside the cache and nothing half-extracted is ever mounted.
 *
 * A crash during extraction (the process killed, the host out of memory) leaves the attempt
 * recorded; after MAX_INTERRUPTED such attempts the artifact fails with a reason instead of
 * being extracted again at every start. A server shutdown stops extraction without counting.
 */
import { TerminalFailure } from '../terminal-failure.js';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_DATA_LIMITS } from '../../platform/data-limits.js';
import type { ControllerDeps } from '../controller.js';
import { AttemptLedger } from '../../storage/attempt-ledger.js';
import { removeTree } from '../../storage/remove-tree.js';
import { LocalPathError, LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { parseDataUri } from '../../resources/s3-uri.js';
import { extractArchive } from './archive-extractor.js';

/** Model data that cannot be used; the message is the endpoint's FailureReason. */
export class ModelDataError extends TerminalFailure {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDataError';
  }
}

/** Temporary directories being filled by this process (any ModelCache), kept by `removeLeftovers`. */
const active = new Set<string>();
/**
 * Extractions under way in this process by target directory, shared by every ModelCache (the
 * endpoint and transform controllers each have one), so an artifact is extracted, and its
 * attempt counted, once.
 */
const inflight = new Map<string, Promise<string>>();

/** Extractions of one artifact cut short by a crash before it is given up. */
export const MAX_INTERRUPTED = 3;

export interface ModelCacheOptions {
  cacheDir: string;
  objects: ObjectStore;
  /** Where `file://` model data may come from (default: nowhere). */
  paths?: LocalPaths;
  /** Decompressed bytes of one archive (default 20 GiB; SLIPWAY_MODEL_DATA_MAX_BYTES via the config). */
  maxBytes?: number;
  /** Entries of one archive (default 1,000,000; SLIPWAY_MODEL_DATA_MAX_ENTRIES via the config). */
  maxEntries?: number;
  /** Interrupted-attempt records (default `<cacheDir>/../attempts`). */
  attemptsDir?: string;
  /** Aborted when the server stops: running extractions end and do not count as interrupted. */
  stopSignal?: AbortSignal;
}

export interface PrepareOptions {
  /** The time budget: the variant's ModelDataDownloadTimeoutInSeconds. */
  timeoutSeconds: number;
}

interface Source {
  version: string;
  /** A file holding the archive (store blob or checked local file); `cleanup` removes a temporary one. */
  file(tmpBase: string): Promise<{ path: string; cleanup?: () => Promise<void> }>;
}

export class ModelCache {
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly paths: LocalPaths;
  private readonly ledger: AttemptLedger;

  /** The cache as controllers use it: the configured directory, roots and budgets; stops with the work queue. */
  static forControllers(deps: Pick<ControllerDeps, 'config' | 'objects' | 'localPaths' | 'queue'>): ModelCache {
    return new ModelCache({
      cacheDir: deps.config.modelCacheDir,
      objects: deps.objects,
      paths: deps.localPaths,
      maxBytes: deps.config.dataLimits.modelDataMaxBytes,
      maxEntries: deps.config.dataLimits.modelDataMaxEntries,
      stopSignal: deps.queue.signal,
    });
  }

  constructor(private readonly opts: ModelCacheOptions) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_DATA_LIMITS.modelDataMaxBytes;
    this.maxEntries = opts.maxEntries ?? DEFAULT_DATA_LIMITS.modelDataMaxEntries;
    this.paths = opts.paths ?? LocalPaths.none;
    this.ledger = new AttemptLedger(opts.attemptsDir ?? join(dirname(opts.cacheDir), 'attempts'));
  }

  /**
   * The extracted directory for `uri`, extracting it first when needed. Concurrent calls for the
   * same artifact share one extraction. Throws ModelDataError for missing or unsafe data.
   */
  async prepare(uri: string, opts: PrepareOptions): Promise<string> {
    const source = await this.source(uri);
    const key = createHash('sha256').update(`${uri}\n${source.version}`).digest('hex').slice(0, 40);
    const dir = join(this.opts.cacheDir, key);
    if (await isDir(dir)) return dir;
    let p = inflight.get(dir);
    if (!p) {
      p = this.extract(uri, source, key, dir, opts).finally(() => inflight.delete(dir));
      inflight.set(dir, p);
    }
    return p;
  }

  /**
   * Starts removing the half-extracted directories a crashed process left (never one this process
   * is filling). Resolves once they are listed, with the removal's own promise: listing before any
   * extraction starts keeps a new directory off the list, and the removal (a tree can hold
   * 100,000 files) need not hold up whoever waits for the listing.
   */
  async removeLeftovers(): Promise<{ done: Promise<void> }> {
    const names = await readdir(this.opts.cacheDir).catch(() => [] as string[]);
    const stale = names.filter((n) => n.startsWith('.tmp-') && ![...active].some((a) => join(this.opts.cacheDir, n).startsWith(a)));
    return { done: Promise.all(stale.map((n) => removeTree(join(this.opts.cacheDir, n)))).then(() => undefined) };
  }

  private async source(uri: string): Promise<Source> {
    const loc = parseDataUri(uri);
    if (!loc) throw new ModelDataError(`ModelDataUrl ${uri} is not an s3:// URI.`);
    if (uri.startsWith('https://')) throw new ModelDataError(`ModelDataUrl ${uri}: only s3:// (the Slipway object store) is supported.`);
    if (loc.scheme === 'file') {
      let real: string;
      try {
        real = await this.paths.resolveRead(loc.path);
      } catch (err) {
        if (err instanceof LocalPathError && err.kind !== 'missing') throw new ModelDataError(`ModelDataUrl ${uri} was refused: ${err.message}`);
        throw new ModelDataError(`Could not find model data at ${uri}.`);
      }
      const st = await stat(real).catch(() => undefined);
      if (!st?.isFile()) throw new ModelDataError(`Could not find model data at ${uri}.`);
      return { version: `${st.size}-${st.mtimeMs}-${st.ino}`, file: async () => ({ path: real }) };
    }
    const meta = await this.opts.objects.headObject(loc.bucket, loc.key).catch(() => undefined);
    if (!meta) throw new ModelDataError(`Could not find model data at ${uri}.`);
    const { bucket, key } = loc;
    return {
      version: meta.etag,
      file: async (tmpBase) => {
        // The embedded store keeps each object in an immutable file the worker can read directly.
        if (meta.blobPath) return { path: meta.blobPath };
        const path = `${tmpBase}.download`;
        await pipeline((await this.opts.objects.getObject(bucket, key)).body, createWriteStream(path));
        return { path, cleanup: () => rm(path, { force: true }) };
      },
    };
  }

  private async extract(uri: string, source: Source, key: string, dir: string, opts: PrepareOptions): Promise<string> {
    await mkdir(this.opts.cacheDir, { recursive: true });
    const attempt = `model-data-${key}`;
    const interrupted = await this.ledger.begin(attempt);
    if (interrupted >= MAX_INTERRUPTED) {
      // Given up for this endpoint; a new CreateEndpoint may try again (deliberately).
      await this.ledger.end(attempt);
      throw new ModelDataError(
        `Extracting model data ${uri} was cut short ${interrupted} times by the server stopping abnormally (crash or kill); it is not tried again. Check the archive, then create the endpoint again.`,
      );
    }
    const tmp = join(this.opts.cacheDir, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    active.add(tmp);
    await mkdir(tmp);
    let input: { path: string; cleanup?: () => Promise<void> } | undefined;
    let counted = true;
    try {
      input = await source.file(tmp);
      const outcome = await extractArchive({
        file: input.path,
        dir: tmp,
        maxBytes: this.maxBytes,
        maxEntries: this.maxEntries,
        timeoutMs: opts.timeoutSeconds * 1000,
        ...(this.opts.stopSignal ? { signal: this.opts.stopSignal } : {}),
      });
      switch (outcome.kind) {
        case 'done':
          break;
        case 'rejected':
          throw new ModelDataError(`Model data ${uri} was rejected: ${outcome.reason}`);
        case 'failed':
          throw new ModelDataError(`Model data ${uri} could not be extracted as a tar.gz archive: ${outcome.message}`);
        case 'timeout':
          throw new ModelDataError(`Model data ${uri} was rejected: extracting it took longer than ${opts.timeoutSeconds} seconds (ModelDataDownloadTimeoutInSeconds).`);
        case 'aborted':
          counted = false;
          throw new Error(`extraction of model data ${uri} stopped: the server is shutting down`);
      }
      try {
        await rename(tmp, dir);
      } catch (err) {
        // Another server process finished the same artifact first; theirs is as good as ours.
        if (!(await isDir(dir))) throw err;
        await removeTree(tmp);
      }
      return dir;
    } catch (err) {
      await removeTree(tmp);
      if (err instanceof ModelDataError || !counted) throw err;
      throw new ModelDataError(`Model data ${uri} could not be extracted: ${(err as Error).message}`);
    } finally {
      active.delete(tmp);
      await input?.cleanup?.();
      if (counted) await this.ledger.end(attempt);
      else await this.ledger.abandon(attempt);
    }
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
