/** @module services/logs/validation — model-driven input validation for CloudWatch Logs. */
import { checkInput, type ValidationResult } from '../../protocol/validation/validate.js';
import { MODEL } from './generated/model.js';

/** Every operation in the official CloudWatch Logs model (routed or not). */
export const logsOperationNames: ReadonlySet<string> = new Set(Object.keys(MODEL.operations));

/**
 * Checks a parsed `Logs_20140328.<op>` body against the official model. `violations` are AWS-worded
 * (join with `formatValidationMessage` → the caller's validation error; real Logs answers
 * InvalidParameterException for its own checks but ValidationException for model constraints);
 * `serializationError` means a wrong JSON type (→ SerializationException). Operations not in the
 * model yield no violations.
 */
export function validateLogsInput(op: string, input: unknown): ValidationResult {
  if (!logsOperationNames.has(op)) return { violations: [] };
  return checkInput(MODEL, op, input);
}
