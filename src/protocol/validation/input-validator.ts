/**
 * @module protocol/validation/input-validator — the contract between a protocol surface (JSON 1.x,
 * RPC v2 CBOR, query) and a service's model validation, and the one place a validation result
 * becomes an error, so every protocol answers the same input the same way.
 *
 *   parsed body ──validate(op, input)──► serializationError → SerializationException (or the service's code)
 *                                     ├► violations        → ValidationException (or the surface's / service's code)
 *                                     └► value             → the handler's input (members the model lacks left out)
 */
import { SerializationException, ServiceError, ValidationException } from '../errors.js';
import { formatValidationMessage, type ValidationResult } from './validate.js';

/** A service's model validation for one protocol; see ValidationResult for what it returns. */
export type InputValidator = (operation: string, input: unknown) => ValidationResult;

/**
 * Runs `validate` and returns what the handler gets; throws the typed error for a refusal.
 * `violationCode`: the surface's code for constraint violations when the service gives none
 * (CloudWatch Logs: InvalidParameterException); default ValidationException.
 */
export function validatedInput(validate: InputValidator | undefined, operation: string, input: unknown, violationCode?: string): unknown {
  if (!validate) return input;
  const r = validate(operation, input);
  if (r.serializationError !== undefined) {
    throw r.errorCode ? new ServiceError(r.errorCode, r.serializationError, 400) : new SerializationException(r.serializationError);
  }
  if (r.violations.length > 0) {
    const message = r.message ?? formatValidationMessage(r.violations);
    const code = r.errorCode ?? violationCode;
    throw code ? new ServiceError(code, message, 400) : new ValidationException(message);
  }
  return r.value ?? input;
}
