import { describe, expect, it } from 'vitest';
import { instanceSpec, limitsFor, pidsLimitFor, shmSizeFor } from './instance-types.js';

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
    const l = limitsFor('ml.m5.large', 8, 64 * 1024 ** 3, 4_194_304);
    expect(l).toEqual({ nanoCpus: 2e9, memoryBytes: 8 * 1024 ** 3, pidsLimit: 65_536, shmSizeBytes: 4 * 1024 ** 3, warnings: [] });
  });

  it('runs unknown types unlimited with a warning', () => {
    expect(limitsFor('ml.zz.large', 2, 1e9).warnings[0]).toMatch(/Unknown instance type/);
    expect(limitsFor('local', 2, 1e9)).toEqual({ pidsLimit: 4915, shmSizeBytes: 5e8, warnings: [] });
  });

  it("gives each instance its own machine's task limit, but at most systemd's 15% share of the host's", () => {
    // threads-max of an 8 GiB machine: 8 GiB / 128 KiB.
    expect(pidsLimitFor(8 * 1024 ** 3, 4_194_304)).toBe(65_536);
    // This host's kernel.pid_max of 32768 caps every container at 4915 tasks.
    expect(pidsLimitFor(8 * 1024 ** 3, 32_768)).toBe(4915);
    expect(pidsLimitFor(undefined)).toBe(4915);
    expect(limitsFor('ml.m5.4xlarge', 2, 24 * 1024 ** 3, 32_768).pidsLimit).toBe(4915);
  });

  it('sizes /dev/shm at half the memory the container gets, never below 64 MB', () => {
    expect(limitsFor('ml.m5.large', 2, 24 * 1024 ** 3).shmSizeBytes).toBe(4 * 1024 ** 3);
    // Clamped memory, clamped shm.
    expect(limitsFor('ml.m5.4xlarge', 2, 24 * 1024 ** 3).shmSizeBytes).toBe(12 * 1024 ** 3);
    expect(shmSizeFor(10)).toBe(64 * 1024 ** 2);
  });
});
