/** Unit tests of the local-path allow-list with real directories and symbolic links in a temp dir. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { splitPathList } from '../platform/config.js';
import { LocalPathError, LocalPaths } from './local-paths.js';

let base: string;
let inRoot: string;
let outRoot: string;
let outside: string;
const url = (p: string) => pathToFileURL(p).href;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'local-paths-'));
  inRoot = join(base, 'in');
  outRoot = join(base, 'out');
  outside = join(base, 'outside');
  for (const d of [inRoot, outRoot, outside]) mkdirSync(d);
  writeFileSync(join(inRoot, 'a.csv'), 'a');
  writeFileSync(join(outside, 'secret'), 's');
  symlinkSync(outside, join(inRoot, 'escape'));
  symlinkSync(join(outside, 'secret'), join(inRoot, 'secret-link'));
  symlinkSync(outside, join(outRoot, 'escape'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const policy = () => LocalPaths.from({ read: [inRoot], write: [outRoot] });

describe('LocalPaths', () => {
  it('allows nothing by default', () => {
    expect(LocalPaths.none.enabled).toBe(false);
    expect(LocalPaths.none.allowsUri(url(join(inRoot, 'a.csv')), 'read')).toBe(false);
    expect(LocalPaths.none.allowsUri('file:///', 'read')).toBe(false);
  });

  it('refuses to start with a relative, missing or non-directory root', () => {
    expect(() => LocalPaths.from({ read: ['relative/dir'] })).toThrow(/SLIPWAY_LOCAL_PATHS: relative\/dir is not an absolute path/);
    expect(() => LocalPaths.from({ write: [join(base, 'nope')] })).toThrow(/SLIPWAY_LOCAL_OUTPUT_PATHS: .* does not exist/);
    expect(() => LocalPaths.from({ read: [join(inRoot, 'a.csv')] })).toThrow(/is not a directory/);
  });

  it('splits lists on commas and colons', () => {
    expect(splitPathList(' /a, /b:/c ,')).toEqual(['/a', '/b', '/c']);
    expect(splitPathList(undefined)).toEqual([]);
  });

  it('judges URIs at the API: inputs under any root, outputs only under writable roots', () => {
    const p = policy();
    expect(p.allowsUri(url(join(inRoot, 'a.csv')), 'read')).toBe(true);
    expect(p.allowsUri(url(join(inRoot, 'not-yet')), 'read')).toBe(true);
    expect(p.allowsUri(url(join(outRoot, 'model.tar.gz')), 'read')).toBe(true);
    expect(p.allowsUri(url(join(outRoot, 'job', 'output')), 'write')).toBe(true);
    expect(p.allowsUri(url(join(inRoot, 'x')), 'write')).toBe(false);
    expect(p.allowsUri(url(join(outside, 'secret')), 'read')).toBe(false);
    expect(p.allowsUri(`file://${inRoot}/../outside/secret`, 'read')).toBe(false);
    expect(p.allowsUri(url(join(inRoot, 'escape', 'secret')), 'read')).toBe(false);
    expect(p.allowsUri(url(join(inRoot, 'secret-link')), 'read')).toBe(false);
    expect(p.allowsUri(url(join(outRoot, 'escape', 'new', 'file')), 'write')).toBe(false);
    expect(p.allowsUri('s3://b/k', 'read')).toBe(false);
  });

  it('resolves reads to real paths inside a root and refuses links that leave it', async () => {
    const p = policy();
    expect(await p.resolveRead(join(inRoot, 'a.csv'))).toBe(join(inRoot, 'a.csv'));
    await expect(p.resolveRead(join(inRoot, 'secret-link'))).rejects.toThrow(/secret-link leads to .*outside\/secret, which is not inside a host directory the operator allowed/);
    await expect(p.resolveRead(join(inRoot, 'escape'))).rejects.toBeInstanceOf(LocalPathError);
    await expect(p.resolveRead(join(outside, 'secret'))).rejects.toThrow(/SLIPWAY_LOCAL_PATHS/);
    await expect(p.resolveRead(join(inRoot, 'missing'))).rejects.toMatchObject({ kind: 'missing' });
    await expect(p.checkFound(join(inRoot, 'secret-link'))).rejects.toThrow(/is a symbolic link to/);
  });

  it('writes only inside writable roots, never through a link', async () => {
    const p = policy();
    const ws = await p.createWriteStream(join(outRoot, 'job', 'output', 'model.tar.gz'));
    await new Promise<void>((resolve, reject) => ws.end('model', (err?: Error | null) => (err ? reject(err) : resolve())));
    expect(readFileSync(join(outRoot, 'job', 'output', 'model.tar.gz'), 'utf8')).toBe('model');

    await expect(p.createWriteStream(join(inRoot, 'x'))).rejects.toThrow(/SLIPWAY_LOCAL_OUTPUT_PATHS/);
    await expect(p.createWriteStream(join(outRoot, 'escape', 'sub', 'pwn.txt'))).rejects.toThrow(/leads to/);
    expect(existsSync(join(outside, 'sub'))).toBe(false);
    symlinkSync(join(outside, 'secret'), join(outRoot, 'planted'));
    await expect(p.createWriteStream(join(outRoot, 'planted'))).rejects.toThrow(/not a regular file/);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('s');
  });
});
