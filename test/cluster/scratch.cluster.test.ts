import { matrixSuites } from '../helpers/cluster/matrix.js';
matrixSuites(9, {
  'training/example': () => import('../integration/training/example.int.test.js'),
  'processing/cluster-and-limits': () => import('../integration/processing/cluster-and-limits.int.test.js'),
  'processing/nested-paths': () => import('../integration/processing/nested-paths.int.test.js'),
  'hosting/inference-pipeline': () => import('../integration/hosting/inference-pipeline.int.test.js'),
  'hosting/examples': () => import('../integration/hosting/examples.int.test.js'),
});
