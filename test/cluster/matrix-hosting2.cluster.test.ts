/** Scratch: the remaining hosting suites on Swarm. */
import { matrixSuites } from '../helpers/cluster/matrix.js';

matrixSuites(8, {
  'hosting/invoke': () => import('../integration/hosting/invoke.int.test.js'),
  'hosting/serverless': () => import('../integration/hosting/serverless.int.test.js'),
  'hosting/autoscaling': () => import('../integration/hosting/autoscaling.int.test.js'),
  'hosting/restart': () => import('../integration/hosting/restart.int.test.js'),
  'hosting/streaming-cors': () => import('../integration/hosting/streaming-cors.int.test.js'),
  'hosting/public-invoke': () => import('../integration/hosting/public-invoke.int.test.js'),
  'hosting/examples': () => import('../integration/hosting/examples.int.test.js'),
  'hosting/runtime-edges': () => import('../integration/hosting/runtime-edges.int.test.js'),
  'hosting/inference-pipeline': () => import('../integration/hosting/inference-pipeline.int.test.js'),
});
