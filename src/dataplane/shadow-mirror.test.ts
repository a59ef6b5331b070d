import { describe, expect, it } from 'vitest';
import type { EndpointRoute, VariantRoute } from './routing-table.js';
import { pickVariant, shadowOf } from './routing-table.js';
import { sampleShadow } from './shadow-mirror.js';

const inst = (id: string, variant: string) => ({ instanceId: id, variant, origin: `http://127.0.0.1:1`, logStream: `${variant}/${id}`, outstanding: 0, served: 0, broken: false });
const v = (name: string, weight: number, shadow = false, instances = 1): VariantRoute => ({
  name,
  weight,
  current: 0,
  ...(shadow ? { shadow: true } : {}),
  instances: Array.from({ length: instances }, (_, i) => inst(`${name}${i}`, name)),
});
const route = (...variants: VariantRoute[]): EndpointRoute => {
  const shadow = shadowOf(variants);
  return { name: 'e', arn: 'arn', variants, ...(shadow ? { shadow } : {}) };
};

describe('shadow sampling', () => {
  it('copies the share the shadow’s weight is of production’s, all of it at equal weight or more', () => {
    const r = route(v('prod', 1), v('shadow', 0.25, true));
    expect(sampleShadow(r, () => 0.2)?.name).toBe('shadow');
    expect(sampleShadow(r, () => 0.3)).toBeUndefined();
    expect(sampleShadow(route(v('prod', 2), v('shadow', 3, true)), () => 0.999)?.name).toBe('shadow');
  });

  it('copies nothing without a serving shadow, or at weight 0', () => {
    expect(sampleShadow(route(v('prod', 1)), () => 0)).toBeUndefined();
    expect(sampleShadow(route(v('prod', 1), v('shadow', 0, true)), () => 0)).toBeUndefined();
    expect(sampleShadow(route(v('prod', 1), v('shadow', 1, true, 0)), () => 0)).toBeUndefined();
  });

  it('never routes a caller to the shadow', () => {
    const r = route(v('prod', 1), v('shadow', 5, true));
    for (let i = 0; i < 10; i++) expect(pickVariant(r)?.name).toBe('prod');
    expect(pickVariant(route(v('prod', 1, false, 0), v('shadow', 1, true)))).toBeUndefined();
  });
});
