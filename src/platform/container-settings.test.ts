import { describe, expect, it } from 'vitest';
import { containerSettings } from './container-settings.js';

describe('container isolation and admission settings', () => {
  it('default to guarded hosts, Slipway’s own address pool and admission on with the documented ratios', () => {
    expect(containerSettings({})).toEqual({
      hostAccess: false,
      networkPool: '10.213.0.0/16',
      admission: { enabled: true, cpuOvercommit: 16, memoryOvercommit: 4, gpus: 0 },
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
    expect(s).toEqual({ hostAccess: true, networkPool: false, admission: { enabled: false, cpuOvercommit: 2, memoryOvercommit: 1, gpus: 4 } });
  });

  it('refuse to start on a value they cannot read', () => {
    expect(() => containerSettings({ SLIPWAY_CONTAINER_HOST_ACCESS: 'yes' })).toThrow(/SLIPWAY_CONTAINER_HOST_ACCESS must be one of deny, allow/);
    expect(() => containerSettings({ SLIPWAY_CPU_OVERCOMMIT: 'lots' })).toThrow(/SLIPWAY_CPU_OVERCOMMIT must be a number/);
    expect(() => containerSettings({ SLIPWAY_MEMORY_OVERCOMMIT: '0' })).toThrow(/at least/);
    expect(() => containerSettings({ SLIPWAY_NETWORK_POOL: '10.0.0.0/33' })).toThrow(/SLIPWAY_NETWORK_POOL must be an IPv4 CIDR/);
  });
});
