/** @module services/sagemaker/validation — model-driven input validation for the SageMaker control plane. */
import { checkInput, type ValidationResult } from '../../protocol/validation/validate.js';
import { MODEL } from './generated/model.js';

/** Every operation in the official SageMaker model (routed or not). */
export const sageMakerOperationNames: ReadonlySet<string> = new Set(Object.keys(MODEL.operations));

/**
 * Checks a parsed `SageMaker.<op>` body against the official model. `violations` are AWS-worded
 * (join with `formatValidationMessage` → ValidationException); `serializationError` means a wrong
 * JSON type (→ SerializationException). Operations not in the model yield no violations.
 * Pattern texts in messages carry the `^` prefix of SageMaker's older models, as its real messages do.
 */
export function validateSageMakerInput(op: string, input: unknown): ValidationResult {
  if (!sageMakerOperationNames.has(op)) return { violations: [] };
  return checkInput(MODEL, op, input, { caretInPatternMessages: true });
}
