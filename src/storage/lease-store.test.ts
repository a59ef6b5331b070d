/** Leases on both dialects: one statement claims, tokens fence, expiry hands work over. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseStore } from './lease-store.js';
import { SqlMetadataStore } from './metadata-store.js';
import { FencedError, withFence } from './fence.js';
import { migrateSql } from './sql/migrate.js';
import { PostgresSql } from './sql/postgres-sql.js';
import type { SqlDb } from './sql/sql-db.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../../test/helpers/postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function suite(name: string, open: () => Promise<SqlDb>, close: () => Promise<void>) {
  describe(`leases on ${name}`, () => {
    let sql: SqlDb;
    let leases: LeaseStore;
    let meta: SqlMetadataStore;
    beforeAll(async () => {
      sql = await open();
      leases = new LeaseStore(sql);
      meta = new SqlMetadataStore(sql);
    }, 60_000);
    afterAll(close);

    it('claims a free key, refuses it to another holder while live, hands it over when expired with a new token', async () => {
      expect((await leases.claim('training-job:a', 'A', 600))?.token).toBe(1);
      expect(await leases.claim('training-job:a', 'B', 600)).toBeUndefined();
      // The holder renewing keeps its token.
      expect((await leases.claim('training-job:a', 'A', 600))?.token).toBe(1);
      await sleep(700);
      expect((await leases.claim('training-job:a', 'B', 5_000))?.token).toBe(2);
      expect(await leases.claim('training-job:a', 'A', 600)).toBeUndefined();
      expect((await leases.get('training-job:a'))?.holder).toBe('B');
    });

    it('renews only what the holder still holds; release lets another take it at once', async () => {
      await leases.claim('endpoint:e1', 'A', 10_000);
      await leases.claim('endpoint:e2', 'A', 10_000);
      await leases.claim('endpoint:e3', 'C', 10_000);
      const renewed = (await leases.renewAll('A', 10_000)).map((l) => l.key).sort();
      expect(renewed).toEqual(['endpoint:e1', 'endpoint:e2']);
      await leases.releaseAll('A');
      expect((await leases.claim('endpoint:e1', 'B', 10_000))?.token).toBe(2);
      expect(await leases.renewAll('A', 10_000)).toEqual([]);
    });

    it('counts wake-ups other replicas ask the holder for', async () => {
      expect((await leases.claim('endpoint:w', 'A', 10_000))?.wake).toBe(0);
      await leases.wake('endpoint:w');
      await leases.wake('endpoint:w');
      expect((await leases.renewAll('A', 10_000)).find((l) => l.key === 'endpoint:w')?.wake).toBe(2);
    });

    it('finds live resources whose lease expired or was never taken, not terminal ones or live leases', async () => {
      const rec = (name: string, status: string) => ({
        kind: 'training-job' as const, name, arn: `arn:${name}`, status, creationTime: 1, lastModifiedTime: 1, doc: {} as never, internal: {} as never,
      });
      await meta.resources.create(rec('live-free', 'InProgress'));
      await meta.resources.create(rec('live-held', 'InProgress'));
      await meta.resources.create(rec('live-expired', 'InProgress'));
      await meta.resources.create(rec('done', 'Completed'));
      await meta.resources.create(rec('Mixed-Held', 'InProgress'));
      await leases.claim('training-job:mixed-held', 'A', 60_000);
      await leases.claim('training-job:live-held', 'A', 60_000);
      await leases.claim('training-job:live-expired', 'A', 1);
      await leases.claim('autoscaling:x', 'A', 1);
      await sleep(20);
      const found = await leases.orphans(['training-job'], ['autoscaling']);
      expect(found.sort()).toEqual(['autoscaling:x', 'training-job:live-expired', 'training-job:live-free']);
    });

    it('refuses a write fenced with a token that has moved on, in the write\'s own transaction', async () => {
      await meta.resources.create({ kind: 'endpoint', name: 'fenced', arn: 'arn:fenced', status: 'Creating', creationTime: 1, lastModifiedTime: 1, doc: {} as never, internal: {} as never });
      const t1 = (await leases.claim('endpoint:fenced', 'A', 1))!.token;
      const fenceA = { key: 'endpoint:fenced', holder: 'A', token: t1 };
      // A still holds it: the write goes through, explicitly or from the reconcile's context.
      await meta.resources.update('endpoint', 'fenced', (r) => (r.status = 'InService'), { fence: fenceA });
      await sleep(20);
      const t2 = (await leases.claim('endpoint:fenced', 'B', 60_000))!.token;
      expect(t2).toBe(t1 + 1);
      await expect(withFence(fenceA, () => meta.resources.update('endpoint', 'fenced', (r) => (r.status = 'Failed')))).rejects.toBeInstanceOf(FencedError);
      await expect(meta.resources.delete('endpoint', 'fenced', { fence: fenceA })).rejects.toBeInstanceOf(FencedError);
      expect((await meta.resources.get('endpoint', 'fenced'))?.status).toBe('InService');
      // The new holder writes; an API handler (no fence) too.
      await withFence({ key: 'endpoint:fenced', holder: 'B', token: t2 }, () => meta.resources.update('endpoint', 'fenced', (r) => (r.status = 'Updating')));
      await meta.resources.update('endpoint', 'fenced', (r) => (r.status = 'Deleting'));
      expect((await meta.resources.get('endpoint', 'fenced'))?.status).toBe('Deleting');
    });

    it('lets exactly one of many racing claimants win a free key', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.claim('endpoint:race', `R${i}`, 60_000)));
      expect(results.filter((t) => t !== undefined).map((l) => l!.token)).toEqual([1]);
    });
  });
}

{
  let store: SqlMetadataStore | undefined;
  suite('SQLite', async () => (store = SqlMetadataStore.openSqlite(':memory:')).sql, async () => await store?.close());
}

{
  let pg: PostgresServer | undefined;
  let db: PostgresSql | undefined;
  if (postgresUnavailable() === undefined) {
    suite(
      'PostgreSQL',
      async () => {
        pg = await startPostgres();
        db = PostgresSql.connect(pg.url());
        await migrateSql(db);
        return db;
      },
      async () => {
        await db?.close();
        await pg?.stop();
      },
    );
  }
}
