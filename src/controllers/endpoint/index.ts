/** @module controllers/endpoint — placeholder until its issue lands. */
import type { Controller, ControllerDeps } from '../controller.js';
import { DONE } from '../work-queue.js';

export function createEndpointController(_deps: ControllerDeps): Controller {
  return { kind: 'endpoint', reconcile: async () => DONE, resume: async () => undefined, stop: async () => undefined };
}
