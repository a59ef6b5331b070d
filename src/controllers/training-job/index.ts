/** @module controllers/training-job — the training-job controller (see controller.ts for the flow). */
import type { Controller, ControllerDeps } from '../controller.js';
import { TrainingJobController, type TrainingJobControllerOptions } from './controller.js';

export { TrainingJobController, STOP_GRACE_SECONDS } from './controller.js';
export { TRAINING_LOG_GROUP } from '../../resources/training-job.js';
export type { TrainingJobDoc, TrainingJobInternal } from '../../resources/training-job.js';

export function createTrainingJobController(deps: ControllerDeps, opts?: TrainingJobControllerOptions): Controller {
  return new TrainingJobController(deps, opts);
}
