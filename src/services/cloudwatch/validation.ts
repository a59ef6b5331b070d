/**
 * @module services/cloudwatch/validation — model-driven input validation for CloudWatch metrics,
 * on all three of its wire protocols. CloudWatch answers with its own (query-era) codes, which
 * every protocol carries (awsQueryCompatible): a missing required member is `MissingParameter`,
 * any other broken constraint `InvalidParameterValue`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html).
 */
import { checkInput, type ValidationResult } from '../../protocol/validation/validate.js';
import { typedQueryInput } from '../../protocol/validation/query-input.js';
import { MODEL } from './generated/model.js';

const NOT_NULL = /failed to satisfy constraint: Member must not be null$/;

function withCodes(r: ValidationResult, typeErrorCode?: string): ValidationResult {
  if (r.serializationError !== undefined) return typeErrorCode ? { ...r, errorCode: typeErrorCode } : r;
  if (r.violations.length === 0) return r;
  return { ...r, errorCode: r.violations.every((v) => NOT_NULL.test(v)) ? 'MissingParameter' : 'InvalidParameterValue' };
}

/** JSON 1.0 and RPC v2 CBOR bodies (typed values; CBOR timestamps arrive as Dates). */
export function validateCloudWatchInput(op: string, input: unknown): ValidationResult {
  if (!Object.hasOwn(MODEL.operations, op)) return { violations: [] };
  return withCodes(checkInput(MODEL, op, input));
}

/** Query-protocol input (strings): typed by the model first; a value of the wrong type is InvalidParameterValue. */
export function validateCloudWatchQueryInput(op: string, input: unknown): ValidationResult {
  if (!Object.hasOwn(MODEL.operations, op)) return { violations: [] };
  return withCodes(checkInput(MODEL, op, typedQueryInput(MODEL, op, input)), 'InvalidParameterValue');
}
