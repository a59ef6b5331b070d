import { describe, expect, it } from 'vitest';
import { instanceSpec, limitsFor } from './instance-types.js';

describe('instance types', () => {
  it('knows common SageMaker types', () => {
    expect(instanceSpec('ml.m5.xlarge')).toEqual({ vcpus: 4, memoryGiB: 16, gpus: 0 });
    expect(instanceSpec('ml.p3.2xlarge')?.gpus).toBe(1);
    expect(instanceSpec('ml.nope.xlarge')).toBeUndefined();
  });

  it('clamps limits to the host and says so', () => {
    const l = limitsFor('ml.m5.4xlarge', 2, 24 * 1024 ** 3);
    expect(l.nanoCpus).toBe(2e9);
    expect(l.memoryBytes).toBe(24 * 1024 ** 3);
    expect(l.warnings.join(' ')).toMatch(/16 vCPUs; this host has 2/);
  });

  it('applies the exact limits when the host is big enough', () => {
    const l = limitsFor('ml.m5.large', 8, 64 * 1024 ** 3);
    expect(l).toEqual({ nanoCpus: 2e9, memoryBytes: 8 * 1024 ** 3, warnings: [] });
  });

  it('runs unknown types unlimited with a warning', () => {
    expect(limitsFor('ml.zz.large', 2, 1e9).warnings[0]).toMatch(/Unknown instance type/);
    expect(limitsFor('local', 2, 1e9)).toEqual({ warnings: [] });
  });
});
