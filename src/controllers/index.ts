/** @module controllers — the set of resource controllers the server runs. */
import type { Controller, ControllerDeps } from './controller.js';
import { createEndpointController } from './endpoint/index.js';
import { createProcessingJobController } from './processing-job/index.js';
import { createTrainingJobController } from './training-job/index.js';
import { createTransformJobController } from './transform-job/index.js';

export function createControllers(deps: ControllerDeps): Controller[] {
  return [createTrainingJobController(deps), createEndpointController(deps), createProcessingJobController(deps), createTransformJobController(deps)];
}
