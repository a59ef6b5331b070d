import { describe, expect, it } from 'vitest';
import { RoutingTable } from '../../dataplane/routing-table.js';
import type { VariantPlan } from '../../resources/endpoint.js';
import { STARTS_PER_PASS, serverlessWant } from './serverless-fleet.js';

const v: VariantPlan = {
  variantName: 'AllTraffic',
  modelName: 'm',
  image: 'img',
  environment: {},
  enableNetworkIsolation: false,
  instanceCount: 1,
  weight: 1,
  serverless: { memorySizeInMB: 1024, maxConcurrency: 10, provisionedConcurrency: 0 },
  startupTimeoutSeconds: 600,
  downloadTimeoutSeconds: 600,
};
const config = { serverless: { idleSeconds: 300, coldStartTimeoutSeconds: 60 } };

describe('serverlessWant', () => {
  it('reads the data plane demand, and starts at most STARTS_PER_PASS containers a pass', () => {
    const t = new RoutingTable();
    expect(serverlessWant(t, config, 'ep', v, 0, 64 * 1024 ** 3)).toEqual({ want: 0, now: 0 });
    for (let i = 0; i < 5; i++) t.serverless.enter('ep', 'AllTraffic', 10);
    expect(serverlessWant(t, config, 'ep', v, 0, 64 * 1024 ** 3)).toEqual({ want: 5, now: STARTS_PER_PASS });
    expect(serverlessWant(t, config, 'ep', v, 4, 64 * 1024 ** 3)).toEqual({ want: 5, now: 5 });
    // A host with 3 GiB holds 3 containers of 1024 MB.
    expect(serverlessWant(t, config, 'ep', v, 3, 3 * 1024 ** 3)).toEqual({ want: 3, now: 3 });
  });
});
