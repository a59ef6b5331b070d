/** @module controllers — the set of resource controllers the server runs, sharing one admission ledger. */
import { Admission } from './admission/admission.js';
import type { Controller, ControllerDeps } from './controller.js';
import { createEndpointController } from './endpoint/index.js';
import { createProcessingJobController } from './processing-job/index.js';
import { createTrainingJobController } from './training-job/index.js';
import { createTransformJobController } from './transform-job/index.js';

export function createControllers(base: Omit<ControllerDeps, 'admission'>): Controller[] {
  const deps: ControllerDeps = { ...base, admission: new Admission(base.runtime, base.config.containers.admission) };
  return [createTrainingJobController(deps), createEndpointController(deps), createProcessingJobController(deps), createTransformJobController(deps)];
}
