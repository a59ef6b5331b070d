/** Unit tests of the model cache's archive checks, with real files in a temp dir and a file:// source. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../storage/object-store.js';
import { ModelCache, ModelDataError } from './model-cache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'model-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tarball(name: string, entries: { name: string; data?: string; symlinkTo?: string; hardlinkTo?: string }[]): string {
  const path = join(dir, name);
  execFileSync('python3', [
    '-c',
    `
import io, json, sys, tarfile
entries = json.loads(sys.argv[1])
with tarfile.open(sys.argv[2], mode='w:gz') as t:
    for e in entries:
        ti = tarfile.TarInfo(e['name'])
        if e.get('symlinkTo'):
            ti.type = tarfile.SYMTYPE; ti.linkname = e['symlinkTo']; t.addfile(ti)
        elif e.get('hardlinkTo'):
            ti.type = tarfile.LNKTYPE; ti.linkname = e['hardlinkTo']; t.addfile(ti)
        else:
            data = e.get('data', '').encode(); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
`,
    JSON.stringify(entries),
    path,
  ]);
  return pathToFileURL(path).href;
}

const noObjects = {} as ObjectStore;
const cacheDir = () => join(dir, 'cache');

describe('ModelCache', () => {
  it('extracts an archive once and returns the same directory for the same artifact', async () => {
    const url = tarball('good.tar.gz', [{ name: 'model.json', data: '{}' }, { name: 'a/b.txt', data: 'b' }, { name: 'link', symlinkTo: 'a/b.txt' }]);
    const cache = new ModelCache({ cacheDir: cacheDir(), objects: noObjects });
    const [d1, d2] = await Promise.all([cache.prepare(url), cache.prepare(url)]);
    expect(d1).toBe(d2);
    expect(readFileSync(join(d1, 'a/b.txt'), 'utf8')).toBe('b');
    expect(readFileSync(join(d1, 'link'), 'utf8')).toBe('b');
    expect(readdirSync(cacheDir())).toHaveLength(1);
  });

  it.each([
    ['a ../ entry', [{ name: '../x', data: 'x' }], /escapes the model directory/],
    ['a nested ../ entry', [{ name: 'a/../../x', data: 'x' }], /escapes the model directory/],
    ['an absolute path', [{ name: '/tmp/abs-x', data: 'x' }], /absolute path/],
    ['a symlink to /etc', [{ name: 'etc', symlinkTo: '/etc' }], /symbolic link to "\/etc"/],
    ['a relative symlink out', [{ name: 'a/up', symlinkTo: '../../..' }], /symbolic link/],
    ['a hard link out', [{ name: 'h', hardlinkTo: '../../etc/passwd' }], /hard link/],
  ])('rejects %s and leaves nothing behind', async (_what, entries, reason) => {
    const url = tarball('evil.tar.gz', [{ name: 'ok.txt', data: 'ok' }, ...entries]);
    const cache = new ModelCache({ cacheDir: cacheDir(), objects: noObjects });
    const err = await cache.prepare(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelDataError);
    expect((err as Error).message).toMatch(reason);
    expect(readdirSync(cacheDir())).toEqual([]);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect(existsSync('/tmp/abs-x')).toBe(false);
  });

  it('rejects archives larger than the size bound', async () => {
    const url = tarball('big.tar.gz', [{ name: 'a', data: 'x'.repeat(600) }, { name: 'b', data: 'y'.repeat(600) }]);
    const cache = new ModelCache({ cacheDir: cacheDir(), objects: noObjects, maxBytes: 1000 });
    await expect(cache.prepare(url)).rejects.toThrow(/exceeds the limit of 1000 bytes/);
  });

  it('rejects data that is not a tar.gz', async () => {
    const p = join(dir, 'junk.tar.gz');
    writeFileSync(p, 'definitely not a tarball'.repeat(100));
    const cache = new ModelCache({ cacheDir: cacheDir(), objects: noObjects });
    await expect(cache.prepare(pathToFileURL(p).href)).rejects.toThrow(ModelDataError);
  });
});
