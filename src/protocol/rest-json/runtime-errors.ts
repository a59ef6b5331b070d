/**
 * @module protocol/rest-json/runtime-errors — renders ServiceErrors for the SageMaker Runtime
 * (rest-json) surface: status, `X-Amzn-ErrorType` (botocore's rest-json parser reads the code from
 * it first), `x-amzn-RequestId`, and a JSON body with the modelled members.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';
import { ServiceError } from '../errors.js';

/**
 * Runtime error codes are spelled differently from the control plane's (`ValidationError`, not
 * `ValidationException`); every runtime shape carries `Message`. `message` is sent too because
 * some clients only read the lower-case member.
 */
export function runtimeErrorBody(err: ServiceError): Record<string, unknown> {
  return { message: err.message, Message: err.message, ...err.extra };
}

/** Writes the error unless headers are already out (then the connection is cut: the body is unusable). */
export function renderError(res: ServerResponse, ctx: RequestContext, err: ServiceError, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(runtimeErrorBody(err));
  res.writeHead(err.statusCode, {
    ...extraHeaders,
    ...err.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': ctx.requestId,
    'X-Amzn-ErrorType': err.code,
  });
  res.end(body);
}

/** `ValidationError` (400): bad input, unknown endpoint, endpoint not InService. */
export function runtimeValidationError(message: string): ServiceError {
  return new ServiceError('ValidationError', message, 400);
}

/** A body over InvokeEndpoint's 6 MiB. Observed wording: "Request {request-id} has oversize body." (aws/sagemaker-python-sdk#4271). */
export function oversizeBody(requestId: string): ServiceError {
  return runtimeValidationError(`Request ${requestId} has oversize body.`);
}

/** `ModelError` (424): the container answered non-2xx or timed out (OriginalStatusCode 0). */
export function modelError(opts: { message: string; originalStatusCode: number; originalMessage: string; logStreamArn?: string }): ServiceError {
  const extra: Record<string, unknown> = { OriginalStatusCode: opts.originalStatusCode, OriginalMessage: opts.originalMessage };
  if (opts.logStreamArn) extra.LogStreamArn = opts.logStreamArn;
  return new ServiceError('ModelError', opts.message, 424, { extra });
}
