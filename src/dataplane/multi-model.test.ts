import { describe, expect, it } from 'vitest';
import { containerModelName, targetModelUri } from '../resources/multi-model.js';
import { pickForModel } from './multi-model.js';
import type { VariantRoute } from './routing-table.js';

const inst = (id: string, outstanding = 0) => ({ instanceId: id, variant: 'v', origin: 'http://127.0.0.1:1', logStream: `v/${id}`, outstanding, served: 0, broken: false });

describe('multi-model routing', () => {
  it('prefers the least loaded instance that holds the model, else the least loaded of all', () => {
    const v: VariantRoute = { name: 'v', weight: 1, current: 0, instances: [inst('a', 0), inst('b', 3), inst('c', 1)] };
    expect(pickForModel(v, (i) => i.instanceId === 'b' || i.instanceId === 'c')?.instanceId).toBe('c');
    expect(pickForModel(v, () => false)?.instanceId).toBe('a');
    const broken = { ...v, instances: [inst('a'), { ...inst('b'), broken: true }] };
    expect(pickForModel(broken, (i) => i.instanceId === 'b')?.instanceId).toBe('a');
  });

  it('gives the container an opaque, path-safe model name and joins the TargetModel to the prefix', () => {
    const n = containerModelName('../../etc/passwd');
    expect(n).toMatch(/^[0-9a-f]{32}$/);
    expect(containerModelName('a.tar.gz')).not.toBe(containerModelName('b.tar.gz'));
    expect(targetModelUri('s3://b/models/', 'sub/m.tar.gz')).toBe('s3://b/models/sub/m.tar.gz');
  });
});
