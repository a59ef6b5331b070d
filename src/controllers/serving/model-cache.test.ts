/**
 * The model cache on real files: archives built here with Python's tarfile (which writes whatever
 * a hostile archive holds), extracted by the real worker thread into a temp dir, sourced through
 * `file://` under an allowed root. The event loop is sampled during extraction to show it never
 * stalls.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttemptLedger } from '../../storage/attempt-ledger.js';
import { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { MAX_INTERRUPTED, ModelCache, ModelDataError } from './model-cache.js';

let dir: string;
let data: string;
let outside: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'model-cache-'));
  data = join(dir, 'data');
  outside = join(dir, 'outside');
  mkdirSync(data);
  mkdirSync(outside);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Entry {
  name: string;
  data?: string;
  symlinkTo?: string;
  hardlinkTo?: string;
  type?: 'fifo' | 'chr' | 'blk' | 'dir';
  /** Declared size without data behind it (a truncated or lying header). */
  declaredSize?: number;
}

/** Writes an archive with Python's tarfile; `script` may append raw bytes (bombs) to the tar. */
function tarball(name: string, entries: Entry[], opts: { zeroTrailer?: number; manyEmpty?: number; zeroFile?: number; gzipTwice?: boolean; plain?: boolean; truncateTo?: number } = {}): string {
  const path = join(data, name);
  execFileSync('python3', [
    '-c',
    `
import gzip, io, json, sys, tarfile
entries, opts = json.loads(sys.argv[1]), json.loads(sys.argv[3])
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w') as t:
    for e in entries:
        ti = tarfile.TarInfo(e['name'])
        kind = e.get('type')
        if e.get('symlinkTo'):
            ti.type = tarfile.SYMTYPE; ti.linkname = e['symlinkTo']; t.addfile(ti)
        elif e.get('hardlinkTo'):
            ti.type = tarfile.LNKTYPE; ti.linkname = e['hardlinkTo']; t.addfile(ti)
        elif kind:
            ti.type = {'fifo': tarfile.FIFOTYPE, 'chr': tarfile.CHRTYPE, 'blk': tarfile.BLKTYPE, 'dir': tarfile.DIRTYPE}[kind]; t.addfile(ti)
        elif 'declaredSize' in e:
            ti.size = e['declaredSize']; t.addfile(ti)  # header only: no data follows
        else:
            data = e.get('data', '').encode(); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    for i in range(opts.get('manyEmpty', 0)):
        ti = tarfile.TarInfo('many/%d' % i); t.addfile(ti, io.BytesIO(b''))
    if opts.get('zeroFile'):
        ti = tarfile.TarInfo('zeros.bin'); ti.size = opts['zeroFile']; t.addfile(ti, io.BytesIO(b'\\0' * opts['zeroFile']))
raw = buf.getvalue() + b'\\0' * opts.get('zeroTrailer', 0)
if opts.get('truncateTo'): raw = raw[:opts['truncateTo']]
out = raw if opts.get('plain') else gzip.compress(raw)
if opts.get('gzipTwice'): out = gzip.compress(out)
open(sys.argv[2], 'wb').write(out)
`,
    JSON.stringify(entries),
    path,
    JSON.stringify(opts),
  ]);
  return pathToFileURL(path).href;
}

const noObjects = {} as ObjectStore;
const cacheDir = () => join(dir, 'cache');
const cache = (o: { maxBytes?: number; maxEntries?: number } = {}) => new ModelCache({ cacheDir: cacheDir(), objects: noObjects, paths: LocalPaths.from({ read: [data] }), ...o });
const prepare = (c: ModelCache, url: string, timeoutSeconds = 60) => c.prepare(url, { timeoutSeconds });

/** Runs `fn` while sampling event-loop delay every 10 ms; returns its result and the worst delay. */
async function withLoopWatch<T>(fn: () => Promise<T>): Promise<{ result: T; worstDelayMs: number }> {
  let worst = 0;
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  try {
    const result = await fn();
    return { result, worstDelayMs: worst };
  } finally {
    clearInterval(t);
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelDataError);
  return err as Error;
}

const leftovers = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()) : []);

describe('ModelCache', () => {
  it('extracts an archive once and returns the same directory for the same artifact', async () => {
    const url = tarball('good.tar.gz', [{ name: 'model.json', data: '{}' }, { name: 'a/b.txt', data: 'b' }, { name: 'link', symlinkTo: 'a/b.txt' }, { name: 'a/up', symlinkTo: '../model.json' }]);
    const c = cache();
    const [d1, d2] = await Promise.all([prepare(c, url), prepare(c, url)]);
    expect(d1).toBe(d2);
    expect(readFileSync(join(d1, 'a/b.txt'), 'utf8')).toBe('b');
    expect(readFileSync(join(d1, 'link'), 'utf8')).toBe('b');
    expect(readFileSync(join(d1, 'a/up'), 'utf8')).toBe('{}');
    expect(readdirSync(cacheDir())).toHaveLength(1);
  });

  it('extracts an uncompressed tar as well', async () => {
    const url = tarball('plain.tar', [{ name: 'model.json', data: '{"p":1}' }], { plain: true });
    expect(readFileSync(join(await prepare(cache(), url), 'model.json'), 'utf8')).toBe('{"p":1}');
  });

  it.each([
    ['a ../ entry', [{ name: '../x', data: 'x' }], /entry "..\/x" escapes the model directory/],
    ['a nested ../ entry', [{ name: 'a/../../x', data: 'x' }], /escapes the model directory/],
    ['an absolute path', [{ name: '/tmp/abs-x', data: 'x' }], /absolute path/],
    ['a symlink to /etc', [{ name: 'etc', symlinkTo: '/etc' }], /symbolic link to "\/etc", outside the model directory/],
    ['a relative symlink out', [{ name: 'a/up', symlinkTo: '../../..' }], /symbolic link to "..\/..\/..", outside/],
    ['a symlink that climbs out and back', [{ name: 'x', symlinkTo: '../model-cache-copy/x' }], /symbolic link/],
    ['a hard link out', [{ name: 'h', hardlinkTo: '../../etc/passwd' }], /hard link to "..\/..\/etc\/passwd", outside/],
    ['a hard link to an absolute path', [{ name: 'h', hardlinkTo: '/etc/passwd' }], /hard link to "\/etc\/passwd"/],
    ['a hard link through a link to "."', [{ name: 'a', symlinkTo: '.' }, { name: 'h', hardlinkTo: 'a/../outside/secret' }], /hard link/],
    ['a FIFO', [{ name: 'pipe', type: 'fifo' }], /entry "pipe" is a FIFO, which model data may not contain/],
    ['a character device', [{ name: 'null', type: 'chr' }], /is a CharacterDevice/],
    ['a block device', [{ name: 'sda', type: 'blk' }], /is a BlockDevice/],
  ] as [string, Entry[], RegExp][])('rejects %s and leaves nothing behind', async (_what, entries, reason) => {
    writeFileSync(join(outside, 'secret'), 'secret');
    const url = tarball('evil.tar.gz', [{ name: 'ok.txt', data: 'ok' }, ...entries]);
    const err = await rejection(prepare(cache(), url));
    expect(err.message).toMatch(reason);
    expect(leftovers()).toEqual([]);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect(existsSync('/tmp/abs-x')).toBe(false);
    expect(readdirSync(outside)).toEqual(['secret']);
  });

  it('refuses a link that would climb out through another link ("a -> ." then "b -> a/../outside")', async () => {
    // Lexically b stays inside (a/../outside = outside); on disk a/.. is the cache directory.
    const url = tarball('through.tar.gz', [{ name: 'a', symlinkTo: '.' }, { name: 'b', symlinkTo: 'a/../outside' }]);
    expect((await rejection(prepare(cache(), url))).message).toMatch(/entry "b" is a symbolic link to "a\/..\/outside", which has ".." after a name/);
    expect(readdirSync(outside)).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('counts decompressed bytes, not only entry sizes: the 203 KB gzip of 200 MiB of zeros fails fast and never blocks the loop', async () => {
    // gzip.compress(b'\0' * 200 MiB): an empty archive followed by zeros; node-tar alone froze here.
    const path = join(data, 'bomb.tar.gz');
    execFileSync('python3', ['-c', `import gzip; open('${path}', 'wb').write(gzip.compress(b'\\0' * (200 * 1024 * 1024)))`]);
    const url = pathToFileURL(path).href;
    const t0 = Date.now();
    const { result: err, worstDelayMs } = await withLoopWatch(() => rejection(prepare(cache(), url)));
    expect(err.message).toBe(`Model data ${url} was rejected: more than 1048576 bytes follow the tar end-of-archive marker (the limit); model data must be one tar.gz archive.`);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(worstDelayMs).toBeLessThan(200);
    expect(leftovers()).toEqual([]);

    const small = await rejection(prepare(cache({ maxBytes: 64 * 1024 * 1024 }), url));
    expect(small.message).toMatch(/more than 1048576 bytes follow|decompresses to more than 67108864 bytes/);
  });

  it('accepts the zero padding tar writers put after the end-of-archive marker', async () => {
    const url = tarball('padded.tar.gz', [{ name: 'm', data: 'ok' }], { zeroTrailer: 512 * 1024 });
    expect(readFileSync(join(await prepare(cache(), url), 'm'), 'utf8')).toBe('ok');
  });

  it('fails an archive whose content decompresses beyond SLIPWAY_MODEL_DATA_MAX_BYTES', async () => {
    const url = tarball('zeros.tar.gz', [], { zeroFile: 8 * 1024 * 1024 });
    const err = await rejection(prepare(cache({ maxBytes: 4 * 1024 * 1024 }), url));
    expect(err.message).toMatch(/its files add up to more than 4194304 bytes, the limit \(SLIPWAY_MODEL_DATA_MAX_BYTES\)\.$/);
    expect(leftovers()).toEqual([]);
  });

  it('fails an entry declaring a huge size before writing it', async () => {
    const url = tarball('liar.tar.gz', [{ name: 'huge.bin', declaredSize: 50 * 1024 ** 3 }]);
    const err = await rejection(prepare(cache(), url));
    expect(err.message).toMatch(/its files add up to more than 21474836480 bytes/);
  });

  it('fails a truncated archive with a readable reason', async () => {
    const url = tarball('short.tar.gz', [{ name: 'f.bin', data: 'x'.repeat(4096) }], { truncateTo: 512 + 1000 });
    const err = await rejection(prepare(cache({ maxBytes: 1024 ** 2 }), url));
    expect(err.message).toMatch(/could not be extracted as a tar.gz archive: .*(Truncated|unexpected end)/i);
  });

  it('fails many tiny entries beyond SLIPWAY_MODEL_DATA_MAX_ENTRIES', async () => {
    const url = tarball('many.tar.gz', [], { manyEmpty: 2000 });
    const err = await rejection(prepare(cache({ maxEntries: 500 }), url));
    expect(err.message).toMatch(/the archive has more than 500 entries \(SLIPWAY_MODEL_DATA_MAX_ENTRIES\)\.$/);
    expect(leftovers()).toEqual([]);
  });

  it('fails a gzip inside the gzip (a second compression layer)', async () => {
    const url = tarball('twice.tar.gz.gz', [{ name: 'm', data: 'x' }], { gzipTwice: true });
    expect((await rejection(prepare(cache(), url))).message).toMatch(/compressed again/);
  });

  it('fails data that is not a tar.gz', async () => {
    const p = join(data, 'junk.tar.gz');
    writeFileSync(p, 'definitely not a tarball'.repeat(100));
    await rejection(prepare(cache(), pathToFileURL(p).href));
  });

  it('stops an extraction at the time budget, off the main thread', async () => {
    const url = tarball('slow.tar.gz', [], { manyEmpty: 60_000 });
    const { result: err, worstDelayMs } = await withLoopWatch(() => rejection(prepare(cache(), url, 0.2)));
    expect(err.message).toBe(`Model data ${url} was rejected: extracting it took longer than 0.2 seconds (ModelDataDownloadTimeoutInSeconds).`);
    expect(worstDelayMs).toBeLessThan(200);
    expect(leftovers()).toEqual([]);
  });

  it('refuses file:// model data outside the allowed roots, also through a symlink', async () => {
    writeFileSync(join(outside, 'model.tar.gz'), 'x');
    symlinkSync(join(outside, 'model.tar.gz'), join(data, 'link.tar.gz'));
    const direct = await rejection(prepare(cache(), pathToFileURL(join(outside, 'model.tar.gz')).href));
    expect(direct.message).toMatch(/was refused: .* not inside a host directory the operator allowed/);
    const linked = await rejection(prepare(cache(), pathToFileURL(join(data, 'link.tar.gz')).href));
    expect(linked.message).toMatch(/link\.tar\.gz leads to .*outside\/model\.tar\.gz/);
    const none = await rejection(new ModelCache({ cacheDir: cacheDir(), objects: noObjects }).prepare(tarball('ok.tar.gz', [{ name: 'm', data: '1' }]), { timeoutSeconds: 60 }));
    expect(none.message).toMatch(/SLIPWAY_LOCAL_PATHS/);
  });

  it(`gives an artifact up after ${MAX_INTERRUPTED} extractions cut short by crashes, then lets a new attempt try`, async () => {
    const url = tarball('ok.tar.gz', [{ name: 'm', data: '1' }]);
    const attempts = join(dir, 'attempts');
    const ledger = new AttemptLedger(attempts);
    // What MAX_INTERRUPTED crashes mid-extraction leave behind: the attempt recorded, never ended.
    const c = new ModelCache({ cacheDir: cacheDir(), objects: noObjects, paths: LocalPaths.from({ read: [data] }), attemptsDir: attempts });
    await prepare(c, url); // learn the key
    const key = readdirSync(cacheDir())[0]!;
    rmSync(join(cacheDir(), key), { recursive: true });
    for (let i = 0; i < MAX_INTERRUPTED; i++) await ledger.begin(`model-data-${key}`);
    const err = await rejection(prepare(c, url));
    expect(err.message).toBe(`Extracting model data ${url} was cut short ${MAX_INTERRUPTED} times by the server stopping abnormally (crash or kill); it is not tried again. Check the archive, then create the endpoint again.`);
    expect(readdirSync(attempts)).toEqual([]);
    expect(existsSync(join(await prepare(c, url), 'm'))).toBe(true);
  });

  it('does not count an extraction stopped by shutdown against the artifact', async () => {
    const url = tarball('slow.tar.gz', [], { manyEmpty: 60_000 });
    const stop = new AbortController();
    const attempts = join(dir, 'attempts');
    const c = new ModelCache({ cacheDir: cacheDir(), objects: noObjects, paths: LocalPaths.from({ read: [data] }), attemptsDir: attempts, stopSignal: stop.signal });
    const p = prepare(c, url);
    setTimeout(() => stop.abort(), 100);
    await expect(p).rejects.toThrow(/server is shutting down/);
    expect(existsSync(attempts) ? readdirSync(attempts) : []).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('removes half-extracted directories a crashed process left', async () => {
    mkdirSync(join(cacheDir(), '.tmp-abc-1234', 'sub'), { recursive: true });
    await (await cache().removeLeftovers()).done;
    expect(leftovers()).toEqual([]);
  });
});
