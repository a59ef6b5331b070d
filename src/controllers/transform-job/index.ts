/** @module controllers/transform-job — the batch transform controller (see controller.ts for the flow). */
import type { Controller, ControllerDeps } from '../controller.js';
import { TransformJobController } from './controller.js';

export { TransformJobController } from './controller.js';
export { TRANSFORM_LOG_GROUP } from '../../resources/transform-job.js';
export type { TransformJobDoc, TransformJobInternal } from '../../resources/transform-job.js';

export function createTransformJobController(deps: ControllerDeps): Controller {
  return new TransformJobController(deps);
}
