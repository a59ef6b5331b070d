/**
 * @module services/iam/validation — model-driven input validation for IAM (query protocol): the
 * form values are typed by the model first, then checked. IAM answers every broken constraint,
 * a missing required member and a value of the wrong type with `ValidationError`
 * (`1 validation error detected: Value 'x' at 'roleName' failed to satisfy constraint: ...`).
 */
import { checkInput, type ValidationResult } from '../../protocol/validation/validate.js';
import { typedQueryInput } from '../../protocol/validation/query-input.js';
import { MODEL } from './generated/model.js';

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export function validateIamInput(op: string, input: unknown): ValidationResult {
  if (!Object.hasOwn(MODEL.operations, op)) return { violations: [] };
  const r = checkInput(MODEL, op, typedQueryInput(MODEL, op, input));
  return r.serializationError !== undefined || r.violations.length > 0 ? { ...r, errorCode: 'ValidationError' } : r;
}
