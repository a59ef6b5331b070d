/**
 * Two LeaseKeepers (two "replicas") with their own work queues on one real database (SQLite here;
 * the PostgreSQL path runs in test/integration/replicas): a key runs on one of them only, a change
 * made through the other wakes the holder, and the work of one that stops renewing moves over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseStore } from '../storage/lease-store.js';
import { SqlMetadataStore } from '../storage/metadata-store.js';
import { LeaseKeeper } from './lease-keeper.js';
import { DONE, requeueAfter, WorkQueue } from './work-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean, ms = 3_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await sleep(10);
  }
}
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function replicas(ms = { ttlMs: 600, intervalMs: 100 }) {
  const meta = SqlMetadataStore.openSqlite(':memory:');
  const store = new LeaseStore(meta.sql);
  const make = (name: string) => {
    const runs: string[] = [];
    const taken: string[] = [];
    const queue = new WorkQueue({ 'training-job': async (key) => (runs.push(key), name === 'idle' ? requeueAfter(50) : DONE) });
    const keeper = new LeaseKeeper({ store, queue, resourceKinds: ['training-job'], otherKinds: [], takeOver: async (k) => void taken.push(k), ...ms });
    keeper.start();
    cleanups.push(async () => {
      await queue.stop();
      await keeper.stop();
    });
    return { queue, keeper, runs, taken };
  };
  cleanups.push(() => meta.close());
  return { meta, make };
}

describe('LeaseKeeper', () => {
  it('lets one replica reconcile a key; the other wakes it instead of running it', async () => {
    const { make } = replicas();
    const a = make('a');
    const b = make('b');
    a.queue.enqueue('training-job:j');
    await until(() => a.runs.length === 1);
    b.queue.enqueue('training-job:j');
    // Names are case-insensitive: another spelling is the same lease.
    b.queue.enqueue('training-job:J');
    // B's hand-off reaches A at its next renewal (nothing else reruns a key that returned done).
    await until(() => a.runs.length >= 2);
    expect(a.runs.slice(0, 2)).toEqual(['training-job:j', 'training-job:j']);
    await sleep(100);
    expect(b.runs).toEqual([]);
  });

  it('moves the live resources of a replica that stopped renewing to one that renews, with adoption first', async () => {
    const { meta, make } = replicas();
    await meta.resources.create({ kind: 'training-job', name: 'live', arn: 'arn:live', status: 'InProgress', creationTime: 1, lastModifiedTime: 1, doc: {} as never, internal: {} as never });
    await meta.resources.create({ kind: 'training-job', name: 'done', arn: 'arn:done', status: 'Completed', creationTime: 1, lastModifiedTime: 1, doc: {} as never, internal: {} as never });
    const a = make('a');
    a.queue.enqueue('training-job:live');
    await sleep(50);
    expect(a.keeper.holding().has('training-job:live')).toBe(true);
    // A "dies": it stops renewing (its queue stops; no release).
    await a.queue.stop();
    (a.keeper as unknown as { timer: NodeJS.Timeout }).timer.close();
    const b = make('b');
    const t0 = Date.now();
    while (!b.runs.includes('training-job:live')) {
      if (Date.now() - t0 > 3_000) throw new Error('no takeover');
      await sleep(20);
    }
    expect(b.taken).toEqual(['training-job:live']);
    expect(b.runs).not.toContain('training-job:done');
  });
});

describe('LeaseKeeper losing a lease', () => {
  it('reports a lease another replica took while this one did not renew', async () => {
    const meta = SqlMetadataStore.openSqlite(':memory:');
    cleanups.push(() => meta.close());
    const store = new LeaseStore(meta.sql);
    const lost: string[] = [];
    const queue = new WorkQueue({ endpoint: async () => DONE });
    const keeper = new LeaseKeeper({ store, queue, resourceKinds: [], otherKinds: [], onLost: (k) => void lost.push(k), ttlMs: 100, intervalMs: 10_000 });
    cleanups.push(async () => {
      await queue.stop();
      await keeper.stop();
    });
    keeper.start();
    expect(await keeper.acquire('endpoint:E')).toMatchObject({ key: 'endpoint:e', token: 1 });
    await sleep(150);
    expect((await store.claim('endpoint:e', 'other', 10_000))?.token).toBe(2);
    await keeper.tick();
    expect(lost).toEqual(['endpoint:e']);
    expect(await keeper.acquire('endpoint:e')).toBeUndefined();
  });
});
