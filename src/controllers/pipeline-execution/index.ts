/** @module controllers/pipeline-execution — the pipeline execution controller (see controller.ts for the flow). */
import type { Controller } from '../controller.js';
import { PipelineExecutionController, type PipelineExecutionControllerDeps } from './controller.js';

export { EXECUTION_KIND, PipelineExecutionController } from './controller.js';

export function createPipelineExecutionController(deps: PipelineExecutionControllerDeps): Controller {
  return new PipelineExecutionController(deps);
}
