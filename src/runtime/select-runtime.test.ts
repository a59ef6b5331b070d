import { describe, expect, it } from 'vitest';
import { DockerRuntime } from './docker/docker-runtime.js';
import { createRuntime, runtimeKind } from './select-runtime.js';
import { SwarmRuntime } from './swarm/swarm-runtime.js';

describe('runtime selection (SLIPWAY_RUNTIME)', () => {
  it('defaults to docker and accepts swarm in any case', () => {
    expect(runtimeKind({})).toBe('docker');
    expect(runtimeKind({ SLIPWAY_RUNTIME: '' })).toBe('docker');
    expect(runtimeKind({ SLIPWAY_RUNTIME: ' Swarm ' })).toBe('swarm');
    expect(createRuntime({}, { networkPool: false, gpuDevices: [] })).toBeInstanceOf(DockerRuntime);
    expect(createRuntime({ SLIPWAY_RUNTIME: 'swarm' }, { networkPool: false, gpuDevices: [] })).toBeInstanceOf(SwarmRuntime);
  });

  it('refuses an unknown engine with the accepted values', () => {
    expect(() => runtimeKind({ SLIPWAY_RUNTIME: 'kubernetes' })).toThrow('SLIPWAY_RUNTIME="kubernetes": expected one of docker, swarm');
  });
});
