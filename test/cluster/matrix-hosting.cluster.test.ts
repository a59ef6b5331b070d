/**
 * Issue 15, acceptance 4: the one-engine hosting suites (endpoints, variants, model data, async,
 * shadow, capture, serverless), unchanged, on a three-node Swarm (test/helpers/cluster/matrix.ts;
 * docs/cluster.md, "The behaviour matrix").
 */
import { matrixSuites } from '../helpers/cluster/matrix.js';

matrixSuites(6, {
  'hosting/invoke': () => import('../integration/hosting/invoke.int.test.js'),
  'hosting/lifecycle': () => import('../integration/hosting/lifecycle.int.test.js'),
  'hosting/variants': () => import('../integration/hosting/variants.int.test.js'),
  'hosting/model-data': () => import('../integration/hosting/model-data.int.test.js'),
  'hosting/async': () => import('../integration/hosting/async.int.test.js'),
  'hosting/shadow': () => import('../integration/hosting/shadow.int.test.js'),
  'hosting/data-capture': () => import('../integration/hosting/data-capture.int.test.js'),
  'hosting/serverless': () => import('../integration/hosting/serverless.int.test.js'),
});
