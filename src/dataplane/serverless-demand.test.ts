import { describe, expect, it } from 'vitest';
import { RoutingTable } from './routing-table.js';

const spec = (instances: number) => ({
  name: 'Ep',
  arn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/ep',
  variants: [
    {
      name: 'AllTraffic',
      weight: 1,
      serverless: { maxConcurrency: 2 },
      instances: Array.from({ length: instances }, (_, i) => ({ instanceId: `i-${i}`, variant: 'AllTraffic', origin: `http://127.0.0.1:${9000 + i}`, logStream: `AllTraffic/i-${i}` })),
    },
  ],
});

describe('ServerlessDemand (through the RoutingTable)', () => {
  it('admits up to MaxConcurrency, counts busy and last activity per variant, case-insensitively', () => {
    const t = new RoutingTable();
    const a = t.serverless.enter('Ep', 'AllTraffic', 2, 1_000)!;
    const b = t.serverless.enter('ep', 'AllTraffic', 2, 2_000)!;
    expect(a).toBe(b);
    expect(t.serverless.enter('EP', 'AllTraffic', 2, 3_000)).toBeUndefined();
    expect(t.serverlessDemand('ep', 'AllTraffic')).toMatchObject({ busy: 2, lastActive: 2_000 });
    t.serverless.leave(a, 5_000);
    expect(t.serverlessDemand('Ep', 'AllTraffic')).toMatchObject({ busy: 1, lastActive: 5_000 });
    expect(t.serverless.enter('Ep', 'AllTraffic', 2, 6_000)).toBe(a);
  });

  it('tells demand listeners and wakes waiters when the route changes or goes', () => {
    const t = new RoutingTable();
    const told: string[] = [];
    t.onServerlessDemand((e) => told.push(e));
    const d = t.serverless.enter('Ep', 'AllTraffic', 2)!;
    let woken = 0;
    d.waiters.add(() => woken++);
    t.serverless.signal('Ep');
    expect(told).toEqual(['Ep']);
    const route = t.publish(spec(1));
    expect(route.variants[0]!.serverless).toEqual({ maxConcurrency: 2 });
    expect(woken).toBe(1);
    t.remove('Ep');
    expect(woken).toBe(2);
  });
});
