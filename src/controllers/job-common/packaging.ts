/**
 * @module controllers/job-common/packaging — /opt/ml/model and /opt/ml/output/data →
 * `model.tar.gz` / `output.tar.gz`, streamed tar+gzip straight into the object store (or a
 * `file://` destination), plus the uncompressed upload for CompressionType NONE and the
 * checkpoint sync. Multi-host outputs are merged (later hosts win on clashes, contract §3.4).
 */
import { createReadStream } from 'node:fs';
import { link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { create as tarCreate } from 'tar';
import { LocalPathError, type LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { joinUri, parseDataUri } from '../../resources/s3-uri.js';
import { TerminalFailure } from '../terminal-failure.js';

/** Every regular file under `dir` as `/`-separated relative paths (empty when `dir` is missing). */
export async function listFiles(dir: string): Promise<{ rel: string; path: string; size: number; mtimeMs: number }[]> {
  const out: { rel: string; path: string; size: number; mtimeMs: number }[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await stat(p).catch(() => undefined);
        if (st) out.push({ rel: relative(dir, p).split(sep).join('/'), path: p, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/**
 * One directory holding the union of `dirs` (hard links; later dirs overwrite earlier ones).
 * With a single directory it is returned as is.
 */
export async function mergeDirs(dirs: string[], into: string): Promise<string> {
  if (dirs.length === 1) return dirs[0]!;
  await rm(into, { recursive: true, force: true });
  await mkdir(into, { recursive: true });
  for (const d of dirs) {
    for (const f of await listFiles(d)) {
      const dest = join(into, ...f.rel.split('/'));
      await mkdir(dirname(dest), { recursive: true });
      await rm(dest, { force: true });
      await link(f.path, dest);
    }
  }
  return into;
}

/** A tar.gz stream of the directory's contents, entry names relative to it (`model.pkl`, not `./model.pkl`). */
export async function tarGzStream(dir: string): Promise<Readable> {
  const top = await readdir(dir).catch(() => [] as string[]);
  // tar refuses an empty path list; write what `tar czf x.tgz -T /dev/null` writes (10 KiB of zeros).
  if (top.length === 0) return Readable.from([gzipSync(Buffer.alloc(10240))]);
  const pack = tarCreate({ gzip: true, cwd: dir, portable: true }, top.sort());
  // Minipass → a Node stream with backpressure (Readable.from over its async iterator stalls
  // inside stream.pipeline).
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  pack.on('error', (err: unknown) => out.destroy(err as Error));
  pack.pipe(out);
  return out;
}

/** Where outputs go: the object store, and the host directories the operator allowed for `file://`. */
export interface OutputTarget {
  objects: ObjectStore;
  paths: LocalPaths;
}

/**
 * Writes a stream to `s3://bucket/key` in the store, or to a file for a `file://` destination
 * inside a writable root (a TerminalFailure otherwise: the job fails with the reason).
 */
export async function putToUri(to: OutputTarget, uri: string, body: Readable, contentType?: string): Promise<void> {
  const loc = parseDataUri(uri);
  if (!loc) throw TerminalFailure.client(`Invalid output location ${uri}.`);
  const objects = to.objects;
  if (loc.scheme === 'file') {
    let out;
    try {
      out = await to.paths.createWriteStream(loc.path);
    } catch (err) {
      body.destroy();
      if (err instanceof LocalPathError) throw TerminalFailure.client(err.message);
      throw err;
    }
    await pipeline(body, out);
    return;
  }
  if (!(await objects.bucketExists(loc.bucket))) {
    body.destroy();
    throw TerminalFailure.client(`Please ensure that the bucket ${loc.bucket} given in S3OutputPath exists (${uri}).`);
  }
  await objects.putObject(loc.bucket, loc.key, body, contentType ? { contentType } : undefined);
}

/** Packs `dir` into `uri` as tar.gz. */
export async function uploadTarGz(to: OutputTarget, dir: string, uri: string): Promise<void> {
  await putToUri(to, uri, await tarGzStream(dir), 'application/x-tar');
}

/** Uploads each file of `dir` under the prefix `uri` (CompressionType NONE, checkpoints). */
export async function uploadTree(
  to: OutputTarget,
  dir: string,
  uri: string,
  changedOnly?: Map<string, string>,
): Promise<number> {
  let n = 0;
  for (const f of await listFiles(dir)) {
    const sig = `${f.size}:${f.mtimeMs}`;
    if (changedOnly && changedOnly.get(f.rel) === sig) continue;
    await putToUri(to, joinUri(uri, f.rel), createReadStream(f.path));
    changedOnly?.set(f.rel, sig);
    n++;
  }
  return n;
}
