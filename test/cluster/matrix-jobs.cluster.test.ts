/**
 * Issue 15, acceptance 4: the one-engine processing and batch transform suites, unchanged, on a
 * three-node Swarm (test/helpers/cluster/matrix.ts; docs/cluster.md, "The behaviour matrix").
 */
import { matrixSuites } from '../helpers/cluster/matrix.js';

matrixSuites(7, {
  'processing/processing': () => import('../integration/processing/processing.int.test.js'),
  'processing/nested-paths': () => import('../integration/processing/nested-paths.int.test.js'),
  'processing/cluster-and-limits': () => import('../integration/processing/cluster-and-limits.int.test.js'),
  'processing/restart': () => import('../integration/processing/restart.int.test.js'),
  'transform/transform': () => import('../integration/transform/transform.int.test.js'),
  'transform/stop-manifest-scale': () => import('../integration/transform/stop-manifest-scale.int.test.js'),
  'transform/restart': () => import('../integration/transform/restart.int.test.js'),
});
