import { describe, expect, it } from 'vitest';
import { containerSettings } from './container-settings.js';

describe('container isolation and admission settings', () => {
  it('default to guarded hosts, Slipway’s own address pool and admission on with the documented ratios', () => {
    expect(containerSettings({})).toEqual({
      hostAccess: false,
      networkPool: '10.213.0.0/16',
      admission: { enabled: true, cpuOvercommit: 16, memoryOvercommit: 4, gpus: 0 },
      gpus: { devices: [], cpuFallback: false },
    });
  });

  it('take the operator’s choices', () => {
    const s = containerSettings({
      SLIPWAY_CONTAINER_HOST_ACCESS: 'allow',
      SLIPWAY_NETWORK_POOL: 'engine',
      SLIPWAY_ADMISSION: 'off',
      SLIPWAY_CPU_OVERCOMMIT: '2',
      SLIPWAY_MEMORY_OVERCOMMIT: '1',
      SLIPWAY_GPUS: '4',
    });
    expect(s).toEqual({
      hostAccess: true,
      networkPool: false,
      admission: { enabled: false, cpuOvercommit: 2, memoryOvercommit: 1, gpus: 4 },
      gpus: { devices: ['0', '1', '2', '3'], cpuFallback: false },
    });
  });

  it('read SLIPWAY_GPUS as a count or as the device ids and UUIDs that are Slipway’s', () => {
    expect(containerSettings({ SLIPWAY_GPUS: '0' }).gpus.devices).toEqual([]);
    expect(containerSettings({ SLIPWAY_GPUS: ' 1, 3 ' }).gpus.devices).toEqual(['1', '3']);
    const uuid = 'GPU-8f2c1a4e-0b7d-4c1e-9a3f-1d2e3f4a5b6c';
    const s = containerSettings({ SLIPWAY_GPUS: uuid, SLIPWAY_GPU_FALLBACK: 'cpu' });
    expect(s.gpus).toEqual({ devices: [uuid], cpuFallback: true });
    expect(s.admission.gpus).toBe(1);
    expect(() => containerSettings({ SLIPWAY_GPUS: '0,$(reboot)' })).toThrow(/is not a GPU index or UUID/);
    expect(() => containerSettings({ SLIPWAY_GPUS: '1,1' })).toThrow(/names a GPU twice/);
    expect(() => containerSettings({ SLIPWAY_GPUS: '1000' })).toThrow(/at most 64/);
    expect(() => containerSettings({ SLIPWAY_GPU_FALLBACK: 'yes' })).toThrow(/SLIPWAY_GPU_FALLBACK must be one of none, cpu/);
  });

  it('refuse to start on a value they cannot read', () => {
    expect(() => containerSettings({ SLIPWAY_CONTAINER_HOST_ACCESS: 'yes' })).toThrow(/SLIPWAY_CONTAINER_HOST_ACCESS must be one of deny, allow/);
    expect(() => containerSettings({ SLIPWAY_CPU_OVERCOMMIT: 'lots' })).toThrow(/SLIPWAY_CPU_OVERCOMMIT must be a number/);
    expect(() => containerSettings({ SLIPWAY_MEMORY_OVERCOMMIT: '0' })).toThrow(/at least/);
    expect(() => containerSettings({ SLIPWAY_NETWORK_POOL: '10.0.0.0/33' })).toThrow(/SLIPWAY_NETWORK_POOL must be an IPv4 CIDR/);
  });
});
