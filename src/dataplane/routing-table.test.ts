/** Unit tests of variant and instance selection and of route republishing. */
import { describe, expect, it } from 'vitest';
import { RoutingTable, pickInstance, pickVariant } from './routing-table.js';

const inst = (id: string, variant = 'A') => ({ instanceId: id, variant, origin: `http://127.0.0.1:${id.length}${id.charCodeAt(0)}`, logStream: `${variant}/${id}` });

describe('routing', () => {
  it('splits by weight exactly: every window of 4 picks has one A and three B for weights 1:3', () => {
    const t = new RoutingTable();
    const route = t.publish({ name: 'e', arn: 'arn', variants: [{ name: 'A', weight: 1, instances: [inst('a1')] }, { name: 'B', weight: 3, instances: [inst('b1', 'B')] }] });
    const picks = Array.from({ length: 400 }, () => pickVariant(route)!.name);
    for (let i = 0; i < 400; i += 4) expect(picks.slice(i, i + 4).filter((p) => p === 'A')).toHaveLength(1);
  });

  it('skips variants with weight 0 or no instances', () => {
    const t = new RoutingTable();
    const route = t.publish({ name: 'e', arn: 'arn', variants: [{ name: 'A', weight: 0, instances: [inst('a1')] }, { name: 'B', weight: 1, instances: [] }, { name: 'C', weight: 1, instances: [inst('c1', 'C')] }] });
    expect(new Set(Array.from({ length: 10 }, () => pickVariant(route)!.name))).toEqual(new Set(['C']));
  });

  it('picks the instance with the fewest outstanding requests and skips broken ones', () => {
    const t = new RoutingTable();
    const route = t.publish({ name: 'e', arn: 'arn', variants: [{ name: 'A', weight: 1, instances: [inst('x1'), inst('y22'), inst('z333')] }] });
    const [x, y, z] = route.variants[0]!.instances;
    x!.outstanding = 2;
    y!.outstanding = 1;
    z!.outstanding = 1;
    z!.served = 5;
    expect(pickInstance(route.variants[0]!)).toBe(y);
    y!.broken = true;
    expect(pickInstance(route.variants[0]!)).toBe(z);
  });

  it('keeps instance counters across republishes and reports removed instances', () => {
    const t = new RoutingTable();
    const removed: string[] = [];
    t.onInstanceRemoved((i) => removed.push(i.instanceId));
    const r1 = t.publish({ name: 'E', arn: 'arn', variants: [{ name: 'A', weight: 1, instances: [inst('a1'), inst('a22')] }] });
    r1.variants[0]!.instances[0]!.outstanding = 3;
    const r2 = t.publish({ name: 'E', arn: 'arn', variants: [{ name: 'A', weight: 1, instances: [inst('a1')] }] });
    expect(r2.variants[0]!.instances[0]!.outstanding).toBe(3);
    expect(removed).toEqual(['a22']);
    expect(t.lookup('e')).toBe(r2);
    t.remove('e');
    expect(removed).toEqual(['a22', 'a1']);
    expect(t.lookup('E')).toBeUndefined();
  });
});
