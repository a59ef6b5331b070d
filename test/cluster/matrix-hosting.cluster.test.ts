/** The one-engine hosting suites, unchanged, on a three-node Swarm (issue 15, acceptance 4). */
import { matrixSuites } from '../helpers/cluster/matrix.js';

matrixSuites(6, {
  'hosting/lifecycle': () => import('../integration/hosting/lifecycle.int.test.js'),
  'hosting/variants': () => import('../integration/hosting/variants.int.test.js'),
  'hosting/model-data': () => import('../integration/hosting/model-data.int.test.js'),
});
