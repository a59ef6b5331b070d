/**
 * Issue 15, acceptance 4: the rest of the one-engine hosting suites (autoscaling, restarts,
 * streaming and CORS, public invoke, the examples, runtime edges, inference pipelines), unchanged, on
 * a three-node Swarm (test/helpers/cluster/matrix.ts; docs/cluster.md, "The behaviour matrix").
 */
import { matrixSuites } from '../helpers/cluster/matrix.js';

matrixSuites(8, {
  'hosting/autoscaling': () => import('../integration/hosting/autoscaling.int.test.js'),
  'hosting/restart': () => import('../integration/hosting/restart.int.test.js'),
  'hosting/streaming-cors': () => import('../integration/hosting/streaming-cors.int.test.js'),
  'hosting/public-invoke': () => import('../integration/hosting/public-invoke.int.test.js'),
  'hosting/examples': () => import('../integration/hosting/examples.int.test.js'),
  'hosting/runtime-edges': () => import('../integration/hosting/runtime-edges.int.test.js'),
  'hosting/inference-pipeline': () => import('../integration/hosting/inference-pipeline.int.test.js'),
});
