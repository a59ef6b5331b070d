/**
 * Issue 15, acceptance 4: the one-engine training suites, unchanged, on a three-node Swarm
 * (test/helpers/cluster/matrix.ts). Which suites run here and which do not, and why: docs/cluster.md,
 * "The behaviour matrix".
 */
import { matrixSuites } from '../helpers/cluster/matrix.js';

matrixSuites(5, {
  'training/single-host': () => import('../integration/training/single-host.int.test.js'),
  'training/multi-host-and-pipe': () => import('../integration/training/multi-host-and-pipe.int.test.js'),
  'training/data-sources': () => import('../integration/training/data-sources.int.test.js'),
  'training/start-failures': () => import('../integration/training/start-failures.int.test.js'),
  'training/example': () => import('../integration/training/example.int.test.js'),
  'training/boto3-and-restart': () => import('../integration/training/boto3-and-restart.int.test.js'),
});
