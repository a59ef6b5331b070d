import { describe, expect, it } from 'vitest';
import type { ResourceRecord } from '../../resources/kinds.js';
import { EndpointStatus } from '../../resources/endpoint.js';
import { InstanceState } from './fleet.js';
import { routeSpec, variantSummaries, type Routable } from './publishing.js';

const rec = (status: string = EndpointStatus.InService): ResourceRecord<'endpoint'> =>
  ({
    name: 'ep',
    arn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/ep',
    status,
    internal: {
      active: {
        generation: 2,
        endpointConfigName: 'cfg',
        variants: [
          { variantName: 'A', weight: 1, instanceCount: 2, image: 'img:1', resolvedImage: 'img@sha256:1', resolutionTime: 5 },
          { variantName: 'B', weight: 3, instanceCount: 1, image: 'img:2' },
        ],
      },
      nextGeneration: 3,
    },
  }) as unknown as ResourceRecord<'endpoint'>;

const inst = (id: string, variant: string, state: InstanceState, generation = 2, origin: string | null = `http://127.0.0.1:${id.length}`): Routable => ({
  id,
  variant,
  generation,
  startedAt: 0,
  state,
  ...(origin ? { origin } : {}),
});

describe('routes and summaries', () => {
  const instances = [
    inst('a1', 'A', InstanceState.Serving),
    inst('a2', 'A', InstanceState.Starting),
    inst('a3', 'A', InstanceState.Serving, 1),
    inst('a4', 'A', InstanceState.Retiring),
    inst('b1', 'B', InstanceState.Serving, 2, null),
    inst('b2', 'B', InstanceState.Died),
  ];

  it('routes only serving instances of the active fleet that have an address, with the active weights', () => {
    const spec = routeSpec(rec(), instances);
    expect(spec.variants).toEqual([
      { name: 'A', weight: 1, instances: [{ instanceId: 'a1', variant: 'A', origin: 'http://127.0.0.1:2', logStream: 'A/a1' }] },
      { name: 'B', weight: 3, instances: [] },
    ]);
  });

  it('counts serving instances of the active fleet and shows why a fleet waits', () => {
    const out = variantSummaries(rec(EndpointStatus.Updating), instances, undefined, { message: 'waiting for capacity', since: 2000 });
    expect(out.map((v) => [v.VariantName, v.CurrentInstanceCount, v.DesiredInstanceCount, v.CurrentWeight])).toEqual([
      ['A', 1, 2, 1],
      ['B', 1, 1, 3],
    ]);
    expect(out[0]!.DeployedImages).toEqual([{ SpecifiedImage: 'img:1', ResolvedImage: 'img@sha256:1', ResolutionTime: 5 }]);
    expect(out[1]!.VariantStatus).toEqual([{ Status: 'Updating', StatusMessage: 'waiting for capacity', StartTime: 2 }]);
    expect(variantSummaries(rec(), instances, undefined, undefined)[0]).not.toHaveProperty('VariantStatus');
  });
});
