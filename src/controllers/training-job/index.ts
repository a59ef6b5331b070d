/** @module controllers/training-job — placeholder until its issue lands. */
import type { Controller, ControllerDeps } from '../controller.js';
import { DONE } from '../work-queue.js';

export function createTrainingJobController(_deps: ControllerDeps): Controller {
  return { kind: 'training-job', reconcile: async () => DONE, resume: async () => undefined, stop: async () => undefined };
}
