/**
 * @module protocol/json11/json11-surface — AWS JSON 1.1 (SageMaker, CloudWatch Logs): dispatch on
 * `X-Amz-Target`, parse and validate the body, call the handler, render output or error.
 *
 *   POST /  X-Amz-Target: SageMaker.CreateTrainingJob  {json}
 *     → Content-Type check (a body that is not JSON: Coral's 404 UnknownOperationException, below)
 *     → operation table lookup (UnknownOperationException)
 *     → JSON.parse (SerializationException) → model validation (ValidationException)
 *     → handler(ctx, input) → 200 {json} | 4xx/5xx {"__type","message"} + X-Amzn-ErrorType
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';
import {
  SerializationException,
  ServiceError,
  UnknownOperationException,
  asServiceError,
} from '../errors.js';
import type { OperationTable } from '../operation-table.js';
import type { Surface } from '../surface.js';
import { hasBody, readBody } from '../read-body.js';
import { validatedInput, type InputValidator } from '../validation/input-validator.js';
import { logger } from '../../platform/logger.js';

export interface Json11Options {
  /** Target prefix, e.g. `SageMaker` or `Logs_20140328`. */
  targetPrefix: string;
  operations: OperationTable;
  validate?: InputValidator;
  /** Largest request body accepted. */
  maxBodyBytes?: number;
  /**
   * Code for model-constraint violations: SageMaker answers ValidationException; CloudWatch Logs
   * answers InvalidParameterException (its modelled error for bad parameters).
   */
  validationErrorCode?: string;
  /** `1.1` (SageMaker, Logs) or `1.0` (CloudWatch's JSON clients). */
  jsonVersion?: '1.0' | '1.1';
}


/**
 * A JSON-protocol service reads a body only as `application/x-amz-json-1.x` (its own version) or
 * `application/json`, parameters after `;` ignored; any other Content-Type on a request with a body
 * gets Coral's bare `404 <UnknownOperationException/>` (no Content-Type), before the target is
 * looked at. Observed on DynamoDB (JSON 1.0, where even `application/x-amz-json-1.1` is refused)
 * and Kinesis (JSON 1.1): the dynalite and kinesalite suites pin these answers
 * (mhart/dynalite test/connection.js "should return 404 if body but incorrect content-type";
 * disneystreaming/smithy4s#167 shows Kinesis answering `<UnknownOperationException/>` to
 * `application/octet-stream`). X-Amzn-ErrorType is added so the JS SDK names the error.
 */
export function acceptsJsonContentType(header: string | undefined, version: '1.0' | '1.1'): boolean {
  const media = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return media === `application/x-amz-json-${version}` || media === 'application/json';
}

const CORAL_UNKNOWN_OPERATION = '<UnknownOperationException/>\n';

function sendCoralUnknownOperation(res: ServerResponse, ctx: RequestContext): void {
  res.writeHead(404, {
    'Content-Length': Buffer.byteLength(CORAL_UNKNOWN_OPERATION),
    'x-amzn-RequestId': ctx.requestId,
    'X-Amzn-ErrorType': 'UnknownOperationException',
  });
  res.end(CORAL_UNKNOWN_OPERATION);
}

/**
 * Writes a ServiceError as AWS JSON protocols do: status, `X-Amzn-ErrorType` (the JS SDK reads the
 * code from it, botocore from `__type`: both agree) and `{"__type", "message", ...modelled members}`.
 */
export function renderError(res: ServerResponse, ctx: RequestContext, err: ServiceError, contentType = 'application/x-amz-json-1.1'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.setHeader('X-Amzn-ErrorType', err.code);
  sendJson(res, ctx, err.statusCode, { __type: err.code, message: err.message, ...err.extra }, contentType);
}

export function createJson11Surface(opts: Json11Options): Surface {
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const version = opts.jsonVersion ?? '1.1';
  const contentType = `application/x-amz-json-${version}`;
  const handle = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    if (hasBody(req) && !acceptsJsonContentType(req.headers['content-type'], version)) {
      sendCoralUnknownOperation(res, ctx);
      return;
    }
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const dot = target.indexOf('.');
      const prefix = dot >= 0 ? target.slice(0, dot) : '';
      const operation = dot >= 0 ? target.slice(dot + 1) : '';
      const handler = prefix === opts.targetPrefix ? opts.operations[operation] : undefined;
      if (req.method !== 'POST') throw new ServiceError('MethodNotAllowed', 'Only POST is supported.', 405);
      // Answered at once; an unread body is discarded by server/lingering-close.ts.
      if (!handler || !Object.hasOwn(opts.operations, operation)) throw new UnknownOperationException(target || '(none)');
      ctx.operation = operation;
      const raw = await readBody(req, maxBody);
      // Members the model does not have never reach the handler (nor its stored documents).
      const input = validatedInput(opts.validate, operation, parseJsonBody(raw), opts.validationErrorCode);
      const output = await handler(ctx, input);
      sendJson(res, ctx, 200, output ?? {}, contentType);
    } catch (err) {
      if (!(err instanceof ServiceError)) logger.error({ err, requestId: ctx.requestId }, 'unhandled error in JSON 1.1 handler');
      renderError(res, ctx, asServiceError(err), contentType);
    }
  };
  return { handle, renderError: (res, ctx, err) => renderError(res, ctx, err, contentType) };
}

/** An `X-Amz-Target` no service here answers: UnknownOperationException, as a JSON 1.1 service words it. */
export function createUnknownTargetSurface(): Surface {
  return {
    handle: (req, res, ctx) => {
      req.resume();
      renderError(res, ctx, new UnknownOperationException(String(req.headers['x-amz-target'])));
    },
    renderError: (res, ctx, err) => renderError(res, ctx, err),
  };
}

/** JSON text must be UTF-8 (RFC 8259 §8.1): invalid bytes are refused, not replaced with U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonBody(raw: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(raw).trim();
  } catch {
    throw new SerializationException('Malformed JSON: the request body is not valid UTF-8.');
  }
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SerializationException('Malformed JSON: the request body could not be parsed.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SerializationException('Start of structure or map found where not expected.');
  }
  return value;
}

/** Dates become epoch seconds with a millisecond fraction, as SageMaker sends them. */
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return raw.getTime() / 1000;
  return value;
}

export function sendJson(
  res: ServerResponse,
  ctx: RequestContext,
  status: number,
  body: unknown,
  contentType = 'application/x-amz-json-1.1',
): void {
  const payload = Buffer.from(JSON.stringify(body, replacer));
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': payload.length,
    'x-amzn-RequestId': ctx.requestId,
  });
  res.end(payload);
}
