/**
 * The MetadataStore contract on PostgreSQL (a private server, a fresh database per test), and what
 * only matters there: several connections — replicas — on one database at once.
 */
import { describe, expect, it } from 'vitest';
import { SqlMetadataStore } from '../../../src/storage/metadata-store.js';
import { MIGRATIONS } from '../../../src/storage/migrations/index.js';
import { ResourceExistsError } from '../../../src/storage/resource-store.js';
import { migrateSql } from '../../../src/storage/sql/migrate.js';
import { PostgresSql } from '../../../src/storage/sql/postgres-sql.js';
import type { ResourceRecord } from '../../../src/resources/kinds.js';
import type { TrainingJobDoc } from '../../../src/resources/training-job.js';
import { postgresBackend } from '../../helpers/backends.js';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { metadataStoreContract } from './metadata-store-contract.js';

const T0 = Date.UTC(2026, 10, 1);

function job(name: string): ResourceRecord<'training-job'> {
  return {
    kind: 'training-job',
    name,
    arn: `arn:aws:sagemaker:us-east-1:000000000000:training-job/${name.toLowerCase()}`,
    status: 'InProgress',
    creationTime: T0,
    lastModifiedTime: T0,
    doc: { TrainingJobName: name, a: 0, b: 0 } as unknown as TrainingJobDoc,
    internal: { step: 'pending' },
  };
}

describe.skipIf(postgresUnavailable())('PostgreSQL metadata', () => {
  const backend = postgresBackend();

  metadataStoreContract('PostgreSQL (a private server, ICU en-US database)', {
    async open() {
      const fresh = await backend.fresh();
      return { store: new SqlMetadataStore(fresh.db), reopen: async () => new SqlMetadataStore(await fresh.open()) };
    },
  });

  describe('two replicas on one database', () => {
    async function twoStores(): Promise<[SqlMetadataStore, SqlMetadataStore]> {
      const fresh = await backend.fresh();
      return [new SqlMetadataStore(fresh.db), new SqlMetadataStore(await fresh.open())];
    }

    it("see each other's writes", async () => {
      const [a, b] = await twoStores();
      await a.resources.create(job('shared'));
      await b.tags.put(job('shared').arn, [{ Key: 'k', Value: 'v' }]);
      await b.logs.append('/g', 's', [{ timestamp: 1, message: 'from b' }]);
      expect((await b.resources.get('training-job', 'SHARED'))?.name).toBe('shared');
      expect(await a.tags.list(job('shared').arn)).toEqual([{ Key: 'k', Value: 'v' }]);
      expect((await a.logs.readStream('/g', 's')).map((e) => e.message)).toEqual(['from b']);
      expect(await b.resources.delete('training-job', 'shared')).toBe(true);
      expect(await a.resources.get('training-job', 'shared')).toBeUndefined();
    });

    it('keep every mutation when both update one resource at once (the row lock orders them)', async () => {
      const [a, b] = await twoStores();
      await a.resources.create(job('contended'));
      const bump = (store: SqlMetadataStore, field: 'a' | 'b') =>
        store.resources.update('training-job', 'contended', (r) => {
          (r.doc as unknown as Record<string, number>)[field]! += 1;
        });
      // Interleaved read-modify-writes from two pools: without FOR UPDATE, READ COMMITTED loses some.
      await Promise.all(Array.from({ length: 25 }, () => [bump(a, 'a'), bump(b, 'b'), bump(a, 'b'), bump(b, 'a')]).flat());
      const doc = (await b.resources.get('training-job', 'contended'))!.doc as unknown as Record<string, number>;
      expect([doc.a, doc.b]).toEqual([50, 50]);
    });

    it('create one name at once: exactly one wins, the other gets ResourceExistsError', async () => {
      const [a, b] = await twoStores();
      const results = await Promise.allSettled([a.resources.create(job('Race')), b.resources.create(job('race'))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ResourceExistsError);
    });

    it('apply the migrations once when both start at the same moment', async () => {
      const url = await backend.freshUrl();
      const openers = Array.from({ length: 4 }, () => PostgresSql.connect(url));
      try {
        await Promise.all(openers.map((db) => migrateSql(db)));
        const rows = await openers[0]!.all<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
        expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id).sort());
        // A later start finds everything applied and changes nothing.
        await migrateSql(openers[1]!);
        expect(await openers[2]!.all('SELECT id FROM schema_migrations')).toHaveLength(MIGRATIONS.length);
      } finally {
        await Promise.all(openers.map((db) => db.close()));
      }
    });
  });
});
