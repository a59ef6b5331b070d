/**
 * @module test/helpers/cluster/matrix — runs one-engine suites unchanged on a Swarm (issue 15,
 * acceptance 4). A matrix file calls `matrixSuites(slot, { name: () => import(suite) })`: the
 * suites' tests are collected inside one describe each, in this one process, so they share one
 * cluster (test-cluster.ts); their servers start with SLIPWAY_TEST_RUNTIME=swarm.
 */
import { afterAll, describe, it } from 'vitest';
import { CLUSTER_TESTS_ENABLED } from './swarm-cluster.js';
import { releaseTestCluster } from './test-cluster.js';

export function matrixSuites(slot: number, suites: Record<string, () => Promise<unknown>>): void {
  if (!CLUSTER_TESTS_ENABLED) {
    it.skip('runs with SLIPWAY_CLUSTER_TESTS=1 (root, a Swarm harness)', () => undefined);
    return;
  }
  // Set before any suite starts a server: this process is the matrix's alone (one file, one fork).
  process.env.SLIPWAY_TEST_RUNTIME = 'swarm';
  process.env.SLIPWAY_SWARM_SLOT ??= String(slot);
  // Overlays cannot keep containers off the host (docs/cluster.md, "Isolation in cluster mode").
  process.env.SLIPWAY_CONTAINER_HOST_ACCESS = 'allow';
  afterAll(releaseTestCluster);
  for (const [name, load] of Object.entries(suites)) describe(`${name} on Swarm`, async () => void (await load()));
}
