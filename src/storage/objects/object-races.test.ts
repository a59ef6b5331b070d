/**
 * Interleavings that exist now that the object store's statements await and replicas share one
 * database: two stores (two connections or pools, as two replicas) over one blob directory, on
 * SQLite and on PostgreSQL. Each case checks what no interleaving may break: one blob per object
 * (none leaked, none removed while named), typed S3 errors only, conditions honoured.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { BlobDirectory } from '../blobs/blob-directory.js';
import { SqlObjectStore } from './sql-object-store.js';

const body = (s: string) => Readable.from([Buffer.from(s)]);

async function read(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Rejections must be typed S3 errors with one of `codes` (never a foreign-key or driver error). */
function expectOnly(results: PromiseSettledResult<unknown>[], codes: string[]): void {
  for (const r of results) if (r.status === 'rejected') expect(codes).toContain((r.reason as { code?: string }).code);
}

forEachBackend((backend) => {
  let dir: string;
  let a: SqlObjectStore;
  let b: SqlObjectStore;

  const blobFiles = () => {
    const root = join(dir, 'objects', 'blobs');
    return readdirSync(root).flatMap((d) => readdirSync(join(root, d)));
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'objraces-'));
    const fresh = await backend.fresh();
    a = new SqlObjectStore(fresh.db, join(dir, 'objects'));
    b = new SqlObjectStore(await fresh.open(), join(dir, 'objects'));
    await Promise.all([a.recovered, b.recovered]);
    await a.createBucket('b');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('object store races', () => {
    it('keeps exactly one blob, the committed one, when two replicas write one key at once', async () => {
      const writes = Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).putObject('b', 'k', body(`value ${i}`)));
      await Promise.all(writes);
      const got = await a.getObject('b', 'k');
      const text = await read(got.body);
      expect(text).toMatch(/^value \d+$/);
      expect(got.meta.etag).toBe(`"${createHash('md5').update(text).digest('hex')}"`);
      expect(blobFiles()).toEqual([got.meta.blobPath.split('/').pop()]);
    });

    it('lets exactly one conditional create (If-None-Match: *) win across replicas', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).writeObject('b', 'once', body(`try ${i}`), { ifNoneMatch: '*' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expectOnly(results, ['PreconditionFailed']);
      expect(blobFiles()).toHaveLength(1);
    });

    it('orders a DeleteBucket racing PUTs: the bucket goes with no objects, or stays with them', async () => {
      for (let round = 0; round < 6; round++) {
        const name = `race-${round}`;
        await a.createBucket(name);
        const puts = Array.from({ length: 4 }, (_, i) => (i % 2 ? a : b).putObject(name, `k${i}`, body('x'.repeat(1000 * round))));
        const results = await Promise.allSettled([...puts, b.deleteBucket(name)]);
        expectOnly(results, ['NoSuchBucket', 'BucketNotEmpty']);
        const deleted = results[4]!.status === 'fulfilled';
        expect(await a.bucketExists(name)).toBe(!deleted);
        const written = results.slice(0, 4).filter((r) => r.status === 'fulfilled').length;
        if (deleted) expect(written).toBe(0);
        else expect((await a.listObjects(name, { prefix: '', maxKeys: 100 })).contents).toHaveLength(written);
        // Cleanup for the blob count below.
        for (let i = 0; i < 4; i++) await a.deleteObject(name, `k${i}`).catch(() => undefined);
        await a.deleteBucket(name).catch(() => undefined);
      }
      expect(blobFiles()).toEqual([]);
    });

    it('lets no part land in an upload being completed (its blob would leak) and answers NoSuchUpload after', async () => {
      for (let round = 0; round < 5; round++) {
        const up = await a.createMultipartUpload('b', 'mp', {});
        const p1 = await a.uploadPart('b', 'mp', up.uploadId, 1, body('only part'));
        const results = await Promise.allSettled([
          a.completeMultipartUpload('b', 'mp', up.uploadId, [{ partNumber: 1, etag: p1.etag }]),
          b.uploadPart('b', 'mp', up.uploadId, 2, body('late part')),
          b.uploadPart('b', 'mp', up.uploadId, 1, body('only part')),
        ]);
        expect(results[0]!.status).toBe('fulfilled');
        expectOnly(results, ['NoSuchUpload']);
        expect(await read((await a.getObject('b', 'mp')).body)).toBe('only part');
        expect(blobFiles()).toHaveLength(1);
      }
    });

    it('refuses a part list whose part was replaced with other bytes while completing', async () => {
      const up = await a.createMultipartUpload('b', 'mp2', {});
      const p1 = await a.uploadPart('b', 'mp2', up.uploadId, 1, body('first bytes'));
      await b.uploadPart('b', 'mp2', up.uploadId, 1, body('other bytes'));
      await expect(a.completeMultipartUpload('b', 'mp2', up.uploadId, [{ partNumber: 1, etag: p1.etag }])).rejects.toMatchObject({ code: 'InvalidPart' });
      await a.abortMultipartUpload('b', 'mp2', up.uploadId);
      expect(blobFiles()).toEqual([]);
    });

    it('writes that start while the startup sweep runs wait for it (it would remove their unfinished blobs)', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      class SlowSweep extends BlobDirectory {
        override async sweep(isReferenced: (id: string) => boolean | Promise<boolean>): Promise<{ removed: number }> {
          await gate;
          return super.sweep(isReferenced);
        }
      }
      const root = join(dir, 'objects');
      const restarted = new SqlObjectStore((a as unknown as { db: never }).db, root, new SlowSweep(root));
      const put = restarted.putObject('b', 'during-sweep', body('kept'));
      await new Promise((r) => setTimeout(r, 200));
      expect(readdirSync(join(root, 'tmp'))).toEqual([]);
      expect(blobFiles()).toEqual([]);
      release();
      const stored = await put;
      expect(existsSync(stored.blobPath)).toBe(true);
      expect(await read((await restarted.getObject('b', 'during-sweep')).body)).toBe('kept');
    });

    it('lists in UTF-8 byte order, by pages and by prefix, and refuses keys with U+0000', async () => {
      const keys = ['z', 'a\u0080', 'a/b', '\u{1F600}', 'a', '\uFB00', 'a\u007f', 'é', 'a/c/d'];
      for (const k of keys) await a.putObject('b', k, body(k));
      const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const all: string[] = [];
      for await (const o of b.listAll('b', '')) all.push(o.key);
      expect(all).toEqual(expected);
      const paged: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 20; i++) {
        const p = await b.listObjects('b', { prefix: '', maxKeys: 2, ...(after !== undefined ? { after } : {}) });
        paged.push(...p.contents.map((c) => c.key));
        if (!p.isTruncated) break;
        after = p.last;
      }
      expect(paged).toEqual(expected);
      const grouped = await b.listObjects('b', { prefix: 'a', delimiter: '/', maxKeys: 100 });
      expect(grouped.contents.map((c) => c.key)).toEqual(['a', 'a\u007f', 'a\u0080']);
      expect(grouped.commonPrefixes).toEqual(['a/']);
      const pastGroup = await b.listObjects('b', { prefix: 'a', delimiter: '/', maxKeys: 100, after: 'a/b' });
      expect(pastGroup.contents.map((c) => c.key)).toEqual(['a\u007f', 'a\u0080']);
      const beyond = await b.listObjects('b', { prefix: '\u{1F600}', maxKeys: 100 });
      expect(beyond.contents.map((c) => c.key)).toEqual(['\u{1F600}']);
      await expect(a.putObject('b', 'nul\u0000key', body('x'))).rejects.toMatchObject({ code: 'InvalidArgument', statusCode: 400 });
      expect((await b.listObjects('b', { prefix: '', maxKeys: 100, after: 'a\u0000' })).contents.map((c) => c.key)).toEqual(expected.slice(1));
    });
  });
});
