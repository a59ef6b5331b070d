/**
 * @module services/application-autoscaling — the Application Auto Scaling operation table (JSON 1.1,
 * `AnyScaleFrontendService.*`, SigV4 service `application-autoscaling`) for SageMaker endpoint
 * variants. Handlers write targets and policies and enqueue `autoscaling:<resource id>`; the driver
 * in controllers/autoscaling evaluates them. Operations not listed answer UnknownOperationException.
 */
import { operationTable, type OperationTable } from '../../protocol/operation-table.js';
import type { Operations } from './generated/types.js';
import { checkInput, type ValidationResult } from '../../protocol/validation/validate.js';
import type { AutoscalingDeps } from './deps.js';
import { MODEL } from './generated/model.js';
import { policyOperations } from './operations/policies.js';
import { tagOperations } from './operations/tags.js';
import { targetOperations } from './operations/targets.js';

export const AUTOSCALING_TARGET_PREFIX = 'AnyScaleFrontendService';
export const AUTOSCALING_SIGNING_NAME = 'application-autoscaling';

export function autoscalingOperations(deps: AutoscalingDeps): OperationTable {
  return operationTable<Operations>({ ...targetOperations(deps), ...policyOperations(deps), ...tagOperations(deps) });
}

/** Model constraints, answered as Coral's `ValidationException` (`1 validation error detected: …`). */
export function validateAutoscalingInput(op: string, input: unknown): ValidationResult {
  if (!Object.hasOwn(MODEL.operations, op)) return { violations: [] };
  return checkInput(MODEL, op, input);
}
