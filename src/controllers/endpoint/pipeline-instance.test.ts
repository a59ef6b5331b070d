import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../runtime/container-runtime.js';
import { adoptablePipelines, instanceHealth, LABEL_PIPELINE_HOST, LABEL_PIPELINE_INDEX, LABEL_PIPELINE_PORT } from './pipeline-instance.js';

function container(id: string, instance: string, index: number, o: { running?: boolean; published?: boolean } = {}): ContainerInfo {
  const port = 8080 + index;
  return {
    id,
    name: id,
    image: 'img',
    labels: { 'slipway.name': 'ep', 'slipway.instance': instance, [LABEL_PIPELINE_HOST]: `container-${index + 1}`, [LABEL_PIPELINE_INDEX]: String(index), [LABEL_PIPELINE_PORT]: String(port) },
    state: o.running === false ? 'exited' : 'running',
    running: o.running !== false,
    exitCode: null,
    oomKilled: false,
    ports: o.published === false ? {} : { [port]: 30000 + index },
  };
}

describe('adoptablePipelines', () => {
  it('groups a complete instance back in order, with each container’s published port', () => {
    const { instances, strays } = adoptablePipelines([container('b', 'i-1', 1), container('a', 'i-1', 0)], () => 2);
    expect(strays).toEqual([]);
    expect(instances).toHaveLength(1);
    expect(instances[0]!.first.id).toBe('a');
    expect(instances[0]!.members).toEqual([
      { hostname: 'container-1', containerId: 'a', origin: 'http://127.0.0.1:30000' },
      { hostname: 'container-2', containerId: 'b', origin: 'http://127.0.0.1:30001' },
    ]);
  });

  it('gives up an instance with a missing, stopped or unpublished container, or one no plan expects', () => {
    const missing = adoptablePipelines([container('a', 'i-1', 0)], () => 2);
    const stopped = adoptablePipelines([container('a', 'i-2', 0), container('b', 'i-2', 1, { running: false })], () => 2);
    const unpublished = adoptablePipelines([container('a', 'i-3', 0), container('b', 'i-3', 1, { published: false })], () => 2);
    const unknown = adoptablePipelines([container('a', 'i-4', 0), container('b', 'i-4', 1)], () => undefined);
    for (const r of [missing, stopped, unpublished, unknown]) expect(r.instances).toEqual([]);
    expect(stopped.strays.map((c) => c.id).sort()).toEqual(['a', 'b']);
  });
});

describe('instanceHealth', () => {
  it('is unhealthy when a container has no published port yet, without asking anyone', async () => {
    expect(await instanceHealth({ origin: 'http://127.0.0.1:1', members: [{ hostname: 'a', containerId: 'x' }] })).toBe('unhealthy');
  });
});
