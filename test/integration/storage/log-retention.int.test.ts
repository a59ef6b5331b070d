import { expect, it } from 'vitest';
import { SqlLogStore } from '../../../src/storage/log-store.js';
import { LogRetention } from '../../../src/storage/log-retention.js';
import { forEachBackend } from '../../helpers/backends.js';

forEachBackend((backend) => {
  it('log retention removes the oldest events beyond the size cap, across streams, and stays consistent after reopening', async () => {
    const fresh = await backend.fresh();
    const logs = new SqlLogStore(fresh.db);
    const line = 'x'.repeat(74); // 74 + 26 overhead = 100 bytes per event
    await logs.append('/g', 'a', Array.from({ length: 100 }, (_, i) => ({ timestamp: 1000 + i * 2, message: line })));
    await logs.append('/g', 'b', Array.from({ length: 100 }, (_, i) => ({ timestamp: 1001 + i * 2, message: line })));
    const removed = await new LogRetention(fresh.db, { maxBytes: 10_000 }).enforce();
    expect(removed).toBe(100);
    await fresh.db.close();
    const again = new SqlLogStore(await fresh.open());
    const a = await again.readStream('/g', 'a');
    const b = await again.readStream('/g', 'b');
    expect(a.length + b.length).toBe(100);
    // Only the newest half survives, interleaved from both streams.
    expect(Math.min(a[0]!.timestamp, b[0]!.timestamp)).toBe(1100);
    const streams = await again.streams('/g');
    expect(streams.reduce((n, s) => n + s.storedBytes, 0)).toBe(10_000);
    expect(streams.find((s) => s.name === 'a')!.firstEventTime).toBe(a[0]!.timestamp);
    expect((await again.groups('/g'))[0]?.storedBytes).toBe(10_000);
  });

  it('log retention applies a group retention policy by age', async () => {
    const { db } = await backend.fresh();
    const logs = new SqlLogStore(db);
    const now = Date.UTC(2026, 10, 22);
    await logs.append('/old', 's', [
      { timestamp: now - 3 * 86_400_000, message: 'three days old' },
      { timestamp: now - 3_600_000, message: 'an hour old' },
    ]);
    await logs.setRetention('/old', 1);
    await new LogRetention(db, { maxBytes: 1e12 }).enforce(now);
    expect((await logs.readStream('/old', 's')).map((e) => e.message)).toEqual(['an hour old']);
  });
});
