import { describe, expect, it } from 'vitest';
import { serveContainerSpec } from './serve-container.js';

describe('serve container', () => {
  it('runs serve after the image ENTRYPOINT with the model read-only at /opt/ml/model and 8080 published', () => {
    const spec = serveContainerSpec({
      name: 'c1',
      image: 'algo:1',
      env: { A: '1' },
      labels: { 'slipway.kind': 'endpoint' },
      modelDir: '/cache/m1',
      network: 'net-1',
      limits: { nanoCpus: 2e9, memoryBytes: 1024, pidsLimit: 512, shmSizeBytes: 64, gpus: 0, warnings: [] },
    });
    expect(spec).toEqual({
      name: 'c1',
      image: 'algo:1',
      cmd: ['serve'],
      env: { A: '1' },
      labels: { 'slipway.kind': 'endpoint' },
      binds: [{ hostPath: '/cache/m1', containerPath: '/opt/ml/model', readOnly: true }],
      publishPorts: [8080],
      network: { name: 'net-1' },
      limits: { nanoCpus: 2e9, memoryBytes: 1024, pidsLimit: 512 },
      shmSizeBytes: 64,
    });
    expect(spec).not.toHaveProperty('entrypoint');
  });
});
