/** @module protocol/errors — the one error model: ServiceError and the codes shared by every surface. */

export type Fault = 'client' | 'server';

/**
 * Base of every error a handler may throw. Only `protocol/*` turns it into bytes, each surface in
 * its own format (JSON 1.1 `__type`, REST-JSON header + body, REST-XML `<Error>`).
 * `code` is the AWS error code verbatim; `extra` carries modelled members (e.g. ModelError's
 * OriginalStatusCode) that the JSON renderers add to the body.
 */
export class ServiceError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly fault: Fault;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    statusCode = 400,
    opts: { fault?: Fault; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.statusCode = statusCode;
    this.fault = opts.fault ?? (statusCode >= 500 ? 'server' : 'client');
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }
}

/** Input failed the model's constraints or the service's own checks (SageMaker, Logs). */
export class ValidationException extends ServiceError {
  constructor(message: string) {
    super('ValidationException', message, 400);
  }
}

export class SerializationException extends ServiceError {
  constructor(message = 'Start of structure or map found where not expected.') {
    super('SerializationException', message, 400);
  }
}

export class UnknownOperationException extends ServiceError {
  constructor(target: string) {
    super('UnknownOperationException', `Operation ${target} is not supported.`, 400);
  }
}

export class InternalFailure extends ServiceError {
  constructor(message = 'An internal error occurred. Try again.') {
    super('InternalFailure', message, 500, { fault: 'server' });
  }
}

export class ServiceUnavailable extends ServiceError {
  constructor(message = 'The service is unavailable. Try again later.') {
    super('ServiceUnavailable', message, 503, { fault: 'server' });
  }
}

/** Renders any thrown value as a ServiceError; unknown errors become InternalFailure (logged by caller). */
export function asServiceError(err: unknown): ServiceError {
  return err instanceof ServiceError ? err : new InternalFailure();
}
