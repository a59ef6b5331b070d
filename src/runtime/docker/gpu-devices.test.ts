import { describe, expect, it } from 'vitest';
import { GPU_DEVICES_LABEL, pickGpuDevices, withGpuDevices } from './gpu-devices.js';

describe('GPU devices', () => {
  it('picks free devices in the operator’s order, or none when too few are free', () => {
    expect(pickGpuDevices(['0', '1', '2', '3'], new Set(['1']), 2)).toEqual(['0', '2']);
    expect(pickGpuDevices(['0', '1'], new Set(['0', '1']), 1)).toBeUndefined();
    expect(pickGpuDevices(['GPU-a', 'GPU-b'], new Set(), 2)).toEqual(['GPU-a', 'GPU-b']);
  });

  it('asks the engine as `docker run --gpus device=…` does, labels the holder and names the devices for the NVIDIA runtime', () => {
    const body = withGpuDevices({ Image: 'x', Env: ['A=1', 'NVIDIA_VISIBLE_DEVICES=all'], Labels: { k: 'v' }, HostConfig: { Memory: 1 } }, ['1', '3']);
    expect(body).toEqual({
      Image: 'x',
      Env: ['A=1', 'NVIDIA_VISIBLE_DEVICES=1,3'],
      Labels: { k: 'v', [GPU_DEVICES_LABEL]: '1,3' },
      HostConfig: { Memory: 1, DeviceRequests: [{ Driver: '', Count: 0, DeviceIDs: ['1', '3'], Capabilities: [['gpu']], Options: {} }] },
    });
  });
});
