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
  const result = checkInput(MODEL, op, input, { caretInPatternMessages: true });
  // Slipway extension: `file:///abs/path` is accepted wherever the model wants an s3:// URI
  // (SageMaker itself accepts only s3://), so local data needs no upload.
  return { ...result, violations: result.violations.filter((v) => !FILE_URI_FOR_S3_PATTERN.test(v)) };
}

const FILE_URI_FOR_S3_PATTERN = /^Value 'file:\/\/\/[^']*' at '[^']+' failed to satisfy constraint: Member must satisfy regular expression pattern: \^?\(https\|s3\):\/\//;
