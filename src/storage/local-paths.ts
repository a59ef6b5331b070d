/**
 * @module storage/local-paths — which host directories `file://` URIs may name: an allow-list the
 * operator sets, empty by default (SageMaker itself accepts only `s3://`; local folders are a
 * Slipway extension for local development, never something an API caller can turn on).
 *
 *   SLIPWAY_LOCAL_PATHS         roots read as inputs (channels, processing and transform inputs,
 *                               manifests, ModelDataUrl); never written
 *   SLIPWAY_LOCAL_OUTPUT_PATHS  roots Slipway may also write into (S3OutputPath, CheckpointConfig,
 *                               processing and transform outputs); readable as well, so a job's
 *                               local model.tar.gz can be deployed
 *
 * Roots are real paths (resolved at start-up). A target is inside a root when its real path is:
 * symbolic links and `..` are resolved before the check, so neither can leave a root. The check at
 * the API (`allows`, used by request validation) is a courtesy that names the mistake early; the
 * checks at use time (`resolveRead`, `createWriteStream`) are the ones that decide, because a link
 * can change between the request and the job.
 */
import { createReadStream, createWriteStream, constants, realpathSync, statSync, type ReadStream, type WriteStream } from 'node:fs';
import { lstat, mkdir, open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalPathSettings } from '../platform/config.js';

export type LocalAccess = 'read' | 'write';

/** A `file://` location outside the allowed roots, missing, or not usable; the message says which and why. */
export class LocalPathError extends Error {
  constructor(
    message: string,
    readonly kind: 'outside' | 'missing' | 'unusable' = 'outside',
  ) {
    super(message);
    this.name = 'LocalPathError';
  }
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Real path of the nearest existing ancestor of `path` (itself when it exists). */
function realAncestorSync(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      return realpathSync(p);
    } catch {
      if (dirname(p) === p) return p;
    }
  }
}

export class LocalPaths {
  /** Nothing allowed: every `file://` URI is refused. */
  static readonly none = new LocalPaths([], []);

  private constructor(
    readonly readRoots: readonly string[],
    readonly writeRoots: readonly string[],
  ) {}

  /**
   * Resolves and checks the operator's roots. Throws (the server refuses to start) for a root that
   * is relative, missing or not a directory: silently ignoring it would hide the mistake.
   */
  static from(settings: LocalPathSettings): LocalPaths {
    const real = (list: readonly string[] | undefined, name: string) =>
      (list ?? []).map((p) => {
        if (!isAbsolute(p)) throw new Error(`${name}: ${p} is not an absolute path`);
        let r: string;
        try {
          r = realpathSync(p);
        } catch {
          throw new Error(`${name}: ${p} does not exist`);
        }
        if (!statSync(r).isDirectory()) throw new Error(`${name}: ${p} is not a directory`);
        return r;
      });
    return new LocalPaths(real(settings.read, 'SLIPWAY_LOCAL_PATHS'), real(settings.write, 'SLIPWAY_LOCAL_OUTPUT_PATHS'));
  }

  get enabled(): boolean {
    return this.readRoots.length + this.writeRoots.length > 0;
  }

  private roots(access: LocalAccess): readonly string[] {
    return access === 'write' ? this.writeRoots : [...this.readRoots, ...this.writeRoots];
  }

  private within(path: string, access: LocalAccess): boolean {
    return this.roots(access).some((r) => isInside(path, r));
  }

  private refusal(what: string, access: LocalAccess): LocalPathError {
    const setting = access === 'write' ? 'SLIPWAY_LOCAL_OUTPUT_PATHS' : 'SLIPWAY_LOCAL_PATHS or SLIPWAY_LOCAL_OUTPUT_PATHS';
    return new LocalPathError(`${what}, which is not inside a host directory the operator allowed for ${access === 'write' ? 'local output' : 'local data'} (${setting}).`);
  }

  /**
   * Whether `file://` URI `uri` may be used for `access`, judged now: the path and the real path of
   * its nearest existing ancestor must both lie inside an allowed root. Synchronous (a few
   * `realpath` calls) because request validation is.
   */
  allowsUri(uri: string, access: LocalAccess): boolean {
    if (!this.enabled || !uri.startsWith('file://')) return false;
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch {
      return false;
    }
    if (!this.within(path, access)) return false;
    // A path that does not exist yet is judged by its nearest existing ancestor (outputs; reads of
    // a missing path fail later with "does not exist").
    return this.within(realAncestorSync(path), access);
  }

  /** Real path of an existing `path` to read, inside a read or write root; throws LocalPathError. */
  async resolveRead(path: string): Promise<string> {
    const abs = resolve(path);
    if (!this.within(abs, 'read')) throw this.refusal(`${path} is a local path`, 'read');
    let real: string;
    try {
      real = await realpath(abs);
    } catch {
      throw new LocalPathError(`${path} does not exist.`, 'missing');
    }
    if (!this.within(real, 'read')) throw this.refusal(`${path} leads to ${real}`, 'read');
    return real;
  }

  /**
   * Whether a path found while walking a checked directory may be read: its real path (links
   * resolved) inside a root. Returns that real path; throws LocalPathError otherwise.
   */
  async checkFound(path: string): Promise<string> {
    const real = await realpath(path).catch(() => {
      throw new LocalPathError(`${path} is a broken symbolic link.`, 'missing');
    });
    if (!this.within(real, 'read')) throw this.refusal(`${path} is a symbolic link to ${real}`, 'read');
    return real;
  }

  /** Opens a real path from `resolveRead`/`checkFound` for reading, refusing a link swapped in meanwhile. */
  async openRead(real: string): Promise<ReadStream> {
    const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
      throw new LocalPathError(`${real} cannot be read (${err.code ?? err.message}).`, err.code === 'ENOENT' ? 'missing' : 'unusable');
    });
    return createReadStream('', { fd: fh, autoClose: true });
  }

  /**
   * A stream writing `path` (created or truncated) inside a write root. Missing parent directories
   * are made one at a time below the nearest existing real ancestor, and the parent's real path is
   * checked again after they exist; the file is opened with O_NOFOLLOW so a link planted at the
   * final name is refused, not followed.
   */
  async createWriteStream(path: string): Promise<WriteStream> {
    const abs = resolve(path);
    if (!this.within(abs, 'write')) throw this.refusal(`${path} is a local path`, 'write');
    const parent = dirname(abs);
    const existing = realAncestorSync(parent);
    if (!this.within(existing, 'write')) throw this.refusal(`${path} leads to ${existing}`, 'write');
    await mkdir(parent, { recursive: true });
    const realParent = await realpath(parent);
    if (!this.within(realParent, 'write')) throw this.refusal(`${path} leads to ${realParent}`, 'write');
    const target = join(realParent, abs.slice(parent.length + 1));
    const st = await lstat(target).catch(() => undefined);
    if (st && !st.isFile()) throw new LocalPathError(`${path} exists and is not a regular file.`, 'unusable');
    const fh = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644).catch((err: NodeJS.ErrnoException) => {
      throw new LocalPathError(`${path} cannot be written (${err.code ?? err.message}).`, 'unusable');
    });
    return createWriteStream('', { fd: fh, autoClose: true });
  }
}
