/**
 * @module controllers/job-common/data-source — what a channel's S3DataSource (or a `file://`
 * URI, a Slipway extension) stands for: a list of objects with their path under the channel,
 * split across hosts for ShardedByS3Key. Shared by File-mode staging and the Pipe-mode feeder.
 *
 * `file://` locations are read only inside the operator's allowed roots (storage/local-paths):
 * the URI's real path, every file found under it, and symbolic links met on the way must stay
 * inside; a link leading out fails the job rather than being skipped, so the user learns why.
 * Links to directories are not descended into (no cycles).
 */
import { TerminalFailure } from '../terminal-failure.js';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { LocalPathError, type LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { parseDataUri } from '../../resources/s3-uri.js';
import type { S3DataSourceDoc } from '../../resources/training-job.js';

export interface SourceObject {
  /** Path under the channel directory, `/`-separated, never empty or absolute. */
  relPath: string;
  size: number;
  /** A file holding exactly these bytes that may be hard-linked (immutable store blob or local file). */
  linkPath?: string;
  open(): Promise<Readable>;
}


/** Keys listed under a prefix → path relative to it (contract §3.2: "key relative to the prefix"). */
export function relativeKey(prefix: string, key: string): string {
  if (key === prefix) return basename(key);
  if (prefix === '' || prefix.endsWith('/')) return key.slice(prefix.length);
  if (key.startsWith(prefix + '/')) return key.slice(prefix.length + 1);
  // A partial name (`data/train` matching `data/train.csv`): keep the name from the last '/'.
  const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  return key.slice(dir.length);
}

/** Index-modulo split of the key-sorted objects: host k of n gets every n-th object from k. */
export function shard<T>(items: readonly T[], hostIndex: number, hostCount: number): T[] {
  if (hostCount <= 1) return [...items];
  return items.filter((_, i) => i % hostCount === hostIndex);
}

function safeRel(rel: string): string | undefined {
  const clean = rel.replace(/^\/+/, '');
  if (clean === '' || clean.endsWith('/')) return undefined; // "directory marker" objects
  if (clean.split('/').some((p) => p === '..' || p === '.')) return undefined;
  return clean;
}

async function listS3(objects: ObjectStore, bucket: string, prefix: string): Promise<SourceObject[]> {
  const out: SourceObject[] = [];
  for await (const meta of objects.listAll(bucket, prefix)) {
    const rel = safeRel(relativeKey(prefix, meta.key));
    if (!rel) continue;
    const key = meta.key;
    out.push({
      relPath: rel,
      size: meta.size,
      linkPath: meta.blobPath,
      open: async () => (await objects.getObject(bucket, key)).body,
    });
  }
  return out;
}

/** Turns a refused local path into the job's FailureReason. */
async function local<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LocalPathError) throw TerminalFailure.client(err.message);
    throw err;
  }
}

async function listFile(paths: LocalPaths, path: string): Promise<SourceObject[]> {
  let root: string;
  try {
    root = await paths.resolveRead(path);
  } catch (err) {
    // A missing location lists nothing (the caller reports "No S3 objects found"), as for S3.
    if (err instanceof LocalPathError && err.kind === 'missing') return [];
    throw TerminalFailure.client((err as Error).message);
  }
  const st = await stat(root);
  if (st.isFile()) return [fileObject(paths, root, basename(path), st.size)];
  const out: SourceObject[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const p = join(dir, e.name);
      const rel = relative(root, p).split(sep).join('/');
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(fileObject(paths, p, rel, (await stat(p)).size));
      else if (e.isSymbolicLink()) {
        const real = await local(() => paths.checkFound(p));
        const target = await stat(real);
        if (target.isFile()) out.push(fileObject(paths, real, rel, target.size));
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

/** A checked real path: hard-linkable, opened without following a link swapped in later. */
function fileObject(paths: LocalPaths, real: string, rel: string, size: number): SourceObject {
  return { relPath: rel, size, linkPath: real, open: async () => paths.openRead(real) };
}

async function readAll(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

async function listUri(objects: ObjectStore, paths: LocalPaths, uri: string): Promise<SourceObject[]> {
  const loc = parseDataUri(uri);
  if (!loc) throw TerminalFailure.client(`Invalid S3Uri ${uri}.`);
  if (loc.scheme === 'file') return listFile(paths, loc.path);
  if (!(await objects.bucketExists(loc.bucket))) throw TerminalFailure.client(`Data download failed: bucket ${loc.bucket} does not exist (${uri}).`);
  return listS3(objects, loc.bucket, loc.key);
}

/**
 * A ManifestFile: `[{"prefix": "s3://b/p/"}, "rel/key1", ...]` — each entry is `prefix + key`,
 * staged under its relative key.
 */
async function listManifest(objects: ObjectStore, paths: LocalPaths, uri: string): Promise<SourceObject[]> {
  const loc = parseDataUri(uri);
  if (!loc) throw TerminalFailure.client(`Invalid S3Uri ${uri}.`);
  let text: string;
  try {
    text = loc.scheme === 'file' ? await readAll(await paths.openRead(await paths.resolveRead(loc.path))) : await readAll((await objects.getObject(loc.bucket, loc.key)).body);
  } catch (err) {
    if (err instanceof LocalPathError && err.kind !== 'missing') throw TerminalFailure.client(err.message);
    throw TerminalFailure.client(`Data download failed: could not read manifest file ${uri}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw TerminalFailure.client(`Manifest file ${uri} is not valid JSON.`);
  }
  if (!Array.isArray(parsed) || typeof (parsed[0] as { prefix?: unknown })?.prefix !== 'string') {
    throw TerminalFailure.client(`Manifest file ${uri} must be a JSON array starting with {"prefix": "s3://..."}.`);
  }
  const prefix = (parsed[0] as { prefix: string }).prefix;
  const base = parseDataUri(prefix);
  if (!base) throw TerminalFailure.client(`Manifest file ${uri} has an invalid prefix ${prefix}.`);
  const out: SourceObject[] = [];
  for (const entry of parsed.slice(1)) {
    if (typeof entry !== 'string') continue;
    const rel = safeRel(entry);
    if (!rel) continue;
    if (base.scheme === 'file') {
      // The prefix comes from the manifest's content, not from the request: checked like any URI.
      const p = join(base.path, rel);
      const real = await paths.resolveRead(p).catch((err: unknown) => {
        if (err instanceof LocalPathError && err.kind !== 'missing') throw TerminalFailure.client(`Manifest file ${uri}: ${err.message}`);
        return undefined;
      });
      const st = real ? await stat(real).catch(() => undefined) : undefined;
      if (!real || !st?.isFile()) throw TerminalFailure.client(`Manifest entry ${prefix}${entry} does not exist.`);
      out.push(fileObject(paths, real, rel, st.size));
    } else {
      const key = base.key + entry;
      const meta = await objects.headObject(base.bucket, key);
      if (!meta) throw TerminalFailure.client(`Manifest entry s3://${base.bucket}/${key} does not exist.`);
      const bucket = base.bucket;
      out.push({ relPath: rel, size: meta.size, linkPath: meta.blobPath, open: async () => (await objects.getObject(bucket, key)).body });
    }
  }
  return out;
}

/**
 * The objects host `hostIndex` (0-based) of `hostCount` gets from a channel. Throws TerminalFailure
 * when the source has no objects at all, as SageMaker fails such jobs before training, and when
 * a `file://` location is not inside a root `paths` allows.
 */
export async function channelObjects(
  objects: ObjectStore,
  src: S3DataSourceDoc,
  hostIndex: number,
  hostCount: number,
  paths: LocalPaths,
): Promise<SourceObject[]> {
  let all: SourceObject[];
  if (src.S3DataType === 'ManifestFile') all = await listManifest(objects, paths, src.S3Uri);
  else if (src.S3DataType === 'S3Prefix') all = await listUri(objects, paths, src.S3Uri);
  else throw TerminalFailure.client(`S3DataType ${src.S3DataType} is not supported by Slipway.`);
  if (all.length === 0) throw TerminalFailure.client(`No S3 objects found under S3 URL "${src.S3Uri}" given in input data source. Please ensure that the bucket exists in the selected region, that objects exist under that S3 prefix, and that the role has permission to read them.`);
  return src.S3DataDistributionType === 'ShardedByS3Key' ? shard(all, hostIndex, hostCount) : all;
}
