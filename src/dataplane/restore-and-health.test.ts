import { describe, expect, it } from 'vitest';
import { isPlatformError } from '../platform/platform-errors.js';
import { RoutingTable } from './routing-table.js';

describe('routing table restore after a restart', () => {
  it('is not restoring unless the controller said so', () => {
    const t = new RoutingTable();
    expect(t.restoring).toBe(false);
    expect(t.whenRestored(1_000)).toBeUndefined();
  });

  it('lets lookups wait until the controller has adopted, or until the deadline', async () => {
    const t = new RoutingTable();
    t.beginRestore();
    expect(t.restoring).toBe(true);
    const waited = t.whenRestored(10_000)!;
    let done = false;
    void waited.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    t.endRestore();
    await waited;
    expect(t.restoring).toBe(false);

    const u = new RoutingTable();
    u.beginRestore();
    const started = Date.now();
    await u.whenRestored(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(u.restoring).toBe(true);
  });
});

describe('health-check errors', () => {
  it('tell errors of this side (descriptors, ports, memory) from the container failing', () => {
    expect(isPlatformError(Object.assign(new Error('x'), { code: 'EMFILE' }))).toBe(true);
    expect(isPlatformError(Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('y'), { code: 'EADDRNOTAVAIL' }) }))).toBe(true);
    expect(isPlatformError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isPlatformError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(false);
    expect(isPlatformError(undefined)).toBe(false);
  });
});
