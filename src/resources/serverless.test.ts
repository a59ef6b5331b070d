import { describe, expect, it } from 'vitest';
import { hostContainerCap, serverlessConfigDoc, serverlessLimits, serverlessPlan, serverlessTarget } from './serverless.js';

const plan = (max: number, provisioned = 0) => ({ memorySizeInMB: 1024, maxConcurrency: max, provisionedConcurrency: provisioned });
const IDLE = 10_000;

describe('serverlessTarget', () => {
  it('is ProvisionedConcurrency (0 by default) before any request and after the idle period', () => {
    expect(serverlessTarget(plan(5), undefined, 0, 0, IDLE)).toBe(0);
    expect(serverlessTarget(plan(5, 2), undefined, 0, 0, IDLE)).toBe(2);
    expect(serverlessTarget(plan(5), { busy: 0, lastActive: 1_000 }, 3, 1_000 + IDLE, IDLE)).toBe(0);
    expect(serverlessTarget(plan(5, 1), { busy: 0, lastActive: 1_000 }, 3, 1_000 + IDLE, IDLE)).toBe(1);
  });

  it('follows concurrent requests up to MaxConcurrency and keeps what runs while active', () => {
    expect(serverlessTarget(plan(5), { busy: 1, lastActive: 0 }, 0, 0, IDLE)).toBe(1);
    expect(serverlessTarget(plan(5), { busy: 3, lastActive: 0 }, 1, 0, IDLE)).toBe(3);
    expect(serverlessTarget(plan(2), { busy: 9, lastActive: 0 }, 0, 0, IDLE)).toBe(2);
    // No request in flight, but active within the idle period: the 3 running stay.
    expect(serverlessTarget(plan(5), { busy: 0, lastActive: 1_000 }, 3, 1_000 + IDLE - 1, IDLE)).toBe(3);
    expect(serverlessTarget(plan(5, 4), { busy: 1, lastActive: 0 }, 1, 0, IDLE)).toBe(4);
  });
});

describe('serverlessLimits', () => {
  it('gives the memory size as the memory limit and CPUs at 1769 MB per vCPU, within the host', () => {
    const l = serverlessLimits({ ...plan(1), memorySizeInMB: 3072 }, 8, 64 * 1024 ** 3);
    expect(l.memoryBytes).toBe(3072 * 1024 ** 2);
    expect(l.nanoCpus).toBe(Math.round((3072 / 1769) * 1e9));
    expect(l.gpus).toBe(0);
    expect(l.warnings).toEqual([]);
    const small = serverlessLimits({ ...plan(1), memorySizeInMB: 6144 }, 2, 4 * 1024 ** 3);
    expect(small.nanoCpus).toBe(2e9);
    expect(small.memoryBytes).toBe(4 * 1024 ** 3);
    expect(small.warnings[0]).toMatch(/MemorySizeInMB 6144/);
  });
});

describe('serverless config documents', () => {
  it('round-trips and leaves ProvisionedConcurrency out when not set', () => {
    expect(serverlessConfigDoc(serverlessPlan({ MemorySizeInMB: 2048, MaxConcurrency: 4 }))).toEqual({ MemorySizeInMB: 2048, MaxConcurrency: 4 });
    expect(serverlessConfigDoc(serverlessPlan({ MemorySizeInMB: 2048, MaxConcurrency: 4, ProvisionedConcurrency: 2 }))).toEqual({ MemorySizeInMB: 2048, MaxConcurrency: 4, ProvisionedConcurrency: 2 });
  });
});

describe('hostContainerCap', () => {
  it('holds as many containers as the host memory fits, at least one, and caps the target', () => {
    const p = { ...plan(200), memorySizeInMB: 2048 };
    expect(hostContainerCap(p, 8 * 1024 ** 3)).toBe(4);
    expect(hostContainerCap(p, 1024 ** 3)).toBe(1);
    expect(serverlessTarget(p, { busy: 50, lastActive: 0 }, 0, 0, IDLE, hostContainerCap(p, 8 * 1024 ** 3))).toBe(4);
  });
});
