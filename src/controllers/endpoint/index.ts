/** @module controllers/endpoint — the endpoint controller (fleets, health, blue/green, adoption); see endpoint-controller.ts. */
import type { Controller, ControllerDeps } from '../controller.js';
import { EndpointController } from './endpoint-controller.js';

export function createEndpointController(deps: ControllerDeps): Controller {
  return new EndpointController(deps);
}
