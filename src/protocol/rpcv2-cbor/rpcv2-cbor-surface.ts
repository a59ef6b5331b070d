/**
 * @module protocol/rpcv2-cbor/rpcv2-cbor-surface — Smithy RPC v2 CBOR, what current SDKs (botocore
 * 1.43, JS v3) send to CloudWatch: `POST /service/<Service>/operation/<Op>`, header
 * `smithy-protocol: rpc-v2-cbor`, CBOR bodies, timestamps as CBOR tag 1 (epoch seconds).
 * Errors carry `__type` and `message`, plus `x-amzn-query-error: Code;Sender` because CloudWatch
 * is awsQueryCompatible and botocore then reports the query-era code.
 */
import type { ServerResponse } from 'node:http';
import { decode, encode } from 'cbor-x';
import { cborTextIsUtf8 } from './cbor-utf8.js';
import { asServiceError, SerializationException, ServiceError, UnknownOperationException } from '../errors.js';
import type { OperationTable } from '../operation-table.js';
import { readBody } from '../read-body.js';
import { validatedInput, type InputValidator } from '../validation/input-validator.js';
import type { RequestContext } from '../context.js';
import type { Surface } from '../surface.js';
import { logger } from '../../platform/logger.js';

const PATH = /^\/service\/([^/]+)\/operation\/([^/]+)$/;

export interface RpcV2CborOptions {
  serviceName: string;
  operations: OperationTable;
  /** The service's model validation; handlers get its pruned value. */
  validate?: InputValidator;
}

function sendCbor(res: ServerResponse, ctx: RequestContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = encode(body);
  res.writeHead(status, {
    'smithy-protocol': 'rpc-v2-cbor',
    'Content-Type': 'application/cbor',
    'Content-Length': payload.length,
    'x-amzn-RequestId': ctx.requestId,
    ...headers,
  });
  res.end(payload);
}

/** Writes a ServiceError as RPC v2 CBOR: `{__type, message}` and the query-era code in `x-amzn-query-error`. */
export function renderError(res: ServerResponse, ctx: RequestContext, err: ServiceError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendCbor(res, ctx, err.statusCode, { __type: err.code, message: err.message }, { 'x-amzn-query-error': `${err.code};${err.fault === 'client' ? 'Sender' : 'Receiver'}` });
}

export function createRpcV2CborSurface(opts: RpcV2CborOptions): Surface {
  const handle: Surface['handle'] = async (req, res, ctx, url) => {
    try {
      const m = PATH.exec(url.pathname);
      const operation = m?.[2] ?? '';
      const handler = m?.[1] === opts.serviceName && Object.hasOwn(opts.operations, operation) ? opts.operations[operation] : undefined;
      if (!handler) {
        req.resume();
        throw new UnknownOperationException(`${m?.[1] ?? ''}.${operation}`);
      }
      ctx.operation = operation;
      const raw = await readBody(req, 16 * 1024 * 1024);
      let input: unknown = {};
      if (raw.length > 0) {
        if (!cborTextIsUtf8(raw)) throw new SerializationException('Malformed CBOR request body: a text string is not valid UTF-8.');
        try {
          input = decode(raw);
        } catch {
          throw new SerializationException('Malformed CBOR request body.');
        }
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new SerializationException('Expected a CBOR map.');
      const output = await handler(ctx, validatedInput(opts.validate, operation, input));
      sendCbor(res, ctx, 200, dropUndefined(output ?? {}));
    } catch (err) {
      if (!(err instanceof ServiceError)) logger.error({ err, requestId: ctx.requestId }, 'unhandled error in RPC v2 CBOR handler');
      renderError(res, ctx, asServiceError(err));
    }
  };
  return { handle, renderError };
}

/** CBOR has an `undefined` value that SDKs reject for absent members; omit them instead. */
function dropUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropUndefined);
  if (v && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, dropUndefined(x)]));
  }
  return v;
}
