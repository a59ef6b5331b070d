/** The durable InvokeEndpointAsync queue on SQLite and PostgreSQL. */
import { expect, it } from 'vitest';
import { AsyncStatus, SqlAsyncStore, type NewAsyncRequest } from '../../../src/dataplane/async/async-store.js';
import { forEachBackend } from '../../helpers/backends.js';

function request(i: number, over: Partial<NewAsyncRequest> = {}): NewAsyncRequest {
  return {
    endpoint: 'ep',
    inferenceId: `id-${i}`,
    inputLocation: `s3://b/in/${i}`,
    outputLocation: `s3://b/out/id-${i}.out`,
    failureLocation: `s3://b/fail/id-${i}-error.out`,
    invocationTimeoutS: 900,
    maxConcurrency: 4,
    createdAt: 1_700_000_000_000 + i,
    expiresAt: 1_700_021_600_000 + i,
    ...over,
  };
}

forEachBackend((backend) => {
  it('async store: queues oldest first with numeric ids, and survives a restart mid-request', async () => {
    const fresh = await backend.fresh();
    const store = new SqlAsyncStore(fresh.db);
    const a = await store.add(request(1, { contentType: 'text/csv', customAttributes: 'k=v' }));
    const b = await store.add(request(2));
    expect(typeof a.id).toBe('number');
    expect(b.id).toBeGreaterThan(a.id);
    await store.markInProgress(a.id);
    expect((await store.queued(10)).map((r) => r.id)).toEqual([b.id]);
    await fresh.db.close();
    // A new process: what was in flight goes back to the queue, attempts kept.
    const again = new SqlAsyncStore(await fresh.open());
    expect(await again.requeueInProgress()).toBe(1);
    const queued = await again.queued(10);
    expect(queued.map((r) => r.id)).toEqual([a.id, b.id]);
    expect(queued[0]).toEqual({ ...request(1, { contentType: 'text/csv', customAttributes: 'k=v' }), id: a.id, status: AsyncStatus.Queued, attempts: 1 });
    expect(queued[1]).not.toHaveProperty('contentType');
    await again.remove(a.id);
    await again.requeue(b.id);
    expect(await again.count()).toBe(1);
    expect(await again.queued(0)).toEqual([]);
  });
});
