/**
 * One test body for every MetadataStore implementation (SQLite and PostgreSQL): run it with a
 * factory that opens a fresh store at a location and can reopen the same location.
 */
import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../../src/storage/metadata-store.js';
import { InvalidNextTokenError, ResourceExistsError } from '../../../src/storage/resource-store.js';
import type { ResourceRecord } from '../../../src/resources/kinds.js';
import type { TrainingJobDoc } from '../../../src/resources/training-job.js';

export interface MetadataStoreFactory {
  /** A new, empty store; `reopen` opens the same data again after `close`. */
  open(): Promise<{ store: MetadataStore; reopen(): Promise<MetadataStore> }>;
}

const T0 = Date.UTC(2026, 10, 1);

function job(name: string, i: number, status = 'InProgress'): ResourceRecord<'training-job'> {
  return {
    kind: 'training-job',
    name,
    arn: `arn:aws:sagemaker:us-east-1:000000000000:training-job/${name.toLowerCase()}`,
    status,
    creationTime: T0 + i * 1000,
    lastModifiedTime: T0 + i * 1000,
    // A partial document: the store keeps whatever it is given.
    doc: { TrainingJobName: name, n: i } as unknown as TrainingJobDoc,
    internal: { step: 'pending' },
  };
}

export function metadataStoreContract(name: string, factory: MetadataStoreFactory): void {
  describe(`MetadataStore contract: ${name}`, () => {
    it('creates resources once per kind and name, whatever the case', async () => {
      const { store } = await factory.open();
      await store.resources.create(job('Alpha', 1));
      await expect(store.resources.create(job('alpha', 2))).rejects.toThrow(ResourceExistsError);
      await store.resources.create({ ...job('Alpha', 3), kind: 'endpoint', arn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/alpha' } as unknown as ResourceRecord<'endpoint'>);
      expect((await store.resources.get('training-job', 'ALPHA'))?.doc).toEqual({ TrainingJobName: 'Alpha', n: 1 });
      expect((await store.resources.getByArn('arn:aws:sagemaker:us-east-1:000000000000:endpoint/alpha'))?.kind).toBe('endpoint');
      await store.close();
    });

    it('updates in place, bumps LastModifiedTime, and deletes with the tags', async () => {
      const { store } = await factory.open();
      const rec = job('beta', 1);
      await store.resources.create(rec);
      await store.tags.put(rec.arn, [{ Key: 'team', Value: 'a' }]);
      const after = await store.resources.update('training-job', 'beta', (r) => {
        r.status = 'Completed';
        r.doc.n = 42;
      }, { now: T0 + 99_000 });
      expect(after).toMatchObject({ status: 'Completed', lastModifiedTime: T0 + 99_000, doc: { n: 42 } });
      expect(await store.resources.update('training-job', 'nope', () => undefined)).toBeUndefined();
      expect(await store.resources.delete('training-job', 'beta')).toBe(true);
      expect(await store.resources.delete('training-job', 'beta')).toBe(false);
      expect(await store.tags.list(rec.arn)).toEqual([]);
      await store.close();
    });

    it('lists with filters, sorting and pages that neither skip nor repeat', async () => {
      const { store } = await factory.open();
      for (let i = 0; i < 25; i++) await store.resources.create(job(`job-${String(i).padStart(2, '0')}${i % 5 === 0 ? '-special' : ''}`, i, i % 2 ? 'Completed' : 'InProgress'));
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.resources.list('training-job', { maxResults: 10, nextToken: token, sortOrder: 'Ascending' });
        seen.push(...page.items.map((r) => r.name));
        token = page.nextToken;
      } while (token);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(seen[0]).toBe('job-00-special');
      expect((await store.resources.list('training-job', { nameContains: 'SPECIAL' })).items).toHaveLength(5);
      expect((await store.resources.list('training-job', { statusEquals: 'Completed' })).items).toHaveLength(12);
      const window = await store.resources.list('training-job', { creationTimeAfter: T0 + 9_500, creationTimeBefore: T0 + 12_500 });
      expect(window.items.map((r) => r.doc.n)).toEqual([12, 11, 10]);
      const byName = await store.resources.list('training-job', { sortBy: 'Name', sortOrder: 'Descending', maxResults: 1 });
      expect(byName.items[0]?.name).toBe('job-24');
      await expect(store.resources.list('training-job', { nextToken: 'not-a-token' })).rejects.toThrow(InvalidNextTokenError);
      expect((await store.resources.listByStatus('training-job', ['InProgress'])).map((r) => r.doc.n)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
      await store.close();
    });

    it('sorts names and tag keys bytewise (UTF-8 order, as SQLite and S3), whatever the locale', async () => {
      const { store } = await factory.open();
      // A locale-aware collation would put 'éclair' before 'f', and 'a' before 'Z'.
      for (const [i, name] of ['f', 'éclair', 'z', '_x', 'e'].entries()) await store.resources.create(job(name, i));
      const names = (await store.resources.list('training-job', { sortBy: 'Name', sortOrder: 'Ascending' })).items.map((r) => r.name);
      expect(names).toEqual(['_x', 'e', 'f', 'z', 'éclair']);
      await store.tags.put('arn:sorted', [{ Key: 'a', Value: '1' }, { Key: 'Z', Value: '2' }, { Key: 'é', Value: '3' }]);
      expect((await store.tags.list('arn:sorted')).map((t) => t.Key)).toEqual(['Z', 'a', 'é']);
      await store.close();
    });

    it('keeps tags per ARN, overwriting values and sorting by key', async () => {
      const { store } = await factory.open();
      await store.tags.put('arn:x', [{ Key: 'b', Value: '1' }, { Key: 'a', Value: '2' }]);
      await store.tags.put('arn:x', [{ Key: 'b', Value: '3' }]);
      expect(await store.tags.list('arn:x')).toEqual([{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }]);
      await store.tags.delete('arn:x', ['a']);
      expect(await store.tags.count('arn:x')).toBe(1);
      await store.close();
    });

    it('stores log events in order, tells live listeners, and pages with cursors', async () => {
      const { store } = await factory.open();
      const heard: number[] = [];
      store.logs.events.on('append', (e: { events: unknown[] }) => heard.push(e.events.length));
      await store.logs.append('/g', 's', [
        { timestamp: 30, message: 'c' },
        { timestamp: 10, message: 'a' },
        { timestamp: 20, message: 'b' },
      ]);
      expect(heard).toEqual([3]);
      const id = (await store.logs.streamId('/g', 's'))!;
      const first = await store.logs.page(id, { limit: 2, newestFirst: false });
      expect(first.map((e) => e.message)).toEqual(['a', 'b']);
      const next = await store.logs.page(id, { limit: 2, newestFirst: false, after: first[1] });
      expect(next.map((e) => e.message)).toEqual(['c']);
      expect((await store.logs.page(id, { limit: 2, newestFirst: true })).map((e) => e.message)).toEqual(['b', 'c']);
      expect((await store.logs.streams('/g'))[0]).toMatchObject({ name: 's', firstEventTime: 10, lastEventTime: 30 });
      expect((await store.logs.groups('/'))[0]?.storedBytes).toBe(3 * 27);
      expect(await store.logs.tail('/g', 's', 2)).toEqual(['b', 'c']);
      await store.close();
    });

    it('appends a batch of thousands of events in one call, in order, with increasing ids', async () => {
      const { store } = await factory.open();
      let ids: number[] = [];
      store.logs.events.on('append', (e: { events: { id: number }[] }) => (ids = e.events.map((x) => x.id)));
      await store.logs.append('/big', 's', [{ timestamp: 0, message: 'before' }]);
      const batch = Array.from({ length: 2500 }, (_, i) => ({ timestamp: 1 + Math.floor(i / 3), message: `line ${i}` }));
      await store.logs.append('/big', 's', batch);
      expect(ids).toHaveLength(2500);
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
      const read = await store.logs.readStream('/big', 's');
      expect(read.map((e) => e.message)).toEqual(['before', ...batch.map((e) => e.message)]);
      expect((await store.logs.streams('/big'))[0]).toMatchObject({ firstEventTime: 0, lastEventTime: 834 });
      await store.close();
    });

    it('rolls a failed transaction back across stores', async () => {
      const { store } = await factory.open();
      await expect(
        store.transaction(async () => {
          await store.resources.create(job('gamma', 1));
          await store.tags.put('arn:gamma', [{ Key: 'k', Value: 'v' }]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.resources.get('training-job', 'gamma')).toBeUndefined();
      expect(await store.tags.list('arn:gamma')).toEqual([]);
      await store.close();
    });

    it('keeps everything across a reopen', async () => {
      const { store, reopen } = await factory.open();
      await store.resources.create(job('delta', 1));
      await store.logs.append('/g', 's', [{ timestamp: 1, message: 'kept' }]);
      await store.close();
      const again = await reopen();
      expect((await again.resources.get('training-job', 'delta'))?.internal).toEqual({ step: 'pending' });
      expect((await again.logs.readStream('/g', 's')).map((e) => e.message)).toEqual(['kept']);
      await again.close();
    });
  });
}
