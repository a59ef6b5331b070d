/** @module controllers/processing-job — the processing-job controller (see controller.ts for the flow). */
import type { Controller, ControllerDeps } from '../controller.js';
import { ProcessingJobController, type ProcessingJobControllerOptions } from './controller.js';

export { ProcessingJobController, PROCESSING_STOP_GRACE_SECONDS } from './controller.js';
export { PROCESSING_LOG_GROUP } from '../../resources/processing-job.js';
export type { ProcessingJobDoc, ProcessingJobInternal } from '../../resources/processing-job.js';

export function createProcessingJobController(deps: ControllerDeps, opts?: ProcessingJobControllerOptions): Controller {
  return new ProcessingJobController(deps, opts);
}
