import { describe, expect, it } from 'vitest';
import { gpuShortfall, instanceSpec, limitsFor, pidsLimitFor, shmSizeFor } from './instance-types.js';

const gpuIds = (n: number) => Array.from({ length: n }, (_, i) => String(i));

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
    expect(l).toEqual({ nanoCpus: 2e9, memoryBytes: 8 * 1024 ** 3, pidsLimit: 65_536, shmSizeBytes: 4 * 1024 ** 3, gpus: 0, warnings: [] });
  });

  it('runs unknown types unlimited with a warning', () => {
    expect(limitsFor('ml.zz.large', 2, 1e9).warnings[0]).toMatch(/Unknown instance type/);
    expect(limitsFor('local', 2, 1e9)).toEqual({ pidsLimit: 4915, shmSizeBytes: 5e8, gpus: 0, warnings: [] });
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

  it('asks for the instance type’s GPUs, at most the host’s, and for none only when the operator allows CPUs', () => {
    const gb = 1024 ** 3;
    expect(limitsFor('ml.g4dn.12xlarge', 64, 256 * gb, undefined, { devices: gpuIds(8), cpuFallback: false })).toMatchObject({ gpus: 4, warnings: [] });
    const capped = limitsFor('ml.p3.16xlarge', 64, 512 * gb, undefined, { devices: gpuIds(2), cpuFallback: false });
    expect(capped.gpus).toBe(2);
    expect(capped.warnings).toContain('ml.p3.16xlarge has 8 GPUs; this host offers Slipway 2, so the container gets 2.');
    const onCpu = limitsFor('ml.g4dn.xlarge', 4, 16 * gb, undefined, { devices: [], cpuFallback: true });
    expect(onCpu.gpus).toBe(0);
    expect(onCpu.warnings[0]).toMatch(/runs on CPUs alone \(SLIPWAY_GPU_FALLBACK=cpu\)/);
    // No GPUs, no fallback: the request stands and the engine refuses it with the reason.
    expect(limitsFor('ml.g4dn.xlarge', 4, 16 * gb, undefined, { devices: [], cpuFallback: false }).gpus).toBe(1);
    expect(limitsFor('ml.m5.large', 4, 16 * gb, undefined, { devices: gpuIds(2), cpuFallback: false }).gpus).toBe(0);
  });

  it('names GPU types that cannot run on a host without GPUs unless CPUs are allowed', () => {
    expect(gpuShortfall('ml.p3.8xlarge', { devices: [], cpuFallback: false })).toEqual({ gpus: 4 });
    expect(gpuShortfall('ml.p3.8xlarge', { devices: [], cpuFallback: true })).toBeUndefined();
    expect(gpuShortfall('ml.p3.8xlarge', { devices: gpuIds(1), cpuFallback: false })).toBeUndefined();
    expect(gpuShortfall('ml.m5.large', { devices: [], cpuFallback: false })).toBeUndefined();
    expect(gpuShortfall('local', { devices: [], cpuFallback: false })).toBeUndefined();
  });
});
