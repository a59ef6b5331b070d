/** @module services/sagemaker/validation — model-driven input validation for the SageMaker control plane. */
import { checkInput, type ValidationResult } from '../../protocol/validation/validate.js';
import { LocalPaths, type LocalAccess } from '../../storage/local-paths.js';
import { MODEL } from './generated/model.js';

/** Every operation in the official SageMaker model (routed or not). */
export const sageMakerOperationNames: ReadonlySet<string> = new Set(Object.keys(MODEL.operations));

/** What a service's `validate*Input` looks like to the JSON 1.1 surface. */
export type SageMakerValidator = (op: string, input: unknown) => ValidationResult;

/** The pattern every S3 URI member of the model carries (`S3Uri`, `S3OutputPath`, `Url`, ...). */
const S3_URI_PATTERN = /^\^?\(https\|s3\):\/\//;

/**
 * Members whose URI Slipway only reads (channels, processing and transform inputs, model data);
 * every other S3 URI member may be written to (outputs, checkpoints, capture, profiler), so a
 * `file://` there must lie under a writable root.
 */
const READ_ONLY_MEMBER = /^(inputDataConfig|processingInputs|transformInput)\.|(^|\.)(modelDataUrl|modelDataSource\.s3DataSource\.s3Uri)$/;

export function accessFor(memberPath: string): LocalAccess {
  return READ_ONLY_MEMBER.test(memberPath) ? 'read' : 'write';
}

/**
 * Checks a parsed `SageMaker.<op>` body against the official model. `violations` are AWS-worded
 * (join with `formatValidationMessage` → ValidationException); `serializationError` means a wrong
 * JSON type (→ SerializationException). Operations not in the model yield no violations.
 * Pattern texts in messages carry the `^` prefix of SageMaker's older models, as its real messages do.
 *
 * `file://` URIs break the model's `(https|s3)://` patterns and are refused with SageMaker's own
 * pattern message, unless the operator allowed the directory (Slipway extension, `local`):
 * inputs under SLIPWAY_LOCAL_PATHS or SLIPWAY_LOCAL_OUTPUT_PATHS, outputs under the latter.
 */
export function sageMakerValidator(local: LocalPaths): SageMakerValidator {
  const acceptPatternMismatch = (value: string, path: string, pattern: string) =>
    value.startsWith('file://') && S3_URI_PATTERN.test(pattern) && local.allowsUri(value, accessFor(path));
  return (op, input) => {
    if (!sageMakerOperationNames.has(op)) return { violations: [] };
    return checkInput(MODEL, op, input, { caretInPatternMessages: true, ...(local.enabled ? { acceptPatternMismatch } : {}) });
  };
}

/** The validator with no local directories allowed: only what SageMaker itself accepts. */
export const validateSageMakerInput: SageMakerValidator = sageMakerValidator(LocalPaths.none);
