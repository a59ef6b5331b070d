import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import type { SqlDb } from '../sql/sql-db.js';
import { prefixUpperBound, SqlObjectStore } from './sql-object-store.js';
import { BlobDirectory } from '../blobs/blob-directory.js';
import { BlobMissing } from '../blobs/blob-store.js';

const body = (s: string) => Readable.from([Buffer.from(s)]);

async function read(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('prefixUpperBound', () => {
  it('is the smallest byte string above every extension of the prefix', () => {
    expect(prefixUpperBound('a/')).toEqual(Buffer.from('a0'));
    expect(prefixUpperBound('é')).toEqual(Buffer.from([0xc3, 0xaa]));
  });
});

/**
 * A blob store that opens asynchronously, as a foreign one does: before it opens, `meanwhile`
 * runs (another request), and a blob gone by then is BlobMissing.
 */
class LateOpening extends BlobDirectory {
  meanwhile: (() => Promise<void>) | undefined;
  override async open(id: string, range?: { start: number; end: number }): Promise<Readable> {
    const run = this.meanwhile;
    this.meanwhile = undefined;
    await run?.();
    if (!existsSync(this.pathOf(id))) throw new BlobMissing(id);
    return super.open(id, range);
  }
}

// The same cases on SQLite and on PostgreSQL (test/helpers/backends).
forEachBackend((backend) => {
  let dir: string;
  let db: SqlDb;
  let store: SqlObjectStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'objstore-'));
    db = (await backend.fresh()).db;
    store = new SqlObjectStore(db, join(dir, 'objects'));
    await store.createBucket('b');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('SqlObjectStore', () => {
    it('lists with delimiter and pages through common prefixes without repeating them', async () => {
      for (const k of ['a/1', 'a/2', 'b', 'c/x/1', 'c/y', 'd']) await store.putObject('b', k, body(k));
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const p = await store.listObjects('b', { prefix: '', delimiter: '/', maxKeys: 2, ...(after !== undefined ? { after } : {}) });
        pages.push([...p.contents.map((c) => c.key), ...p.commonPrefixes].sort());
        if (!p.isTruncated) break;
        after = p.last;
      }
      expect(pages).toEqual([
        ['a/', 'b'],
        ['c/', 'd'],
      ]);
      const sub = await store.listObjects('b', { prefix: 'c/', delimiter: '/', maxKeys: 1000 });
      expect(sub.contents.map((c) => c.key)).toEqual(['c/y']);
      expect(sub.commonPrefixes).toEqual(['c/x/']);
      const all = [];
      for await (const o of store.listAll('b', '')) all.push(o.key);
      expect(all).toEqual(['a/1', 'a/2', 'b', 'c/x/1', 'c/y', 'd']);
    });

    it('replaces atomically, keeps hard-linked staging copies and unlinks the old blob', async () => {
      const v1 = await store.putObject('b', 'k', body('one'));
      const staged = join(dir, 'staged');
      linkSync(v1.blobPath, staged);
      const v2 = await store.putObject('b', 'k', body('two'));
      expect(v2.blobPath).not.toBe(v1.blobPath);
      expect(existsSync(v1.blobPath)).toBe(false);
      expect(readFileSync(staged, 'utf8')).toBe('one');
      expect(await read((await store.getObject('b', 'k')).body)).toBe('two');
      expect(await read((await store.getObject('b', 'k', { start: 1, end: 1 })).body)).toBe('w');
    });

    it('discards a write whose beforeCommit check throws', async () => {
      await store.putObject('b', 'k', body('keep'));
      await expect(
        store.writeObject('b', 'k', body('bad'), {
          beforeCommit: () => {
            throw new Error('BadDigest');
          },
        }),
      ).rejects.toThrow('BadDigest');
      expect(await read((await store.getObject('b', 'k')).body)).toBe('keep');
      expect(readdirSync(join(dir, 'objects', 'blobs')).flatMap((d) => readdirSync(join(dir, 'objects', 'blobs', d)))).toHaveLength(1);
    });

    it('recovers from crash leftovers on open', async () => {
      const kept = await store.putObject('b', 'k', body('keep'));
      writeFileSync(join(dir, 'objects', 'tmp', 'deadbeef'), 'partial');
      const orphan = (store.blobs as BlobDirectory).linkSync(kept.blobPath); // a blob no row names
      const reopened = new SqlObjectStore(db, join(dir, 'objects'));
      await reopened.recovered;
      expect(existsSync(orphan.path)).toBe(false);
      expect(readdirSync(join(dir, 'objects', 'tmp'))).toEqual([]);
      expect(await read((await reopened.getObject('b', 'k')).body)).toBe('keep');
    });

    it('throws typed errors', async () => {
      await expect(store.getObject('b', 'missing')).rejects.toMatchObject({ code: 'NoSuchKey', statusCode: 404 });
      await expect(store.getObject('nob', 'k')).rejects.toMatchObject({ code: 'NoSuchBucket' });
      await expect(store.createBucket('b')).rejects.toMatchObject({ code: 'BucketAlreadyOwnedByYou' });
      await store.putObject('b', 'k', body('x'));
      await expect(store.deleteBucket('b')).rejects.toMatchObject({ code: 'BucketNotEmpty' });
      await expect(store.putObject('b', 'x'.repeat(1025), body('x'))).rejects.toMatchObject({ code: 'KeyTooLongError' });
    });

    it("keeps SSE-C objects encrypted on disk and refuses them to Slipway's own readers (no key)", async () => {
      const key = { key: Buffer.alloc(32, 7), keyMd5: 'unused-here' };
      const obj = await store.writeObject('b', 'in/secret.csv', body('plain words'), { sse: { customer: key } });
      expect(readFileSync(obj.blobPath, 'utf8')).not.toContain('plain words');
      expect(obj.sse?.kind).toBe('customer');
      await expect(store.getObject('b', 'in/secret.csv')).rejects.toMatchObject({ code: 'AccessDenied', statusCode: 403 });
      await expect(store.headObject('b', 'in/secret.csv')).rejects.toMatchObject({ code: 'AccessDenied' });
      const listing = async () => {
        for await (const o of store.listAll('b', 'in/')) void o;
      };
      await expect(listing()).rejects.toMatchObject({ code: 'AccessDenied' });
      expect((await store.statObject('b', 'in/secret.csv'))?.size).toBe('plain words'.length);
    });

    it('encrypts SSE-S3 objects with the server key and decrypts them for its own readers, without a file to link', async () => {
      const stored = await store.writeObject('b', 'in/s3.csv', body('server side words'), { sse: { s3: true } });
      expect(readFileSync(stored.blobPath, 'utf8')).not.toContain('server side words');
      const seen = await store.headObject('b', 'in/s3.csv');
      expect(seen?.blobPath).toBe('');
      expect(await read((await store.getObject('b', 'in/s3.csv')).body)).toBe('server side words');
      expect(await read((await store.getObject('b', 'in/s3.csv', { start: 7, end: 10 })).body)).toBe('side');
      const listed = [];
      for await (const o of store.listAll('b', 'in/')) listed.push([o.key, o.blobPath]);
      expect(listed).toEqual([['in/s3.csv', '']]);
      // The same key after a restart (it lives in a file beside the blobs).
      const reopened = new SqlObjectStore(db, join(dir, 'objects'));
      expect(await read((await reopened.getObject('b', 'in/s3.csv')).body)).toBe('server side words');
    });
  });

  describe('SqlObjectStore over a blob store that opens late', () => {
    it('reads the new object when the one it looked up was replaced before its bytes opened', async () => {
      const blobs = new LateOpening(join(dir, 'late'));
      const late = new SqlObjectStore(db, join(dir, 'late'), blobs);
      await late.putObject('b', 'k', body('old'));
      blobs.meanwhile = async () => void (await late.putObject('b', 'k', body('new')));
      expect(await read((await late.getObject('b', 'k')).body)).toBe('new');
      blobs.meanwhile = () => late.deleteObject('b', 'k');
      await expect(late.getObject('b', 'k')).rejects.toMatchObject({ code: 'NoSuchKey' });
    });

    it('answers InternalError when the row still names bytes the store lost', async () => {
      const blobs = new LateOpening(join(dir, 'late'));
      const late = new SqlObjectStore(db, join(dir, 'late'), blobs);
      const obj = await late.putObject('b', 'k', body('bytes'));
      rmSync(obj.blobPath);
      await expect(late.getObject('b', 'k')).rejects.toMatchObject({ code: 'InternalError', statusCode: 500 });
    });

    it('copies what the source key holds when its blob was replaced before the copy', async () => {
      const blobs = new LateOpening(join(dir, 'late'));
      const late = new SqlObjectStore(db, join(dir, 'late'), blobs);
      await late.putObject('b', 'src', body('v1'));
      const copy = blobs.copy.bind(blobs);
      let first = true;
      blobs.copy = async (id: string) => {
        if (first) {
          first = false;
          await late.putObject('b', 'src', body('v2'));
          throw new BlobMissing(id);
        }
        return copy(id);
      };
      await late.copyObject('b', 'src', 'b', 'dst', { metadataDirective: 'COPY' });
      expect(await read((await late.getObject('b', 'dst')).body)).toBe('v2');
    });
  });
});
