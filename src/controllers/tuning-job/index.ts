/** @module controllers/tuning-job — the hyperparameter tuning job controller (see controller.ts for the flow). */
import type { Controller } from '../controller.js';
import { TuningJobController, type TuningJobControllerDeps } from './controller.js';

export { TUNING_KIND, TuningJobController } from './controller.js';

export function createTuningJobController(deps: TuningJobControllerDeps): Controller {
  return new TuningJobController(deps);
}
